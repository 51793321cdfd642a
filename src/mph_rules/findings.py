"""v2 checks that may flag instead of refuse (design.md v2, "on_violation: deny | flag").

Where a covenant says an act must be preceded by something but does not forbid the act, the
act is allowed and a finding is raised. Where it leaves the outcome open, the verdict is
`unspecified`. The functions here decide those cases for the rule families; they read rules
and plain facts and never touch the case state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mph_rules.calendar import WorkingDayCalendar, compute_deadline, parse_duration
from mph_rules.decision import UNSPECIFIED, Verdict
from mph_rules.schema import InformationDuty
from mph_rules.schema.lifecycle import NotBefore
from mph_rules.schema.rules import ActorLimit


def waiting_period_unmet(
    not_before: NotBefore,
    earlier: Iterable[tuple[dt.date, Any]],
    day: dt.date,
    matches: Callable[[Any], bool],
    working: WorkingDayCalendar | None = None,
) -> str | None:
    """Why the event comes too early (`not_before`), or None. `earlier` are (day, event) of
    the allowed events of type `not_before.after.event`; the latest matching one counts.
    `working` is the pack's "werkdagen" calendar, as for every other deadline."""
    latest = None
    for when, event in earlier:
        if matches(event):
            latest = when
    if latest is None:
        return None
    deadline = compute_deadline(
        latest, parse_duration(not_before.duration), not_before.counting, working_days=working
    )
    if day < deadline.due:
        return (
            f"not before {deadline.due} ({not_before.duration} after "
            f"{not_before.after.event} on {latest})"
        )
    return None


def actor_problem(
    limit: ActorLimit | None, role: str | None, mandated: Iterable[str]
) -> str | None:
    """Why this role may not perform the act, or None (no limit, a listed role, a mandate)."""
    if limit is None:
        return None
    if role is not None and role in limit.roles:
        return None
    if limit.mandate is not None and role is not None and role in set(mandated):
        return None
    allowed = ", ".join(limit.roles) or "nobody"
    extra = f" or a role mandated by {limit.mandate.event}" if limit.mandate is not None else ""
    return f"{role or 'an unknown actor'} may not perform it (allowed: {allowed}{extra})"


def informing_problems(duty: InformationDuty, payload: Any) -> list[tuple[str, str]]:
    """(code, message) for an informing act in the wrong form or missing required content."""
    problems: list[tuple[str, str]] = []
    forms = duty.form if isinstance(duty.form, tuple) else ()
    if forms:
        form = getattr(payload, "form", None)
        if form is None:
            how = getattr(payload, "how", None)
            form = how if how not in (None, "unspecified") else None
        # an act that does not state its form is taken as given in the right one (v1 packs
        # list `form` without events saying theirs); a stated other form is a breach
        # a registered letter (aangetekend) is a written act: it meets a duty asking 'schriftelijk'
        if form == "registered" and "written" in forms:
            form = "written"
        if form is not None and form not in forms:
            problems.append(
                ("wrong_form", f"{duty.id}: given {form}, the source asks {'/'.join(forms)}")
            )
    if duty.required_content:
        given = set(getattr(payload, "content", ()) or ())
        missing = [c for c in duty.required_content if c not in given]
        if missing:
            problems.append(("content_missing", f"{duty.id}: the act lacks {', '.join(missing)}"))
    return problems


def flagged_verdict(verdict: Verdict, rules: Mapping[str, Any]) -> tuple[Verdict, list[str]]:
    """Apply `on_violation: flag` and `outcome: unspecified` of access/sharing rules.

    A denial by `flag` rules only, where another rule allows the act, becomes an allowance
    with a finding per flag rule (their ids are returned); an allowance by `outcome:
    unspecified` rules only becomes `unspecified`.
    """
    decided = [rules[r] for r in verdict.rules if r in rules]
    if not decided or len(decided) != len(verdict.rules):
        return verdict, []
    if not verdict.allowed:
        # a flag rule turns a refusal into a finding only where another rule allows the act
        allowed_by_other = any(t.outcome == "allowed" for t in verdict.trace)
        if allowed_by_other and all(getattr(r, "on_violation", "deny") == "flag" for r in decided):
            reasons = tuple(f"{why} (flagged, not refused)" for why in verdict.reasons)
            allowed = Verdict(True, verdict.rules, reasons, verdict.trace)
            return allowed, [r.id for r in decided]
        return verdict, []
    if all(getattr(r, "outcome", None) == "unspecified" for r in decided):
        notes = tuple(f"{r.id}: the source leaves this open: {r.note}" for r in decided)
        return Verdict(True, verdict.rules, notes, verdict.trace, verdict=UNSPECIFIED), []
    return verdict, []


__all__ = ["actor_problem", "flagged_verdict", "informing_problems", "waiting_period_unmet"]
