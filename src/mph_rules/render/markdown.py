"""Markdown: the reference page of a pack (``pack``) and a comparison of packs (``compare``).

The page is generated from the resolved pack, so it cannot drift from what the engine does;
every row links the article it comes from (the sources table at the top holds the anchors).
Output is deterministic (worked examples use fixed dates, no clock is read), which is what
lets CI check that committed docs are current (``mph-rules docs --check``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mph_rules.analysis import (
    AccessMatrix,
    CellVerdict,
    Comparison,
    Locator,
    access_matrix,
)
from mph_rules.calendar import compute_deadline, parse_duration
from mph_rules.decision import CaseDecision
from mph_rules.render import periods, svg
from mph_rules.render.conditions import Labels, describe
from mph_rules.render.i18n import LANGUAGES, Messages, language, pack_names
from mph_rules.schema import Pack, RetentionClock, Source, Unspecified
from mph_rules.schema.common import Conflict

EXAMPLE_TRIGGER = dt.date(2024, 9, 17)
EXAMPLE_EARLIER = dt.date(2024, 3, 13)


# --- Markdown helpers -------------------------------------------------------------------------


def _cell(text: object) -> str:
    """A table cell: pipes escaped, line breaks as <br>, other whitespace collapsed."""
    lines = ("" if text is None else str(text)).split("\n")
    return "<br>".join(" ".join(line.split()).replace("|", "\\|") for line in lines)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _cite(source: Source) -> str:
    title = source.quote.replace("\\", "").replace('"', "'")
    return f'[{source.document} {source.article}](#src-{source.document} "{title}")'


def _anchor(item_id: str) -> str:
    """The link target of a rule's row: citations elsewhere link to ``#<rule id>``."""
    return f'<a id="{item_id}"></a>'


# The page's sections: (anchor, message suffix). The anchors are the same in every language,
# so a link into the page (the playground's citations, the contents line) never depends on
# the language of the headings.
SECTIONS = (
    ("sources", "sources"),
    ("parties-and-roles", "parties_and_roles"),
    ("data-categories", "data_categories"),
    ("lifecycle", "lifecycle"),
    ("intake", "intake"),
    ("preconditions", "preconditions"),
    ("legal-bases", "legal_bases"),
    ("access-matrix", "access_matrix"),
    ("sharing", "sharing"),
    ("information-duties", "information_duties"),
    ("records", "records"),
    ("retention", "retention"),
    ("rights", "rights"),
    ("settings", "settings"),
    ("conflicts", "conflicts"),
)


def conflicts(pack: Pack) -> list[tuple[str, Conflict, Source | None]]:
    """Every `conflict` marker of a pack in the order of the pack: (item id, marker, source).

    A marker sits on a rule, a setting or a data category, or on a part of one (then the
    enclosing item's id names it): the walk finds them wherever the schema allows one.
    """
    found: list[tuple[str, Conflict, Source | None]] = []

    def walk(value: object, owner: str, source: Source | None) -> None:
        if isinstance(value, BaseModel):
            own_id = getattr(value, "id", None)
            owner = own_id if isinstance(own_id, str) else owner
            own_source = getattr(value, "source", None)
            source = own_source if isinstance(own_source, Source) else source
            marker = getattr(value, "conflict", None)
            if isinstance(marker, Conflict):
                found.append((owner, marker, source))
            for name in type(value).model_fields:
                if name not in ("conflict", "source"):
                    walk(getattr(value, name), owner, source)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item, owner, source)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, owner, source)

    walk(pack, pack.pack.id, None)
    return found


# --- the page ---------------------------------------------------------------------------------


class _Page:
    def __init__(self, pack: Pack, lang: str) -> None:
        self.pack = pack
        self.loc = Locator(pack)
        self.out: list[str] = []
        self.roles = {r.id: r for r in pack.roles}
        self.m = Messages(lang, names=pack_names(pack, lang))
        self.words = Labels.of(pack, self.m)

    def t(self, value: str) -> str:
        """A pack text in the page's language (``{nl, en}``), else as written."""
        return self.m.text(value)

    def describe(self, condition: Any) -> str:
        """A condition in words (the pack's labels), never a raw field path."""
        return describe(condition, self.words)

    def cite(self, section: str, item_id: str, source: Source) -> str:
        text = _cite(source)
        if not self.loc.is_own(section, item_id):
            text += " " + self.m("docs.statute_baseline")
        return text

    def col(self, *names: str) -> tuple[str, ...]:
        return tuple(self.m(f"docs.col.{n}") for n in names)

    def enum(self, value: str) -> str:
        """A value of the core vocabulary (party type, data kind, ground) in words."""
        key = f"docs.enum.{value}"
        return self.m(key) if self.m.has(key) else value

    def ids(self, values: Sequence[str] | str) -> str:
        return self.m("docs.all") if values == "*" else ", ".join(f"`{v}`" for v in values)

    def period(self, deadline: Any) -> str:
        return periods.deadline(deadline, self.m)

    def h(self, level: int, title: str) -> None:
        self.out += ["#" * level + " " + title, ""]

    def section(self, anchor: str) -> None:
        """A section heading with a fixed anchor (the heading text is in the language)."""
        key = dict(SECTIONS)[anchor]
        self.out += [f'## <a id="{anchor}"></a>{self.m("docs.h." + key)}', ""]

    def para(self, *lines: str) -> None:
        self.out += [*lines, ""]

    def render(self, other: str | None = None) -> str:
        m = self.m
        p = self.pack
        meta = p.pack
        own = self.loc.own_source()
        own_file = Path(own.file).name if own is not None else meta.id
        self.out = [m("docs.generated", id=meta.id, file=own_file), ""]
        self.h(1, self.t(meta.title))
        if other is not None:
            self.para(m("docs.other_language", file=other))
        facts = [m("docs.pack_version", id=meta.id, version=meta.version)]
        for key, value in (
            ("docs.municipality", meta.municipality),
            ("docs.region", meta.region),
            ("docs.controller", meta.controller),
        ):
            if value is not None:
                facts.append(m(key, value=self._open(value)))
        if meta.extends:
            facts.append(m("docs.extends", ids=", ".join(f"`{e}`" for e in meta.extends)))
        eff = meta.effective
        facts.append(
            m(
                "docs.in_force",
                start=self._open(eff.valid_from),
                end=(
                    self._open(eff.valid_until)
                    if eff.valid_until is not None
                    else m("docs.open_ended")
                ),
            )
        )
        self.para(*(f"- {f}" for f in facts))
        if meta.note:
            self.para(" ".join(self.t(meta.note).split()))
        self.para(
            m("docs.contents")
            + ": "
            + " · ".join(f"[{m('docs.c.' + key)}](#{anchor})" for anchor, key in SECTIONS)
        )
        self.sources()
        self.parties_roles()
        self.categories()
        self.lifecycle()
        self.intake()
        self.preconditions()
        self.legal_bases()
        self.access()
        self.sharing()
        self.duties()
        self.records()
        self.retention()
        self.rights()
        self.settings()
        self.conflicts()
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n"

    def _open(self, value: object) -> str:
        if isinstance(value, Unspecified):
            return self.m("docs.unspecified")
        return self.t(value) if isinstance(value, str) else str(value)

    def _raw(self, value: object) -> str:
        """A text as read from a baseline's YAML: ``{nl, en}`` in the page's language."""
        if isinstance(value, dict):
            return str(value.get(self.m.lang, ""))
        return str(value)

    def sources(self) -> None:
        self.section("sources")
        rows = []
        for s in self.pack.pack.sources:
            rows.append(
                (
                    f'<a id="src-{s.id}"></a>`{s.id}`',
                    self.t(s.title),
                    self.enum(s.kind.value),
                    s.version or "",
                    self._open(s.date) if s.date is not None else "",
                )
            )
        for src in self.loc.sources:
            if src.pack_id == self.pack.pack.id:
                continue
            meta = src.doc.data.get("pack") or {}
            for doc in meta.get("sources") or ():
                rows.append(
                    (
                        f'<a id="src-{doc.get("id")}"></a>`{doc.get("id")}`',
                        self.m(
                            "docs.via_baseline",
                            title=self._raw(doc.get("title", "")),
                            id=src.pack_id,
                        ),
                        self.enum(doc.get("kind", "")),
                        doc.get("version") or "",
                        str(doc.get("date") or ""),
                    )
                )
        self.out += _table(self.col("id", "title", "kind", "version", "date"), rows)

    def party_types(self, types: Any) -> str:
        if types == "any":
            return self.m("docs.any")
        return ", ".join(self.enum(t.value) for t in types)

    def parties_roles(self) -> None:
        self.section("parties-and-roles")
        self.out += _table(
            self.col("party", "name", "type", "source"),
            (
                (
                    f"`{x.id}`",
                    self.t(x.name),
                    self.enum(x.type.value),
                    self.cite("parties", x.id, x.source),
                )
                for x in self.pack.parties
            ),
        )
        self.out += _table(
            self.col("role", "label", "party_types_filling", "source"),
            (
                (
                    f"`{r.id}`{_anchor(r.id)}",
                    self.t(r.label),
                    self.party_types(r.party_types),
                    self.cite("roles", r.id, r.source),
                )
                for r in self.pack.roles
            ),
        )

    def categories(self) -> None:
        self.section("data-categories")
        self.out += _table(
            self.col("category", "label", "kind", "never_recorded", "source"),
            (
                (
                    f"`{c.id}`{_anchor(c.id)}",
                    self.t(c.label),
                    self.enum(c.kind.value),
                    self.m("docs.yes") if c.forbidden else "",
                    self.cite("data_categories", c.id, c.source),
                )
                for c in self.pack.data_categories
            ),
        )

    def lifecycle(self) -> None:
        m = self.m
        self.section("lifecycle")
        lc = self.pack.lifecycle
        if lc is None:
            self.para(m("docs.no_lifecycle"))
            return
        diagram = ["```mermaid", "stateDiagram-v2", f"    [*] --> {lc.initial}"]
        for t in lc.transitions:
            for src in t.from_:
                diagram.append(f"    {src} --> {t.to} : {t.on}")
        diagram += [f"    {ph.id} --> [*]" for ph in lc.phases if ph.terminal]
        self.out += [*diagram, "```", ""]
        self.para(
            f"![{m('docs.lifecycle_picture', id=self.pack.pack.id)}]({picture_names(self.pack)[0]})"
        )
        if lc.always_accepted:
            self.para(
                m("docs.always_accepted", events=", ".join(f"`{e}`" for e in lc.always_accepted))
            )
        self.out += _table(
            self.col("phase", "label", "also_accepts", "source"),
            (
                (
                    f"`{ph.id}`{_anchor(ph.id)}"
                    + (" " + m("docs.terminal") if ph.terminal else ""),
                    self.t(ph.label),
                    ", ".join(f"`{e}`" for e in ph.accepts),
                    self.cite("lifecycle.phases", ph.id, ph.source),
                )
                for ph in lc.phases
            ),
        )
        self.out += _table(
            self.col("transition", "on", "from", "to", "only_by", "when", "source"),
            (
                (
                    f"`{t.id}`{_anchor(t.id)}",
                    f"`{t.on}`",
                    self.ids(t.from_),
                    f"`{t.to}`",
                    self.ids(t.by) if t.by else "",
                    self.describe(t.when) if t.when else "",
                    self.cite("lifecycle.transitions", t.id, t.source),
                )
                for t in lc.transitions
            ),
        )
        if lc.deadlines:
            self.out += _table(
                self.col("process_deadline", "from", "until", "within", "responsible", "source"),
                (
                    (
                        f"`{d.id}`{_anchor(d.id)}: {self.t(d.label)}",
                        f"`{d.start.event}`",
                        f"`{d.until.event}`",
                        self.period(d.deadline),
                        d.responsible or "",
                        self.cite("lifecycle.deadlines", d.id, d.source),
                    )
                    for d in lc.deadlines
                ),
            )

    def intake(self) -> None:
        m = self.m
        self.section("intake")
        intake = self.pack.intake
        if intake is None:
            self.para(m("docs.no_intake"))
            return
        self.para(m("docs.decided_by", ids=self.ids(intake.decided_by)))
        if intake.note:
            self.para(" ".join(self.t(intake.note).split()))
        self.out += _table(
            self.col("criterion", "label", "kind", "condition", "source"),
            (
                (
                    f"`{c.id}`{_anchor(c.id)}",
                    self.t(c.label),
                    m("docs.required") if c.required else m("docs.indicator"),
                    m("docs.open")
                    if isinstance(c.condition, Unspecified)
                    else self.describe(c.condition),
                    self.cite("intake.criteria", c.id, c.source),
                )
                for c in intake.criteria
            ),
        )

    def preconditions(self) -> None:
        m = self.m
        if not self.pack.preconditions:
            return
        self.section("preconditions")
        self.para(m("docs.preconditions_intro"))
        self.out += _table(
            self.col("precondition", "event", "only_when", "requires", "otherwise", "source"),
            (
                (
                    f"`{p.id}`{_anchor(p.id)}",
                    f"`{p.event}`",
                    self.describe(p.when) if p.when else "",
                    self.describe(p.require),
                    self.t(p.message)
                    + (" " + m("docs.flagged") if p.on_violation == "flag" else "")
                    + (" " + m("docs.outcome_unspecified") if p.outcome == "unspecified" else ""),
                    self.cite("preconditions", p.id, p.source),
                )
                for p in self.pack.preconditions
            ),
        )

    def legal_bases(self) -> None:
        m = self.m
        self.section("legal-bases")
        self.out += _table(
            self.col("basis", "party_types", "data_kinds", "ground", "law", "source"),
            (
                (
                    f"`{b.id}`{_anchor(b.id)}",
                    self.party_types(b.party_types),
                    ", ".join(self.enum(k.value) for k in b.data_kinds),
                    self.enum(b.ground.value)
                    + (" " + m("docs.consent_required") if b.requires_consent else ""),
                    self.t(b.law),
                    self.cite("legal_bases", b.id, b.source),
                )
                for b in self.pack.legal_bases
            ),
        )

    def access(self) -> None:
        m = self.m
        self.section("access-matrix")
        matrix = access_matrix(self.pack)
        counts = matrix.counts()
        total = len(matrix.cells)
        cited = self._default("access")
        self.para(
            m("docs.access_intro", cited=f" ({_cite(cited)})" if cited else ""),
            m(
                "docs.access_counts",
                total=total,
                allow=counts["allow"],
                conditional=counts["conditional"],
                deny=counts["deny"],
                default_deny=counts["default_deny"],
            ),
        )
        self.para(
            f"![{m('docs.access_picture', id=self.pack.pack.id)}]({picture_names(self.pack)[1]})"
        )
        columns = [
            r
            for r in matrix.roles
            if any(
                c.role == r and c.verdict in (CellVerdict.ALLOW, CellVerdict.CONDITIONAL)
                for c in matrix.cells
            )
        ]
        rows = []
        for cat in self.pack.data_categories:
            rows.append(
                (
                    f"`{cat.id}` ({self.enum(cat.kind.value)})",
                    *(self._access_text(matrix, role, cat.id) for role in columns),
                    self.cite("data_categories", cat.id, cat.source),
                )
            )
        if columns:
            self.out += _table(
                (m("docs.col.category"), *(f"`{r}`" for r in columns), m("docs.col.source")),
                rows,
            )
        none = [r for r in matrix.roles if r not in columns]
        if none:
            self.para(m("docs.no_access", roles=", ".join(f"`{r}`" for r in none)))
        self.out += _table(
            self.col(
                "rule",
                "effect",
                "roles",
                "categories",
                "phases",
                "actions",
                "condition",
                "legal_bases",
                "source",
            ),
            (
                (
                    f"`{r.id}`{_anchor(r.id)}",
                    m(f"docs.effect.{r.effect.value}"),
                    self.ids(r.roles),
                    self.ids(r.categories),
                    self.ids(r.phases),
                    ", ".join(m(f"docs.action.{a.value}") for a in r.actions),
                    "; ".join(
                        filter(
                            None,
                            (
                                self.describe(r.when) if r.when else "",
                                m("docs.purpose_in", purposes=list(r.purposes))
                                if r.purposes
                                else "",
                            ),
                        )
                    ),
                    self.ids(r.legal_bases) if r.legal_bases else "",
                    self.cite("access", r.id, r.source),
                )
                for r in self.pack.access
            ),
        )

    def _default(self, kind: str) -> Source | None:
        """The article that makes ``kind`` default deny, if the pack cites one."""
        rule = getattr(self.pack.defaults, kind, None) if self.pack.defaults else None
        return rule.source if rule is not None else None

    def _access_text(self, matrix: AccessMatrix, role: str, category: str) -> str:
        m = self.m
        parts = []
        for action, letter in (("read", m("docs.letter_read")), ("write", m("docs.letter_write"))):
            allowed = []
            conditional = False
            for phase in matrix.phases:
                cell = matrix.cell(role, category, phase, action)
                if cell.verdict in (CellVerdict.ALLOW, CellVerdict.CONDITIONAL):
                    allowed.append(phase)
                    conditional |= cell.verdict is CellVerdict.CONDITIONAL
            if not allowed:
                continue
            text = letter + ("*" if conditional else "")
            if len(allowed) < len(matrix.phases):
                missing = [ph for ph in matrix.phases if ph not in allowed]
                text += " " + (
                    m("docs.except", phases=", ".join(missing))
                    if len(missing) < len(allowed)
                    else m("docs.in", phases=", ".join(allowed))
                )
            parts.append(text)
        return "; ".join(parts)

    def sharing(self) -> None:
        m = self.m
        self.section("sharing")
        cited = self._default("sharing")
        self.para(m("docs.sharing_intro", cited=f", {_cite(cited)}" if cited else ""))
        self.out += _table(
            self.col(
                "rule",
                "effect",
                "from",
                "to",
                "categories",
                "phases",
                "condition",
                "legal_bases",
                "source",
            ),
            (
                (
                    f"`{r.id}`{_anchor(r.id)}" + (f": {self.t(r.label)}" if r.label else ""),
                    m(f"docs.effect.{r.effect.value}"),
                    self.ids(r.from_roles),
                    self.ids(r.to_roles),
                    self.ids(r.categories),
                    self.ids(r.phases),
                    self.describe(r.when) if r.when else "",
                    self.ids(r.legal_bases) if r.legal_bases else "",
                    self.cite("sharing", r.id, r.source),
                )
                for r in self.pack.sharing
            ),
        )

    def duties(self) -> None:
        m = self.m
        self.section("information-duties")
        grounds = {g.id: g for g in self.pack.exception_grounds}
        self.out += _table(
            self.col(
                "duty", "when", "who_informs_whom", "deadline", "exceptions", "record", "source"
            ),
            (
                (
                    f"`{d.id}`{_anchor(d.id)}: {self.t(d.label)}",
                    f"`{d.trigger.event}`"
                    + (
                        " " + m("docs.if", clause=self.describe(d.trigger.when))
                        if d.trigger.when
                        else ""
                    ),
                    f"`{d.informer}` -> `{d.recipient}`",
                    self.period(d.deadline),
                    "\n".join(
                        f"`{g}`: {self.t(grounds[g].label)}" if g in grounds else f"`{g}`"
                        for g in d.exception_grounds
                    )
                    or m("docs.none"),
                    m("docs.yes") if d.record_required else "",
                    self.cite("information_duties", d.id, d.source),
                )
                for d in self.pack.information_duties
            ),
        )
        used = sorted({g for d in self.pack.information_duties for g in d.exception_grounds})
        used += sorted({g for r in self.pack.rights for g in r.refusal_grounds} - set(used))
        if used:
            self.out += _table(
                self.col("exception_ground", "label", "source"),
                (
                    (
                        f"`{g}`{_anchor(g)}",
                        self.t(grounds[g].label),
                        self.cite("exception_grounds", g, grounds[g].source),
                    )
                    for g in used
                    if g in grounds
                ),
            )

    def retention(self) -> None:
        m = self.m
        self.section("retention")
        self.para(
            m(
                "docs.retention_intro",
                trigger=EXAMPLE_TRIGGER.isoformat(),
                earlier=EXAMPLE_EARLIER.isoformat(),
            )
        )
        self.out += _table(
            self.col(
                "clock",
                "starts_on",
                "period",
                "scope",
                "worked_example",
                "stopped_by",
                "exceptions",
                "source",
            ),
            (
                (
                    f"`{c.id}`{_anchor(c.id)}: {self.t(c.label)}",
                    f"`{c.trigger.event}`"
                    + (
                        " " + m("docs.if", clause=self.describe(c.trigger.when))
                        if c.trigger.when
                        else ""
                    ),
                    self._period(c),
                    f"`{c.scope}`",
                    self._example(c),
                    ", ".join(f"`{r.event}`" for r in c.cancelled_by),
                    "\n".join(f"{self.t(e.label)} ({_cite(e.source)})" for e in c.exceptions),
                    self.cite("retention", c.id, c.source),
                )
                for c in self.pack.retention
            ),
        )

    def _period(self, c: RetentionClock) -> str:
        m = self.m
        if isinstance(c.duration, Unspecified):
            return m("docs.period_open", note=" ".join(self.t(c.duration.note).split()))
        text = periods.duration(c.duration, c.counting.value, m)
        anchor = m(
            {
                "event_date": "docs.from_event",
                "next_day": "docs.from_next_day",
                "start_of_next_month": "docs.from_next_month",
                "start_of_next_year": "docs.from_next_year",
            }[c.anchor.value]
        )
        if c.counted_from is not None:
            anchor = m("docs.from_other_event", event=c.counted_from.event)
        return f"{text} {anchor} ({periods.counting(c.counting.value, m)})"

    def _example(self, c: RetentionClock) -> str:
        """The deletion date for the fixed example trigger date, counted as the engine
        counts."""
        if isinstance(c.duration, Unspecified):
            return self.m("docs.no_date_open")
        start = EXAMPLE_EARLIER if c.counted_from is not None else EXAMPLE_TRIGGER
        result = compute_deadline(start, parse_duration(c.duration), c.counting, c.anchor)
        what = f"`{c.counted_from.event}` {start}, " if c.counted_from is not None else ""
        return f"{what}`{c.trigger.event}` {EXAMPLE_TRIGGER}: " + self.m(
            "docs.delete_on", date=result.due.isoformat()
        )

    def rights(self) -> None:
        m = self.m
        self.section("rights")
        self.out += _table(
            self.col(
                "right", "handled_by", "deadline", "extension", "form", "refusal_grounds", "source"
            ),
            (
                (
                    f"`{r.right.value}`{_anchor(r.id)}: {self.t(r.label)}",
                    f"`{r.handler}`",
                    self.period(r.deadline),
                    self.period(r.extension) if r.extension is not None else m("docs.none"),
                    (m(f"docs.form.{r.form}") if m.has(f"docs.form.{r.form}") else r.form)
                    if isinstance(r.form, str)
                    else m("docs.unspecified"),
                    self.ids(r.refusal_grounds) if r.refusal_grounds else m("docs.none"),
                    self.cite("rights", r.id, r.source),
                )
                for r in self.pack.rights
            ),
        )

    def records(self) -> None:
        """What must be written down (v2): every record a decision can cite has a row."""
        m = self.m
        if not self.pack.records:
            return
        self.section("records")
        self.out += _table(
            self.col("record", "what", "by", "when", "source"),
            (
                (
                    f"`{r.id}`{_anchor(r.id)}: {self.t(r.label)}",
                    self.t(r.what),
                    f"`{r.by}`" if r.by else m("docs.not_named"),
                    (
                        m("docs.after_event", event=r.trigger.event)
                        + (f", {self.period(r.deadline)}" if r.deadline is not None else "")
                        + (
                            ", "
                            + m(
                                "docs.before_events",
                                events=", ".join(f"`{b.event}`" for b in r.before),
                            )
                            if r.before
                            else ""
                        )
                    ),
                    self.cite("records", r.id, r.source),
                )
                for r in self.pack.records
            ),
        )

    def settings(self) -> None:
        """Values the covenant leaves open, with the default and why: open points cite them."""
        if not self.pack.settings:
            return
        self.section("settings")
        self.out += _table(
            self.col("setting", "choices", "default", "why", "source"),
            (
                (
                    f"`{st.id}`{_anchor(st.id)}: {self.t(st.label)}",
                    self.ids(st.choices) if st.choices else st.type,
                    f"`{st.default}`",
                    self.t(st.justification),
                    self.cite("settings", st.id, st.source),
                )
                for st in self.pack.settings
            ),
        )

    def conflicts(self) -> None:
        """Where the sources contradict themselves: every reading, the one encoded and why.

        A decision names a marker under open points only when a case touches it; a policy
        author or privacy officer reviewing the pack needs the whole list, readings included.
        """
        found = conflicts(self.pack)
        if not found:
            return
        self.section("conflicts")
        self.para(self.m("docs.conflicts_intro"))
        page = "\n".join(self.out)
        self.out += _table(
            self.col("item", "readings", "chosen", "why", "source"),
            (
                (
                    f"[`{owner}`](#{owner})" if f'id="{owner}"' in page else f"`{owner}`",
                    "<br>".join(self.t(r) for r in marker.readings),
                    self.t(marker.chosen),
                    " ".join(self.t(marker.why).split()),
                    _cite(source) if source is not None else "",
                )
                for owner, marker, source in found
            ),
        )


def picture_names(pack: Pack) -> tuple[str, str]:
    """The file names of a pack's pictures, next to its page: lifecycle, access matrix."""
    return f"{pack.pack.id}.lifecycle.svg", f"{pack.pack.id}.access.svg"


def pictures(pack: Pack, *, lang: str | None = None) -> dict[str, str]:
    """The SVG pictures the reference page embeds, by file name (empty for a pack without
    a lifecycle: no lifecycle picture). ``lang``: default the pack's language."""
    lang = language(lang, pack)
    lifecycle_name, access_name = picture_names(pack)
    out = {access_name: svg.access_matrix(pack, access_matrix(pack), lang=lang) + "\n"}
    if pack.lifecycle is not None:
        out[lifecycle_name] = svg.lifecycle(pack, lang=lang) + "\n"
    return out


def pack(pack: Pack, *, lang: str | None = None, other: str | None = None) -> str:
    """The Markdown reference page of a resolved pack, in ``lang`` (default: the pack's
    language). ``other``: a relative link to the page in the other language, if any."""
    return _Page(pack, language(lang, pack)).render(other)


render_reference = pack


def reference_files(pack: Pack) -> dict[str, str]:
    """Every file of a pack's bundled reference, by path relative to the docs folder: the
    page and pictures in the pack's language at the top (``<id>.md``), each other language
    in a subfolder (``en/<id>.md``), the pages linking each other. Anchors are ids, the same
    in every language."""
    first = language(None, pack)
    page = f"{pack.pack.id}.md"
    files: dict[str, str] = {}
    others = [lang for lang in LANGUAGES if lang != first]
    other = f"{others[0]}/{page}" if others else None
    files[page] = render_reference(pack, lang=first, other=other)
    files.update(pictures(pack, lang=first))
    for lang in others:
        files[f"{lang}/{page}"] = render_reference(pack, lang=lang, other=f"../{page}")
        files.update({f"{lang}/{n}": t for n, t in pictures(pack, lang=lang).items()})
    return files


def compare(c: Comparison, *, show_all: bool = False, lang: str = "en") -> str:
    """Packs side by side, a table per topic, for a drafting memo; by default only what
    differs."""
    from mph_rules.render.text import topic_name, topics

    m = Messages(lang)
    lines = [
        "Compared: " + "; ".join(f"`{p}` ({t})" for p, t in zip(c.packs, c.titles, strict=True)),
        "",
    ]
    for aspect, rows in topics(c, show_all):
        header = [topic_name(aspect, m), *(f"`{p}`" for p in c.packs)]
        lines += [f"### {topic_name(aspect, m)}", ""]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for r in rows:
            cells = ["<br>".join(v.replace("|", "\\|").split("\n")) for v in r.values]
            item = r.item + ("" if r.differs else " " + m("compare.same"))
            lines.append(f"| {item} | " + " | ".join(cells) + " |")
        lines.append("")
    if not show_all:
        lines += [m("compare.left_out").replace("--all", "`--all`")]
    return "\n".join(lines).rstrip("\n")


def decision(d: CaseDecision, pack: Pack, *, lang: str | None = None) -> str:
    """A decision as a Markdown page (for a case file or a ticket): the same parts and words
    as the text and HTML reports, as tables, each row with the rule and article it comes
    from."""
    from mph_rules.render.text import Words, citations

    w = Words(pack, lang)
    cites = citations(pack)
    m = w.m

    def cols(*keys: str) -> tuple[str, ...]:
        return tuple(m(f"html.col_{k}") for k in keys)

    def cite(rule: str | None, source: str | None) -> str:
        return f"`{rule}`: {source}" if rule and source else f"`{rule}`" if rule else ""

    out = [
        "# " + m("decision.title", case=d.case_id, title=w.text(pack.pack.title)),
        "",
        w.pack_line(d).strip(),
        "",
        m("decision.phase", label=w.phase(d.phase))
        + (" " + m("decision.owner", owner=w.role(d.owner)) if d.owner else ""),
    ]

    def part(title: str, header: Sequence[str], rows: list[Sequence[object]]) -> None:
        if rows:
            out.extend(["", f"## {m(title, phase=w.phase(d.phase))}", "", *_table(header, rows)])
            while out[-1] == "":
                out.pop()

    part(
        "decision.events",
        cols("no", "when", "event", "verdict", "phase", "why"),
        [
            (
                f"#{ev.index}",
                ev.at,
                w.event(ev.type),
                m("mark.ok" if ev.allowed else "mark.denied"),
                w.phase(ev.phase_after) if ev.phase_after != ev.phase_before else "",
                "<br>".join(
                    [w.reason(r) for r in ev.reasons]
                    + [
                        m(
                            "decision.rule",
                            rules=", ".join(
                                f"{w.rule(r)} ({cites[r]})" for r in ev.rules if cites.get(r)
                            ),
                        )
                    ]
                )
                if not ev.allowed
                else "",
            )
            for ev in d.events
        ],
    )
    part(
        "decision.notifications",
        cols("status", "whom", "about", "by", "due", "note", "source"),
        [
            (
                w.status("late" if n.late else n.status),
                w.role(n.recipient),
                w.notification_about(n),
                w.role(n.informer),
                n.due or (m("when.asap") if n.asap else m("when.none")),
                m(
                    "decision.waived", ground=w.ground(n.ground), reason=w.reason(n.reason or "")
                ).lstrip("; ")
                if n.status == "waived"
                else m("decision.done", n=n.done_event).lstrip("; ")
                if n.status == "done"
                else "",
                cite(n.duty, n.source),
            )
            for n in d.notifications
        ],
    )
    part(
        "decision.deadlines",
        cols("status", "what", "due", "source"),
        [
            (
                w.status(pd.status),
                w.text(pd.label),
                pd.due or m("word.unspecified"),
                cite(pd.rule, pd.source),
            )
            for pd in d.deadlines
        ],
    )
    part(
        "decision.deletions",
        cols("scope", "date", "why", "source"),
        [
            (
                w.scope(dl.scope) + (f" ({dl.subject})" if dl.subject else ""),
                dl.date or "-",
                "<br>".join(
                    [w.reason(dl.reason)]
                    + [m("decision.exception", text=w.reason(x)) for x in dl.exceptions]
                ),
                cite(dl.rule, dl.source),
            )
            for dl in d.deletions
        ],
    )
    part(
        "decision.records",
        cols("status", "what", "by", "due", "source"),
        [
            (
                w.status(r.status),
                w.text(r.what),
                w.role(r.by) if r.by else "",
                r.due or "",
                cite(r.rule, r.source),
            )
            for r in d.records
        ],
    )
    part(
        "decision.findings",
        cols("what", "no", "why", "source"),
        [
            (
                w.finding(f.code),
                f"#{f.event}" if f.event is not None else "",
                w.reason(f.message),
                cite(f.rule, f.source),
            )
            for f in d.findings
        ],
    )
    part(
        "decision.open_points",
        cols("status", "note", "setting", "reading", "source"),
        [
            (
                m(f"open.{p.kind}") if m.has(f"open.{p.kind}") else p.kind,
                w.reason(p.note),
                w.setting(p.setting) if p.setting else "",
                w.setting_reading(p.setting, p.reading) if p.setting else "",
                cite(p.rule, p.source),
            )
            for p in d.open_points
        ],
    )
    if d.allowed_actions:
        out += ["", f"## {m('decision.next')}", ""]
        for a in d.allowed_actions:
            who = w.actors(a.roles)
            mark = m("mark.may" if a.allowed else "mark.blocked")
            action = m(
                "decision.action", event=w.event(a.event), who=who, reason=w.reason(a.reason)
            )
            out.append(f"- **{mark}** {action}")
    out += ["", m("decision.footer")]
    return "\n".join(out) + "\n"
