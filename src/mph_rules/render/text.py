"""Terminal text: a decision (``decision``), its trace (``trace``), a lint report (``lint``),
the access matrix (``access_matrix``) and a comparison of packs (``compare``)."""

from __future__ import annotations

import textwrap
from typing import Any

from mph_rules.analysis import AccessMatrix, CellVerdict, Comparison, LintReport
from mph_rules.conditions import describe
from mph_rules.decision import CaseDecision
from mph_rules.schema import Pack
from mph_rules.schema.pack import RULE_SECTIONS

SYMBOL = {
    CellVerdict.ALLOW: "A",
    CellVerdict.CONDITIONAL: "?",
    CellVerdict.DENY: "x",
    CellVerdict.DEFAULT_DENY: ".",
}


def citations(pack: Pack) -> dict[str, str]:
    """Rule id -> "document article", for every rule, phase, criterion and default of a pack."""
    sources: dict[str, str] = {}
    for section in (*RULE_SECTIONS, "data_categories", "exception_grounds"):
        for item in getattr(pack, section):
            sources[item.id] = item.source.cite()
    lc = pack.lifecycle
    if lc:
        for item in (*lc.phases, *lc.transitions, *lc.deadlines):
            sources[item.id] = item.source.cite()
    if pack.intake:
        for crit in pack.intake.criteria:
            sources[crit.id] = crit.source.cite()
    if pack.defaults is not None:
        for kind in ("access", "sharing"):
            rule = getattr(pack.defaults, kind)
            if rule is not None:
                sources[f"default_deny.{kind}"] = rule.source.cite()
    return sources


def _when(n: Any) -> str:
    if n.due is not None:
        by = n.due_at.isoformat(timespec="minutes") if n.counting == "elapsed_hours" else n.due
        return f"by {by}" + (" (as soon as possible)" if n.asap else "")
    if n.asap:
        return "as soon as possible (no date in the source)"
    return "no deadline given" + (f": {n.note}" if n.note else "")


def _sharing_line(rule: Any) -> str:
    givers = "anyone" if rule.from_roles == "*" else ", ".join(rule.from_roles)
    takers = "anyone" if rule.to_roles == "*" else ", ".join(rule.to_roles)
    cats = "all data" if rule.categories == "*" else ", ".join(rule.categories)
    cond = f" if {describe(rule.when)}" if rule.when is not None else ""
    return f"{givers} -> {takers}: {cats}{cond} [{rule.id}: {rule.source.cite()}]"


def _cats(categories: tuple[str, ...], every: tuple[str, ...]) -> str:
    """A short list: the categories, or "all but ..." when that is shorter."""
    if not categories:
        return "-"
    missing = [c for c in every if c not in categories]
    if not missing:
        return f"all {len(every)} data categories"
    if len(missing) < len(categories):
        return "all but " + ", ".join(missing)
    return ", ".join(categories)


def decision(d: CaseDecision, pack: Pack) -> str:
    """A page a case worker can act on: who must be told by when, what may be done, when
    the file must go, each with the article it comes from."""
    cites = citations(pack)
    phases = {p.id: p.label for p in pack.lifecycle.phases} if pack.lifecycle else {}
    roles = {r.id: r.label for r in pack.roles}
    out = [
        f"Case {d.case_id} under {pack.pack.title}",
        f"  pack {d.pack.id} {d.pack.version} ({d.pack.content_hash[:19]}...), "
        f"engine {d.pack.engine_version}, as of {d.as_of}",
        f"Phase: {d.phase} ({phases.get(d.phase, d.phase)})",
        "",
        "Events",
    ]
    for ev in d.events:
        mark = "ok    " if ev.allowed else "DENIED"
        move = f" -> {ev.phase_after}" if ev.phase_after != ev.phase_before else ""
        force = "" if ev.in_force else "  [covenant not in force on this date]"
        out.append(f"  {mark} #{ev.index} {ev.at} {ev.type}{move}{force}")
        if not ev.allowed:
            for reason in ev.reasons:
                out.append(f"           {reason}")
            cited = [f"{r} ({cites[r]})" for r in ev.rules if cites.get(r)]
            if cited:
                out.append(f"           rule: {', '.join(cited)}")
    if d.ignored_after_as_of:
        out.append(f"  ({d.ignored_after_as_of} later event(s) after {d.as_of} not considered)")
    out += ["", "Who must be told"]
    if not d.notifications:
        out.append("  nothing")
    for n in d.notifications:
        who = roles.get(n.recipient, n.recipient)
        by = roles.get(n.informer, n.informer)
        line = f"  {n.status.upper():8} {who} about {n.about}, by {by}: {_when(n)}"
        if n.status == "waived":
            line += f"; waived on ground {n.ground}: {n.reason}"
        if n.status == "done":
            line += f"; done at event #{n.done_event}" + (" (late)" if n.late else "")
        out.append(line)
        origin = "" if n.origin == d.pack.id else f", baseline {n.origin}"
        out.append(f"           [{n.duty}: {n.source}{origin}]")
    if d.deadlines:
        out += ["", "Process deadlines"]
        for pd in d.deadlines:
            due = pd.due or "unspecified"
            out.append(f"  {pd.status.upper():8} {pd.label}: due {due} [{pd.rule}: {pd.source}]")
    out += ["", "When the data must be deleted"]
    for deletion in d.deletions:
        dl = deletion
        if dl.date is not None:
            out.append(f"  {dl.scope}: delete on {dl.date} ({dl.reason}) [{dl.rule}: {dl.source}]")
            if dl.anchor:
                out.append(f"           counted from {dl.anchor}")
            if dl.alert_on:
                out.append(f"           alert due on {dl.alert_on}")
            for exc in dl.exceptions:
                out.append(f"           exception: {exc}")
        else:
            out.append(f"  {dl.scope}: no date yet: {dl.reason}")
    out += ["", "What may happen next"]
    for action in d.allowed_actions:
        who = action.roles if isinstance(action.roles, str) else ", ".join(action.roles)
        mark = "may   " if action.allowed else "BLOCKED"
        out.append(f"  {mark} {action.event} (by {who}): {action.reason}")
    if d.access:
        out += ["", f"Who may see and write what in phase {d.phase}"]
        every = tuple(c.id for c in pack.data_categories)
        for ra in d.access:
            out.append(
                f"  {roles.get(ra.role, ra.role)}: read {_cats(ra.read, every)}; "
                f"write {_cats(ra.write, every)}"
            )
    here = [r for r in pack.sharing if r.phases == "*" or d.phase in r.phases]
    for effect, title in (
        ("allow", f"What may be shared in phase {d.phase}"),
        ("deny", f"What may not be shared in phase {d.phase} (a prohibition wins)"),
    ):
        rules = [r for r in here if r.effect.value == effect]
        if rules:
            out += ["", title]
            out += [f"  {_sharing_line(rule)}" for rule in rules]
    out += ["", "Run `mph-rules explain` with the same arguments for the full trace."]
    return "\n".join(out)


def trace(decision: CaseDecision) -> str:
    """The trace grouped by event: which rules fired, and why others did not."""
    out: list[str] = []
    by_event: dict[int | None, list[Any]] = {}
    for entry in decision.trace:
        by_event.setdefault(entry.event, []).append(entry)
    for ev in decision.events:
        verdict = "allowed" if ev.allowed else "DENIED"
        out.append(
            f"#{ev.index} {ev.at} {ev.type} ({verdict}; {ev.phase_before} -> {ev.phase_after})"
        )
        for entry in by_event.get(ev.index, []):
            origin = (
                f" [baseline {entry.origin}]"
                if entry.origin not in (None, decision.pack.id)
                else ""
            )
            cite = f" ({entry.source})" if entry.source else ""
            out.append(f"    {entry.outcome:15} {entry.rule}{cite}{origin}: {entry.reason}")
    return "\n".join(out)


def lint(report: LintReport, *, matrix: bool = False, show_suppressed: bool = False) -> str:
    out = [str(f) for f in report.findings]
    if show_suppressed:
        out += [f"(suppressed) {f}" for f in report.suppressed]
    counts = report.matrix.counts()
    total = len(report.matrix.cells)
    out.append(
        f"{report.pack}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        + (f", {len(report.suppressed)} suppressed" if report.suppressed else "")
    )
    out.append(
        f"  access matrix: {total} cells (role x category x phase x read/write): "
        f"{counts['allow']} allowed, {counts['conditional']} conditional, "
        f"{counts['deny']} denied by a rule, {counts['default_deny']} default deny; "
        f"{counts['allow_without_legal_basis']} allowed cells without a legal basis"
    )
    if matrix:
        out.append(access_matrix(report.matrix))
    elif total:
        out.append("  (run with --matrix to see every cell)")
    return "\n".join(out)


def access_matrix(m: AccessMatrix) -> str:
    """One block per role: categories down, phases across, two marks per cell (read, write):
    A allowed, ? only under a condition, x denied by a rule, . default deny."""
    lines = [
        "",
        "access matrix: per cell read+write; A allowed, ? conditional, x denied by a rule, "
        ". default deny (no rule decides)",
    ]
    width = max((len(c) for c in m.categories), default=8)
    closed: list[str] = []
    for role in m.roles:
        mine = [c for c in m.cells if c.role == role]
        cells = {(c.category, c.phase, c.action): c.verdict for c in mine}
        if not any(v in (CellVerdict.ALLOW, CellVerdict.CONDITIONAL) for v in cells.values()):
            denied = [c for c in mine if c.verdict is CellVerdict.DENY]
            rules = sorted({r for c in denied for r in c.rules})
            closed.append(
                f"  {role}: {len(denied)} cells denied"
                + (f" ({', '.join(rules)})" if rules else "")
                + f", {len(mine) - len(denied)} default deny"
            )
            continue
        lines += ["", f"{role}:"]
        lines.append(" " * (width + 2) + " ".join(f"{i:>2}" for i in range(1, len(m.phases) + 1)))
        for cat in m.categories:
            marks = " ".join(
                SYMBOL[cells[(cat, ph, "read")]] + SYMBOL[cells[(cat, ph, "write")]]
                for ph in m.phases
            )
            lines.append(f"  {cat:<{width}} {marks}")
    lines.append("")
    lines.append("phases: " + ", ".join(f"{i} {p}" for i, p in enumerate(m.phases, 1)))
    if closed:
        lines.append("roles allowed nothing anywhere:")
        lines += closed
    return "\n".join(lines)


def compare(c: Comparison, *, width: int = 120, show_all: bool = False) -> str:
    """A boxed grid; each pack's column wraps its lines to fit the width."""
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
    out = [rule, *grid_row(["", *c.packs]), rule]
    for aspect, item, values, differs in (
        (r.aspect, r.item, r.values, r.differs) for r in c.rows if show_all or r.differs
    ):
        label = f"{aspect}: {item}" + ("" if differs else " (same)")
        out += [*grid_row([label, *values]), rule]
    if not show_all:
        out.append("Rows where every pack says the same are left out (--all shows them).")
    return "\n".join(out)
