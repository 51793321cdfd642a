"""Terminal text: a decision (``decision``), its trace (``trace``), a lint report (``lint``),
the access matrix (``access_matrix``) and a comparison of packs (``compare``)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from mph_rules.analysis import (
    AccessMatrix,
    CellVerdict,
    Comparison,
    ComparisonRow,
    Finding,
    LintReport,
)
from mph_rules.conditions import AllOf, AnyOf, ConsentGiven, FieldTest, Not, Occurred
from mph_rules.conditions import describe as raw_describe
from mph_rules.decision import CaseDecision, IntakeVerdict, Verdict
from mph_rules.error_codes import CODES, help_url
from mph_rules.errors import Problem, place
from mph_rules.render.conditions import Labels, describe, guard
from mph_rules.render.i18n import Messages, language, pack_names
from mph_rules.schema import Pack, Source
from mph_rules.schema.pack import RULE_SECTIONS
from mph_rules.schema.text import Bilingual, dutch_of

CONDITION_TYPES = (AllOf, AnyOf, Not, FieldTest, Occurred, ConsentGiven)

SYMBOL = {
    CellVerdict.ALLOW: "A",
    CellVerdict.CONDITIONAL: "?",
    CellVerdict.DENY: "x",
    CellVerdict.DEFAULT_DENY: ".",
}


def rule_sources(pack: Pack) -> dict[str, Source]:
    """Rule id -> its source, for every rule, phase, criterion and default of a pack."""
    sources: dict[str, Source] = {}
    for section in (*RULE_SECTIONS, "data_categories", "exception_grounds", "settings"):
        for item in getattr(pack, section):
            sources[item.id] = item.source
    lc = pack.lifecycle
    if lc:
        for item in (*lc.phases, *lc.transitions, *lc.deadlines):
            sources[item.id] = item.source
    if pack.intake:
        for crit in pack.intake.criteria:
            sources[crit.id] = crit.source
    if pack.defaults is not None:
        for kind in ("access", "sharing"):
            rule = getattr(pack.defaults, kind)
            if rule is not None:
                sources[f"default_deny.{kind}"] = rule.source
    return sources


def citations(pack: Pack) -> dict[str, str]:
    """Rule id -> "document article"."""
    return {rule: source.cite() for rule, source in rule_sources(pack).items()}


class Words:
    """What a text renderer needs to write about one pack in one language."""

    def __init__(self, pack: Pack | None, lang: str | None) -> None:
        lang = language(lang, pack)
        self.m = Messages(
            lang, dutch_of(pack) if pack is not None else None, pack_names(pack, lang)
        )
        self.pack = pack
        self.labels = Labels.of(pack, self.m)
        self.roles = {r.id: self.m.text(r.label) for r in pack.roles} if pack else {}
        self.categories = {c.id: self.m.text(c.label) for c in pack.data_categories} if pack else {}
        lc = pack.lifecycle if pack else None
        self.phases = {p.id: self.m.text(p.label) for p in lc.phases} if lc else {}
        about = {lab.field: lab for lab in pack.labels} if pack else {}
        self.subjects = {
            key: str(getattr(text, self.m.lang))
            for key, text in (
                about["payload.about"].values if "payload.about" in about else {}
            ).items()
        }
        self._phrases: list[tuple[str, str]] | None = None

    @property
    def nl(self) -> bool:
        return self.m.lang == "nl"

    def actors(self, roles: str | tuple[str, ...] | list[str]) -> str:
        """Who may take an allowed action: anyone, or the roles by their labels."""
        if roles in ("*", "any"):
            return self.m("word.anyone")
        return roles if isinstance(roles, str) else ", ".join(self.role(r) for r in roles)

    def pack_line(self, d: Any) -> str:
        """The decision's pack, version, content hash, engine and evaluation moment."""
        return str(
            self.m(
                "decision.pack",
                id=d.pack.id,
                version=d.pack.version,
                hash=d.pack.content_hash[:19],
                engine=d.pack.engine_version,
                as_of=d.as_of,
            )
        )

    def role(self, role_id: str) -> str:
        if role_id in self.roles:
            return self.roles[role_id]
        return self.m(f"role.{role_id}") if self.m.has(f"role.{role_id}") else role_id

    def finding(self, code: str) -> str:
        """A finding's kind in words."""
        return self.m(f"finding.{code}") if self.m.has(f"finding.{code}") else code

    def category(self, cat_id: str) -> str:
        return self.categories.get(cat_id, cat_id)

    def phase(self, phase_id: str) -> str:
        return self.phases.get(phase_id, phase_id)

    def event(self, event_type: str) -> str:
        """An event in words: a core event from the catalogue in Dutch (its type in
        English, as the pack writes it), a pack's event by its label."""
        if "." in event_type and event_type in self.m.names:
            return self.m.names[event_type]
        return self.m.event(event_type, self.pack) if self.nl else event_type

    def about(self, subject: str) -> str:
        """What a duty informs about: the pack's `labels:` words for ``payload.about``; the
        answer to a data-subject request names the right and the request."""
        request = _REQUEST.fullmatch(subject)
        if request and self.m.has(f"compare.right.{request['right']}"):
            right = self.m(f"compare.right.{request['right']}")
            return self.m("about.request", right=right, id=request["id"])
        return self.subjects.get(subject, self.m.name(subject))

    def named_about(self, subject: str) -> bool:
        """Whether ``about`` has words (else a notification is told by its duty's label)."""
        return (
            subject in self.subjects or subject in self.m.names or bool(_REQUEST.fullmatch(subject))
        )

    def duty(self, duty_id: str) -> str | None:
        """An information duty's label in this language, if it has one (in English only a
        two-language one: a plain label is the covenant's Dutch)."""
        if self.pack is None:
            return None
        for d in self.pack.information_duties:
            if d.id == duty_id and d.label and (self.nl or isinstance(d.label, Bilingual)):
                return self.text(d.label)
        return None

    def notification_about(self, n: Any) -> str:
        """What a notification is about: the subject in words, else its duty's label, else
        the subject's id."""
        if self.named_about(n.about):
            return self.about(n.about)
        return self.duty(n.duty) or n.about

    def scope(self, scope: str) -> str:
        """A retention scope: the pack's `labels:` name for ``retention.<scope>``, or a
        data category's label."""
        return self.m.names.get(f"retention.{scope}", self.categories.get(scope, scope))

    def rule(self, ident: str) -> str:
        """A rule by its id; a data category, phase or setting acting as a rule by its label."""
        return self.m.name(ident)

    def setting(self, ident: str) -> str:
        """A setting by its label (an open point names its setting; a rule id stays)."""
        if self.pack is not None and any(s.id == ident for s in self.pack.settings):
            return self.m.name(ident)
        return ident

    def setting_reading(self, ident: str, reading: str | None) -> str:
        """The reading an open point's setting takes, without repeating the setting."""
        if not reading:
            return "-"
        return self.reason(reading.removeprefix(f"setting {ident} = "))

    def ground(self, ground: str | None) -> str:
        return self.m.name(ground) if ground else "-"

    def status(self, status: str) -> str:
        return self.m(f"status.{status}") if self.m.has(f"status.{status}") else status.upper()

    def condition(self, condition: Any) -> str:
        return describe(condition, self.labels)

    def text(self, value: str) -> str:
        """A pack text (or the decision's copy of one) in this language."""
        return self.m.text(value)

    def reason(self, text: str) -> str:
        """An engine sentence in this language: conditions in words, then the sentence."""
        if self.pack is not None:
            if self._phrases is None:
                self._phrases = condition_phrases(self.pack, self.labels)
            for raw, words in self._phrases:
                if raw in text:
                    text = text.replace(raw, words)
        return self.m.reason(text)


# the subject of the answer to a data-subject request (engine/rights.py)
_REQUEST = re.compile(r"(?P<right>\w+) request (?P<id>\S+)")


def condition_phrases(pack: Pack, words: Labels) -> list[tuple[str, str]]:
    """Every condition in a pack as the engine writes it and in words, longest first, so an
    engine sentence quoting a condition can be rewritten without the engine knowing labels."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, CONDITION_TYPES):
            found.setdefault(raw_describe(node), describe(node, words))
        if isinstance(node, BaseModel):
            for name in type(node).model_fields:
                walk(getattr(node, name))
        elif isinstance(node, tuple | list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for item in node.values():
                walk(item)

    walk(pack)
    return sorted(found.items(), key=lambda kv: -len(kv[0]))


def _when(n: Any, w: Words) -> str:
    m = w.m
    if n.due is not None:
        by = n.due_at.isoformat(timespec="minutes") if n.counting == "elapsed_hours" else n.due
        return m("when.by", date=by) + (m("when.asap_suffix") if n.asap else "")
    if n.asap:
        return m("when.asap")
    return m("when.none") + (f": {w.reason(n.note)}" if n.note else "")


def _sharing_line(rule: Any, w: Words) -> str:
    m = w.m
    givers = m("word.anyone") if rule.from_roles == "*" else ", ".join(map(w.role, rule.from_roles))
    takers = m("word.anyone") if rule.to_roles == "*" else ", ".join(map(w.role, rule.to_roles))
    cats = (
        m("word.all_data")
        if rule.categories == "*"
        else ", ".join(w.category(c) for c in rule.categories)
    )
    cond = " " + guard(rule.when, w.labels, deny=rule.effect.value == "deny") if rule.when else ""
    return f"{givers} -> {takers}: {cats}{cond} [{rule.id}: {rule.source.cite()}]"


def _cats(categories: tuple[str, ...], every: tuple[str, ...], w: Words) -> str:
    """A short list: the categories, or "all but ..." when that is shorter."""
    if not categories:
        return "-"
    missing = [c for c in every if c not in categories]
    if not missing:
        return w.m("cats.all", n=len(every))
    if len(missing) < len(categories):
        return w.m("cats.all_but", items=", ".join(w.category(c) for c in missing))
    return ", ".join(w.category(c) for c in categories)


def decision(d: CaseDecision, pack: Pack, *, lang: str | None = None) -> str:
    """A page a case worker can act on: who must be told by when, what may be done, when
    the file must go, each with the article it comes from. ``lang``: nl or en (default:
    the pack's language)."""
    w = Words(pack, lang)
    m = w.m
    cites = citations(pack)
    ok, denied = m("mark.ok"), m("mark.denied")
    width = max(len(ok), len(denied))
    out = [
        m("decision.title", case=d.case_id, title=w.text(pack.pack.title)),
        w.pack_line(d),
        m("decision.phase", label=w.phase(d.phase))
        + (" " + m("decision.owner", owner=w.role(d.owner)) if d.owner else ""),
        "",
        m("decision.events"),
    ]
    for ev in d.events:
        mark = (ok if ev.allowed else denied).ljust(width)
        move = f" -> {w.phase(ev.phase_after)}" if ev.phase_after != ev.phase_before else ""
        force = "" if ev.in_force else "  " + m("decision.not_in_force")
        out.append(f"  {mark} #{ev.index} {ev.at} {w.event(ev.type)}{move}{force}")
        if not ev.allowed:
            pad = " " * (width + 5)
            for reason in ev.reasons:
                out.append(f"{pad}{w.reason(reason)}")
            cited = [f"{w.rule(r)} ({cites[r]})" for r in ev.rules if cites.get(r)]
            if cited:
                out.append(pad + m("decision.rule", rules=", ".join(cited)))
    if d.ignored_after_as_of:
        out.append("  " + m("decision.ignored", n=d.ignored_after_as_of, as_of=d.as_of))
    out += ["", m("decision.notifications")]
    if not d.notifications:
        out.append("  " + m("decision.nothing"))
    for n in d.notifications:
        line = (
            "  "
            + w.status(n.status).ljust(12)
            + " "
            + m(
                "decision.notification"
                if w.named_about(n.about) or w.duty(n.duty) is None
                else "decision.notification_duty",
                who=w.role(n.recipient),
                about=w.notification_about(n),
                by=w.role(n.informer),
                when=_when(n, w),
            )
        )
        if n.status == "waived":
            line += m("decision.waived", ground=w.ground(n.ground), reason=w.reason(n.reason or ""))
        if n.status == "done":
            line += m("decision.done", n=n.done_event) + (m("decision.late") if n.late else "")
        out.append(line)
        origin = "" if n.origin == d.pack.id else m("decision.baseline", origin=n.origin)
        out.append(f"{'':15}[{n.duty}: {n.source}{origin}]")
    if d.deadlines:
        out += ["", m("decision.deadlines")]
        for pd in d.deadlines:
            due = pd.due or m("word.unspecified")
            out.append(
                "  "
                + w.status(pd.status).ljust(12)
                + " "
                + m("decision.deadline", label=w.text(pd.label), due=due)
                + f" [{pd.rule}: {pd.source}]"
            )
    out += ["", m("decision.deletions")]
    for dl in d.deletions:
        if dl.date is not None:
            out.append(
                "  "
                + m(
                    "decision.delete_on",
                    scope=w.scope(dl.scope) + (f" ({dl.subject})" if dl.subject else ""),
                    date=dl.date,
                    reason=w.reason(dl.reason),
                )
                + f" [{dl.rule}: {dl.source}]"
            )
            if dl.anchor:
                out.append(f"{'':11}" + m("decision.counted_from", date=dl.anchor))
            if dl.alert_on:
                out.append(f"{'':11}" + m("decision.alert_on", date=dl.alert_on))
            for exc in dl.exceptions:
                out.append(f"{'':11}" + m("decision.exception", text=w.reason(exc)))
            if dl.surviving_fields:
                fields = ", ".join(dl.surviving_fields)
                out.append(f"{'':11}" + m("decision.surviving", fields=fields))
        else:
            out.append(
                "  " + m("decision.no_date", scope=w.scope(dl.scope), reason=w.reason(dl.reason))
            )
    out += _v2_parts(d, w)
    out += ["", m("decision.next")]
    may, blocked = m("mark.may"), m("mark.blocked")
    width = max(len(may), len(blocked))
    for action in d.allowed_actions:
        who = w.actors(action.roles)
        mark = (may if action.allowed else blocked).ljust(width)
        out.append(
            f"  {mark} "
            + m(
                "decision.action",
                event=w.event(action.event),
                who=who,
                reason=w.reason(action.reason),
            )
        )
    if d.access:
        out += ["", m("decision.access", phase=w.phase(d.phase))]
        every = tuple(c.id for c in pack.data_categories)
        for ra in d.access:
            out.append(
                "  "
                + m(
                    "decision.access_line",
                    role=w.role(ra.role),
                    read=_cats(ra.read, every, w),
                    write=_cats(ra.write, every, w),
                )
            )
    here = [r for r in pack.sharing if r.phases == "*" or d.phase in r.phases]
    for effect, title in (("allow", "decision.share_allow"), ("deny", "decision.share_deny")):
        rules = [r for r in here if r.effect.value == effect]
        if rules:
            out += ["", m(title, phase=w.phase(d.phase))]
            out += [f"  {_sharing_line(rule, w)}" for rule in rules]
    out += ["", m("decision.footer")]
    return "\n".join(out)


def _v2_parts(d: CaseDecision, w: Words) -> list[str]:
    """Records to write down, compliance findings and the open points the case touched."""
    m = w.m
    out: list[str] = []
    if d.records:
        out += ["", m("decision.records")]
        for r in d.records:
            line = "  " + w.status(r.status).ljust(12) + " " + w.text(r.what)
            if r.by:
                line += " " + m("decision.record_by", by=w.role(r.by))
            if r.due:
                line += ", " + m("when.by", date=r.due)
            if r.subject:
                line += f" ({r.subject})"
            out.append(line + f" [{r.rule}: {r.source}]")
    if d.findings:
        out += ["", m("decision.findings")]
        for f in d.findings:
            at = f" #{f.event}" if f.event is not None else ""
            cite = f" [{f.rule}: {f.source}]" if f.source else f" [{f.rule}]"
            out.append(f"  {w.finding(f.code)}{at}: {w.reason(f.message)}{cite}")
    if d.open_points:
        out += ["", m("decision.open_points")]
        for p in d.open_points:
            kind = m(f"open.{p.kind}") if m.has(f"open.{p.kind}") else p.kind
            line = f"  {kind} {w.setting(p.rule)}: {w.reason(p.note)}"
            if p.setting == p.rule:  # the open point is the setting: name it once
                line += " " + m(
                    "decision.open_reading", reading=w.setting_reading(p.setting, p.reading)
                )
            elif p.setting:
                line += " " + m(
                    "decision.open_setting",
                    setting=w.setting(p.setting),
                    reading=w.setting_reading(p.setting, p.reading),
                )
            out.append(line + (f" [{p.source}]" if p.source else ""))
    return out


def _entries(entries: Any, w: Words) -> list[str]:
    m = w.m
    out = []
    for e in entries:
        outcome = m(f"outcome.{e.outcome}") if m.has(f"outcome.{e.outcome}") else e.outcome
        cite = f" ({e.source})" if e.source else ""
        out.append(f"    {outcome:15} {w.rule(e.rule)}{cite}: {w.reason(e.reason)}")
    return out


def verdict(v: Verdict, pack: Pack, *, question: str = "", lang: str | None = None) -> str:
    """The answer to a point question (check access / sharing): the verdict, why, and the
    rules with their articles."""
    w = Words(pack, lang)
    m = w.m
    cites = citations(pack)
    out = [question] if question else []
    out.append(m("check.allowed" if v.allowed else "check.denied"))
    out += [f"  {w.reason(r)}" for r in v.reasons]
    cited = [f"{w.rule(r)} ({cites[r]})" for r in v.rules if cites.get(r)]
    if cited:
        out.append("  " + m("decision.rule", rules=", ".join(cited)))
    if v.trace:
        out += ["", m("check.trace"), *_entries(v.trace, w)]
    return "\n".join(out)


def intake_verdict(v: IntakeVerdict, pack: Pack, *, lang: str | None = None) -> str:
    """Whether a household qualifies, criterion by criterion."""
    w = Words(pack, lang)
    m = w.m
    out = [m("check.eligible" if v.eligible else "check.not_eligible")]
    for key, ids in (
        ("check.met", v.met),
        ("check.failed", v.failed),
        ("check.undetermined", v.undetermined),
    ):
        if ids:
            out.append("  " + m(key, items=", ".join(ids)))
    out += [f"  {w.reason(r)}" for r in v.reasons]
    return "\n".join(out)


def trace(d: CaseDecision, pack: Pack | None = None, *, lang: str | None = None) -> str:
    """The trace grouped by event: which rules fired, and why others did not."""
    w = Words(pack, lang)
    m = w.m
    out: list[str] = []
    by_event: dict[int | None, list[Any]] = {}
    for entry in d.trace:
        by_event.setdefault(entry.event, []).append(entry)
    for ev in d.events:
        verdict = m("trace.allowed" if ev.allowed else "trace.denied")
        move = f"{w.phase(ev.phase_before)} -> {w.phase(ev.phase_after)}"
        out.append(f"#{ev.index} {ev.at} {w.event(ev.type)} ({verdict}; {move})")
        for entry in by_event.get(ev.index, []):
            origin = (
                " " + m("trace.baseline", origin=entry.origin)
                if entry.origin not in (None, d.pack.id)
                else ""
            )
            cite = f" ({entry.source})" if entry.source else ""
            outcome = (
                m(f"outcome.{entry.outcome}")
                if m.has(f"outcome.{entry.outcome}")
                else entry.outcome
            )
            out.append(
                f"    {outcome:15} {w.rule(entry.rule)}{cite}{origin}: {w.reason(entry.reason)}"
            )
    return "\n".join(out)


def problem(p: Problem, *, lang: str | None = None) -> str:
    """A problem with the input: place, "error", path, message and hint, in the language
    (the message is the loader's sentence, translated where the catalogue knows it)."""
    m = Messages(language(lang or "en"))
    if m.lang == "en":
        return str(p)
    severity = m("severity." + p.severity)
    label = f"{severity}[{p.code}]" if p.code else severity
    text = f"{place(p.file or '<input>', p.line, p.column)}: {label}: "
    if p.path:
        text += f"{p.path}: "
    text += m.reason(p.message)
    if p.hint:
        text += f" ({m.reason(p.hint)})"
    return text


def problems(found: Iterable[Problem], *, lang: str | None = None) -> list[str]:
    """Each problem on its line; after the first problem with a code, the link to that
    code's page (``docs/errors/<code>.md``, or under ``$MPH_RULES_DOCS_URL``)."""
    m = Messages(language(lang or "en"))
    lines: list[str] = []
    shown: set[str] = set()
    for p in found:
        lines.append(problem(p, lang=m.lang))
        if p.code in CODES and p.code not in shown:
            shown.add(p.code)
            lines.append("    " + m("problem.see", url=help_url(p.code)))
    return lines


def finding(f: Finding, m: Messages) -> str:
    """One lint finding: place, severity and check in the language; the check's own message
    and hint through the reason catalogue (a sentence it does not know stays as written)."""
    if m.lang == "en":
        return str(f)
    where = place(f.file or "<pack>", f.line, f.column)
    summary = m(f"check.{f.check}") if m.has(f"check.{f.check}") else ""
    text = f"{where}: {m('severity.' + f.severity.value)}[{f.check}]: "
    if summary:
        text += f"{summary}: "
    if f.path:
        text += f"{f.path}: "
    return text + m.reason(f.message) + "\n    " + m("lint.hint", hint=m.reason(f.hint))


def lint(
    report: LintReport,
    *,
    matrix: bool = False,
    show_suppressed: bool = False,
    lang: str | None = None,
) -> str:
    """A lint report: findings with file:line and a hint, then the access matrix counts."""
    m = Messages(language(lang))
    out = [finding(f, m) for f in report.findings]
    if show_suppressed:
        out += [m("lint.suppressed_prefix") + " " + finding(f, m) for f in report.suppressed]
    counts = report.matrix.counts()
    total = len(report.matrix.cells)
    out.append(
        m(
            "lint.summary",
            pack=report.pack,
            errors=len(report.errors),
            warnings=len(report.warnings),
        )
        + (m("lint.suppressed", n=len(report.suppressed)) if report.suppressed else "")
    )
    out.append(
        "  "
        + m(
            "lint.matrix",
            total=total,
            allow=counts["allow"],
            conditional=counts["conditional"],
            deny=counts["deny"],
            default_deny=counts["default_deny"],
            no_basis=counts["allow_without_legal_basis"],
        )
    )
    if matrix:
        out.append(access_matrix(report.matrix, lang=m.lang))
    elif total:
        out.append("  " + m("lint.run_matrix"))
    return "\n".join(out)


def access_matrix(am: AccessMatrix, *, lang: str | None = None) -> str:
    """One block per role: categories down, phases across, two marks per cell (read, write):
    A allowed, ? only under a condition, x denied by a rule, . default deny."""
    m = Messages(language(lang))
    lines = ["", m("matrix.legend")]
    width = max((len(c) for c in am.categories), default=8)
    closed: list[str] = []
    for role in am.roles:
        mine = [c for c in am.cells if c.role == role]
        cells = {(c.category, c.phase, c.action): c.verdict for c in mine}
        if not any(v in (CellVerdict.ALLOW, CellVerdict.CONDITIONAL) for v in cells.values()):
            denied = [c for c in mine if c.verdict is CellVerdict.DENY]
            rules = sorted({r for c in denied for r in c.rules})
            closed.append(
                "  "
                + m(
                    "matrix.closed_role",
                    role=role,
                    denied=len(denied),
                    rules=f" ({', '.join(rules)})" if rules else "",
                    default=len(mine) - len(denied),
                )
            )
            continue
        lines += ["", f"{role}:"]
        lines.append(" " * (width + 2) + " ".join(f"{i:>2}" for i in range(1, len(am.phases) + 1)))
        for cat in am.categories:
            marks = " ".join(
                SYMBOL[cells[(cat, ph, "read")]] + SYMBOL[cells[(cat, ph, "write")]]
                for ph in am.phases
            )
            lines.append(f"  {cat:<{width}} {marks}")
    lines.append("")
    lines.append(
        m("matrix.phases", phases=", ".join(f"{i} {p}" for i, p in enumerate(am.phases, 1)))
    )
    if closed:
        lines.append(m("matrix.closed"))
        lines += closed
    return "\n".join(lines)


def topics(c: Comparison, show_all: bool) -> list[tuple[str, list[ComparisonRow]]]:
    """The comparison's rows grouped by topic (intake, retention, ...), in order; without
    ``show_all`` only the rows where the packs differ, and only topics that keep a row."""
    groups: dict[str, list[ComparisonRow]] = {}
    for row in c.rows:
        if show_all or row.differs:
            groups.setdefault(row.aspect, []).append(row)
    return list(groups.items())


def topic_name(aspect: str, m: Messages) -> str:
    key = "compare.topic." + aspect.replace(" ", "_")
    return m(key) if m.has(key) else aspect


def compare(
    c: Comparison, *, width: int = 120, show_all: bool = False, lang: str | None = None
) -> str:
    """Per topic a boxed grid, one column per pack, wrapped to fit the width; by default
    only what differs."""
    m = Messages(language(lang))
    first = 22
    n = len(c.packs)
    col = max(20, (width - 1 - first - 3 * (n + 1)) // n)
    widths = [first] + [col] * n

    def grid_row(cells: list[str]) -> list[str]:
        wrapped = []
        for cell, w in zip(cells, widths, strict=True):
            lines: list[str] = []
            for part in cell.split("\n"):
                lines += textwrap.wrap(part, w, subsequent_indent="  ") or [""]
            wrapped.append(lines)
        height = max(len(w) for w in wrapped)
        return [
            "| "
            + " | ".join(
                (w[i] if i < len(w) else "").ljust(widths[j]) for j, w in enumerate(wrapped)
            )
            + " |"
            for i in range(height)
        ]

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    groups = topics(c, show_all)
    shown = sum(len(rows) for _, rows in groups)
    differing = sum(r.differs for r in c.rows)
    out = [m("compare.summary", differ=differing, total=len(c.rows), packs=", ".join(c.packs))]
    for aspect, rows in groups:
        out += ["", topic_name(aspect, m).upper(), rule, *grid_row(["", *c.packs]), rule]
        for r in rows:
            label = r.item + ("" if r.differs else " " + m("compare.same"))
            out += [*grid_row([label, *r.values]), rule]
    if not shown:
        out.append(m("compare.nothing_differs"))
    if not show_all:
        out += ["", m("compare.left_out")]
    return "\n".join(out)
