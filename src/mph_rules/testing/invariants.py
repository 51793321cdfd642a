"""Properties every pack must satisfy, as functions a tester calls inside a hypothesis test.

Each function evaluates what it needs, checks one property and raises ``InvariantViolation``
(an ``AssertionError``, so pytest and hypothesis report and shrink it) naming the events,
rules and dates involved. They are written against the pack's own rules, not the engine's
internals: "no rule allows" is read off the pack's access and sharing rules, "a permitted
ground" off the duty's ``exception_grounds``::

    engine = Engine(load_pack("hilversum"))

    @given(st.data())
    def test_my_pack(data):
        case = data.draw(strategies.cases(engine))
        as_of = data.draw(strategies.as_of_dates(case))
        invariants.check_decision(engine, case, as_of)   # every single-case property

The properties, and where each comes from:

- ``deterministic``: same input, same bytes, whichever way it is evaluated (design.md).
- ``deny_by_default``: access and sharing that no rule allows are denied (pack-format.md,
  Access/Sharing; AVG art. 5(1)(b),(c): purpose limitation and minimisation).
- ``denials_cite_sources``, ``notifications_cite_sources``: every denial and every required
  notification names a rule with its source (design.md: "every answer cites the article").
- ``deletions_not_before_trigger``: no data is due for deletion before the event that starts
  its clock (or the event it is counted from).
- ``later_events_keep_deletions``: an event after the case that touches no clock of a scope
  never moves that scope's deletion date earlier, nor removes it.
- ``waivers_justified``: a waived information duty carries a permitted ground and a recorded
  reason (UAVG art. 41(2): the restriction must be justified and recorded).
- ``forbidden_never_recorded``: categories marked ``forbidden`` are never written.
- ``forbidden_never_shared``, ``forbidden_never_provided``: nor shared, whatever a sharing
  rule with ``categories: "*"`` allows (design.md: "may never be recorded or shared").
- ``memo_transparent``: a used engine answers every point query as a fresh one (design.md:
  "a cache must be invisible"), whatever types and sentinel-like values the caller sends.
- ``as_of_ignores_later_events``: a decision as of D does not depend on events after D.
- ``decision_names_pack``, ``reproducible``: the audit trail (pack id, version, content hash,
  engine version, settings) reproduces the decision.
- ``flaw_rejected``: broken input is refused with EventError, or the broken event denied.
- v2 (issue 14): ``nothing_processed_after_deletion``: no data is read, recorded or shared
  after its scope's deletion date (outside a legal hold), save fields that survive
  anonymisation; ``objection_and_withdrawal_honoured``: after an upheld objection or a
  withdrawn consent, that subject's data is no longer processed on it, and no other subject's
  act is refused because of it; ``findings_and_records_cite_rules``: every finding and every
  record names a rule of the pack with its source.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mph_rules import __version__
from mph_rules.compile import CompiledPack, compile_pack
from mph_rules.decision import CaseDecision, EventVerdict, Verdict
from mph_rules.engine import Engine
from mph_rules.errors import EventError
from mph_rules.events import Case, Event
from mph_rules.loading import content_hash
from mph_rules.schema import Effect
from mph_rules.testing import audit
from mph_rules.testing.strategies import Flawed, instant

__all__ = [
    "InvariantViolation",
    "access_denied_by_default",
    "as_of_ignores_later_events",
    "check_decision",
    "decision_names_pack",
    "default_deny_cited",
    "deletions_not_before_trigger",
    "denials_cite_sources",
    "deny_by_default",
    "deterministic",
    "findings_and_records_cite_rules",
    "flaw_rejected",
    "forbidden_never_provided",
    "forbidden_never_recorded",
    "forbidden_never_shared",
    "forbidden_never_writable",
    "later_events_keep_deletions",
    "memo_transparent",
    "nothing_processed_after_deletion",
    "notifications_cite_sources",
    "objection_and_withdrawal_honoured",
    "reproducible",
    "sharing_denied_by_default",
    "verdict_cites_source",
    "waivers_justified",
]

Moment = dt.date | dt.datetime
CaseInput = Case | Mapping[str, Any]
HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_SHOWN = 8


class InvariantViolation(AssertionError):
    """A property of the pack or the engine does not hold; the message says where."""

    def __init__(self, invariant: str, problems: Sequence[str]) -> None:
        self.invariant = invariant
        self.problems = tuple(problems)
        shown = list(problems[:_SHOWN])
        if len(problems) > _SHOWN:
            shown.append(f"... and {len(problems) - _SHOWN} more")
        super().__init__(f"{invariant}:\n  " + "\n  ".join(shown))


def _fail_if(invariant: str, problems: Sequence[str]) -> None:
    if problems:
        raise InvariantViolation(invariant, problems)


def _case(engine: Engine, case: CaseInput) -> Case:
    return engine.validate_case(dict(case) if not isinstance(case, Case) else case)


def _evaluated(case: Case, decision: CaseDecision) -> list[Event]:
    """The events the decision covers (those at or before as_of), with their verdicts."""
    return list(case.events[: len(decision.events)])


# --- evaluation is deterministic ------------------------------------------------------------


def deterministic(engine: Engine, case: CaseInput, as_of: Moment) -> CaseDecision:
    """Evaluating twice, with a freshly compiled engine, and event by event through a
    ``CaseSession`` all give the same JSON, byte for byte. Returns the decision."""
    model = _case(engine, case)
    first = engine.evaluate(model, as_of=as_of)
    text = first.to_json()
    problems = []
    if engine.evaluate(model, as_of=as_of).to_json() != text:
        problems.append("a second evaluation with the same engine differs")
    fresh = Engine(compile_pack(engine.pack), settings=engine.settings)
    if fresh.evaluate(model, as_of=as_of).to_json() != text:
        problems.append("an engine compiled afresh from the same pack decides differently")
    session = engine.session(model.id, facts=model.facts, subjects=model.subjects)
    for event in _evaluated(model, first):
        session.post(event)
    ignored = len(model.events) - len(first.events)
    if session.decision(as_of, ignored=ignored).to_json() != text:
        problems.append("posting the events one by one to a CaseSession decides differently")
    if first.to_json() != text:
        problems.append("to_json() of the same decision differs between calls")
    _fail_if("deterministic", problems)
    return first


# --- deny by default ------------------------------------------------------------------------


def _access_allowers(
    cp: CompiledPack, role: str, category: str, phase: str, action: str
) -> list[str]:
    """Allow rules whose role, category, phase and action cover the cell, whatever their
    condition or purpose: if there is none, nothing can allow it."""
    return [
        r.id
        for r in cp.pack.access
        if r.effect is Effect.ALLOW
        and role in r.roles
        and (r.categories == "*" or category in r.categories)
        and (r.phases == "*" or phase in r.phases)
        and action in {a.value for a in r.actions}
    ]


def _sharing_allowers(cp: CompiledPack, frm: str, to: str, category: str, phase: str) -> list[str]:
    return [
        r.id
        for r in cp.pack.sharing
        if r.effect is Effect.ALLOW
        and (r.from_roles == "*" or frm in r.from_roles)
        and (r.to_roles == "*" or to in r.to_roles)
        and (r.categories == "*" or category in r.categories)
        and (r.phases == "*" or phase in r.phases)
    ]


def _unconditional_deniers(
    cp: CompiledPack, role: str, category: str, phase: str, action: str
) -> list[str]:
    return [
        r.id
        for r in cp.pack.access
        if r.effect is Effect.DENY
        and r.when is None
        and r.purposes is None
        and role in r.roles
        and (r.categories == "*" or category in r.categories)
        and (r.phases == "*" or phase in r.phases)
        and action in {a.value for a in r.actions}
    ]


def access_denied_by_default(
    engine: Engine,
    role: str,
    category: str,
    *,
    phase: str,
    action: str = "read",
    purpose: str | None = None,
) -> Verdict:
    """``check_access``: if no allow rule covers the cell, or a deny rule without condition
    or purpose does, the answer is a denial."""
    verdict = engine.check_access(role, category, phase=phase, action=action, purpose=purpose)
    cp = engine.compiled
    what = f"{role} {action} {category} in phase {phase}"
    problems = []
    if verdict.allowed and not _access_allowers(cp, role, category, phase, action):
        problems.append(f"{what} is allowed, but no allow rule covers it ({verdict.rules})")
    deniers = _unconditional_deniers(cp, role, category, phase, action)
    if verdict.allowed and deniers:
        problems.append(f"{what} is allowed, but {deniers} deny it unconditionally")
    _fail_if("deny_by_default", problems)
    return verdict


def sharing_denied_by_default(
    engine: Engine,
    from_role: str,
    to_role: str,
    categories: Sequence[str],
    *,
    phase: str,
) -> Verdict:
    """``check_sharing``: if some category has no allow rule covering it, it is denied."""
    verdict = engine.check_sharing(from_role, to_role, list(categories), phase=phase)
    uncovered = [
        c
        for c in categories
        if not _sharing_allowers(engine.compiled, from_role, to_role, c, phase)
    ]
    if verdict.allowed and uncovered:
        raise InvariantViolation(
            "deny_by_default",
            [
                f"{from_role} -> {to_role} of {uncovered} in phase {phase} is allowed, but no "
                f"allow rule covers it ({verdict.rules})"
            ],
        )
    return verdict


def deny_by_default(
    engine: Engine, case: CaseInput, as_of: Moment, decision: CaseDecision | None = None
) -> CaseDecision:
    """Every ``file_accessed``, ``data_recorded`` and ``data_provided`` event that no allow
    rule of the pack covers (for one of its categories, in the phase it happened in) is
    denied."""
    model = _case(engine, case)
    decision = decision or engine.evaluate(model, as_of=as_of)
    cp = engine.compiled
    problems = []
    for event, verdict in zip(_evaluated(model, decision), decision.events, strict=True):
        if not verdict.allowed:
            continue
        p = event.parsed
        phase = verdict.phase_before
        uncovered: list[str] = []
        if event.type in ("file_accessed", "data_recorded"):
            action = "read" if event.type == "file_accessed" else "write"
            role = event.actor.role if event.actor else ""
            uncovered = [
                c for c in p.categories if not _access_allowers(cp, role, c, phase, action)
            ]
        elif event.type == "data_provided":
            uncovered = [
                c
                for c in p.categories
                if not _sharing_allowers(cp, p.from_role, p.to_role, c, phase)
            ]
        if uncovered:
            problems.append(
                f"event {verdict.index} ({event.type} in phase {phase}) is allowed, but no "
                f"allow rule covers {uncovered} (allowed by {list(verdict.rules)})"
            )
    _fail_if("deny_by_default", problems)
    return decision


# --- citations ------------------------------------------------------------------------------


def _cited(cp: CompiledPack, rules: Iterable[str]) -> list[str]:
    return [r for r in rules if cp.cite(r)]


def denials_cite_sources(engine: Engine, decision: CaseDecision) -> None:
    """Every denied event names at least one rule that has a source: among its verdict's
    rules, or a ``denied``/``default_deny`` trace entry for that event with a citation."""
    problems = [
        _uncited(v, decision)
        for v in decision.events
        if not v.allowed and not _denial_cited(engine.compiled, decision, v)
    ]
    _fail_if("denials_cite_sources", problems)


def _denial_cited(cp: CompiledPack, decision: CaseDecision, verdict: EventVerdict) -> bool:
    if _cited(cp, verdict.rules):
        return True
    return any(
        t.event == verdict.index and t.outcome in ("denied", "default_deny") and t.source
        for t in decision.trace
    )


def _uncited(verdict: EventVerdict, decision: CaseDecision) -> str:
    entries = [f"{t.rule}/{t.outcome}" for t in decision.trace if t.event == verdict.index]
    reason = verdict.reasons[0] if verdict.reasons else "no reason given"
    return (
        f"event {verdict.index} ({verdict.type}, phase {verdict.phase_before}) is denied "
        f"without a cited rule: rules {list(verdict.rules)}, reason {reason!r}, trace {entries}"
    )


def verdict_cites_source(engine: Engine, verdict: Verdict) -> None:
    """A denied point-query verdict (``check_access``/``check_sharing``) names a rule with a
    source."""
    if verdict.allowed:
        return
    if not _cited(engine.compiled, verdict.rules):
        raise InvariantViolation(
            "denials_cite_sources",
            [
                f"denied without a cited rule: rules {list(verdict.rules)}, "
                f"reasons {list(verdict.reasons)}"
            ],
        )


def default_deny_cited(engine: Engine) -> None:
    """The pack names the article that makes access and sharing default deny
    (``defaults: {access: {source}, sharing: {source}}``), so a default denial can cite it."""
    missing = [k for k in ("access", "sharing") if k not in engine.compiled.default_sources]
    _fail_if(
        "denials_cite_sources",
        [
            f"pack {engine.pack.pack.id} declares no defaults.{k}.source: a default-deny {k} "
            f"verdict cites no rule"
            for k in missing
        ],
    )


def notifications_cite_sources(engine: Engine, decision: CaseDecision) -> None:
    """Every notification names its duty (or right) and that rule's source."""
    cp = engine.compiled
    problems = []
    for n in decision.notifications:
        if not n.source:
            problems.append(f"notification {n.id} ({n.duty}) has no source")
        elif cp.cite(n.duty) != n.source:
            problems.append(
                f"notification {n.id} cites {n.source!r}, but rule {n.duty} is {cp.cite(n.duty)!r}"
            )
    _fail_if("notifications_cite_sources", problems)


# --- retention -------------------------------------------------------------------------------


def _day(at: Moment) -> dt.date:
    return instant(at).date()


def deletions_not_before_trigger(engine: Engine, case: CaseInput, decision: CaseDecision) -> None:
    """No deletion date lies before the day of the event that started its clock, or, for a
    clock with ``counted_from``, before the first allowed event of that type. The anchor lies
    between that day and the date, and an alert comes on or before the date."""
    model = _case(engine, case)
    events = _evaluated(model, decision)
    clocks = {c.id: c for c in engine.compiled.clocks}
    problems = []
    for d in decision.deletions:
        if d.date is None or d.trigger_event is None or d.rule is None:
            continue
        trigger = events[d.trigger_event]
        start = _day(trigger.at)
        rule = clocks.get(d.rule)
        if rule is not None and rule.counted_from is not None:
            earlier = [
                _day(e.at)
                for e, v in zip(events[: d.trigger_event], decision.events, strict=False)
                if v.allowed and e.type == rule.counted_from.event
            ]
            start = min([start, *earlier])
        if d.date < start:
            problems.append(
                f"{d.scope}: deletion on {d.date}, before {start} (event {d.trigger_event}, "
                f"{trigger.type}, rule {d.rule})"
            )
        if d.anchor is not None and not start <= d.anchor <= d.date:
            problems.append(f"{d.scope}: anchor {d.anchor} outside [{start}, {d.date}]")
        if d.alert_on is not None and d.alert_on > d.date:
            problems.append(f"{d.scope}: alert on {d.alert_on}, after the deletion {d.date}")
    _fail_if("deletions_not_before_trigger", problems)


def _touches(cp: CompiledPack, scope: str, event_type: str) -> bool:
    if event_type in ("legal_hold_started", "legal_hold_ended"):
        return True
    for clock in cp.clocks:
        if clock.scope != scope:
            continue
        refs = [clock.trigger, *clock.cancelled_by]
        if clock.counted_from is not None:
            refs.append(clock.counted_from)
        if any(ref.event == event_type for ref in refs):
            return True
    return False


def later_events_keep_deletions(
    engine: Engine, case: CaseInput, later: Sequence[Mapping[str, Any]], as_of: Moment
) -> CaseDecision:
    """Appending ``later`` events (at or after the case's last event, at or before as_of)
    never moves the deletion date of a scope earlier, nor removes it, unless one of them is
    a trigger, canceller or ``counted_from`` event of that scope's clocks or a legal hold.
    Returns the decision with the later events."""
    model = _case(engine, case)
    events = [e.model_dump(mode="json") for e in model.events]
    before = engine.evaluate(model, as_of=as_of)
    after = engine.evaluate(
        {**model.model_dump(mode="json"), "events": events + list(later)}, as_of=as_of
    )
    cp = engine.compiled
    types = [str(e["type"]) for e in later]
    new = {d.scope: d for d in after.deletions}
    problems = []
    for d in before.deletions:
        if d.date is None or any(_touches(cp, d.scope, t) for t in types):
            continue
        now = new.get(d.scope)
        if now is None or now.date is None:
            problems.append(
                f"{d.scope}: deletion on {d.date} disappeared after unrelated events {types}: "
                f"{now.reason if now else 'scope gone'}"
            )
        elif now.date < d.date:
            problems.append(
                f"{d.scope}: deletion moved from {d.date} to {now.date} after unrelated "
                f"events {types}"
            )
    _fail_if("later_events_keep_deletions", problems)
    return after


# --- waivers and forbidden categories -----------------------------------------------------


def waivers_justified(engine: Engine, case: CaseInput, decision: CaseDecision) -> None:
    """A waived notification carries a ground its duty permits and a non-empty recorded
    reason; every allowed waiver event names such a ground, a reason and the fields the duty
    demands (``waiver_requires``)."""
    cp = engine.compiled
    problems = []
    for n in decision.notifications:
        if n.status != "waived":
            continue
        duty = cp.duties.get(n.duty)
        if duty is None:
            problems.append(f"{n.id}: waived, but {n.duty} is not an information duty")
            continue
        if n.ground not in duty.exception_grounds:
            problems.append(
                f"{n.id}: waived on ground {n.ground!r}, not one of {list(duty.exception_grounds)}"
            )
        if not (n.reason or "").strip():
            problems.append(f"{n.id}: waived without a recorded reason")
    model = _case(engine, case)
    for event, verdict in zip(_evaluated(model, decision), decision.events, strict=True):
        if event.type != "information_duty_waived" or not verdict.allowed:
            continue
        p = event.parsed
        duty = cp.duties.get(p.duty)
        grounds = duty.exception_grounds if duty else ()
        if p.ground not in grounds:
            problems.append(
                f"event {verdict.index}: waiver of {p.duty} allowed on ground {p.ground!r}, "
                f"not one of {list(grounds)}"
            )
        if not p.reason.strip():
            problems.append(f"event {verdict.index}: waiver allowed with a blank reason")
        for name in duty.waiver_requires if duty else ():
            if getattr(p, name) is None:
                problems.append(f"event {verdict.index}: waiver allowed without {name}")
    _fail_if("waivers_justified", problems)


def forbidden_never_recorded(engine: Engine, case: CaseInput, decision: CaseDecision) -> None:
    """No allowed ``data_recorded`` event writes a forbidden category, and the decision's
    access summary lets no role write one."""
    cp = engine.compiled
    forbidden = {c for c, cat in cp.categories.items() if cat.forbidden}
    problems = []
    model = _case(engine, case)
    for event, verdict in zip(_evaluated(model, decision), decision.events, strict=True):
        if event.type == "data_recorded" and verdict.allowed:
            written = sorted(forbidden & set(event.parsed.categories))
            if written:
                problems.append(f"event {verdict.index} records forbidden {written}: allowed")
    for access in decision.access:
        written = sorted(forbidden & set(access.write))
        if written:
            problems.append(f"role {access.role} may write forbidden {written}")
    _fail_if("forbidden_never_recorded", problems)


def forbidden_never_writable(engine: Engine) -> int:
    """``check_access(..., action="write")`` denies every forbidden category to every role in
    every phase, whatever the purpose and context. Returns the number of cells checked."""
    cp = engine.compiled
    forbidden = [c for c, cat in cp.categories.items() if cat.forbidden]
    purposes = {None, *(p for r in cp.pack.access for p in (r.purposes or ()))}
    context = {"consents": sorted({s for r in cp.pack.access for s in _consents(r.when)})}
    problems = []
    checked = 0
    for role in sorted(cp.roles):
        for category in forbidden:
            for phase in cp.phases:
                for purpose in sorted(purposes, key=str):
                    checked += 1
                    v = engine.check_access(
                        role,
                        category,
                        phase=phase,
                        action="write",
                        purpose=purpose,
                        context=context,
                    )
                    if v.allowed:
                        problems.append(f"{role} may write forbidden {category} in {phase}")
    _fail_if("forbidden_never_recorded", problems)
    return checked


def forbidden_never_provided(engine: Engine, case: CaseInput, decision: CaseDecision) -> None:
    """No allowed ``data_provided`` event names a forbidden category (a category that may
    never be recorded is never shared either)."""
    cp = engine.compiled
    forbidden = {c for c, cat in cp.categories.items() if cat.forbidden}
    problems = []
    model = _case(engine, case)
    for event, verdict in zip(_evaluated(model, decision), decision.events, strict=True):
        if event.type == "data_provided" and verdict.allowed:
            shared = sorted(forbidden & set(event.parsed.categories))
            if shared:
                problems.append(f"event {verdict.index} provides forbidden {shared}: allowed")
    _fail_if("forbidden_never_shared", problems)


def _permissive_payloads(cp: CompiledPack) -> list[dict[str, Any]]:
    """Payloads that meet the pack's sharing conditions as far as values can: every basis a
    condition names (and none), necessary, unavoidable, origin consent given."""
    bases: set[Any] = {None}
    for rule in cp.pack.sharing:
        for test in _field_tests(rule.when):
            if test.field == "payload.basis":
                bases |= {test.equals} if test.equals is not None else set(test.in_ or ())
    payloads = []
    for basis in sorted(bases, key=str):
        payload = {"necessary": True, "unavoidable": True, "origin_consent": True}
        payloads.append(payload if basis is None else {**payload, "basis": basis})
    return payloads


def _field_tests(condition: Any) -> list[Any]:
    if condition is None:
        return []
    if hasattr(condition, "field"):
        return [condition]
    parts = getattr(condition, "all", None) or getattr(condition, "any", None) or ()
    inner = getattr(condition, "not_", None)
    inside = (*parts, *([inner] if inner is not None else []))
    return [t for part in inside for t in _field_tests(part)]


def forbidden_never_shared(engine: Engine) -> int:
    """``check_sharing`` denies every forbidden category between every two roles in every
    phase, with every basis the pack's conditions name and all consents given. Returns the
    number of queries made."""
    cp = engine.compiled
    forbidden = [c for c, cat in cp.categories.items() if cat.forbidden]
    context = {"consents": sorted({s for r in cp.pack.sharing for s in _consents(r.when)})}
    payloads = _permissive_payloads(cp)
    problems = []
    checked = 0
    for category in forbidden:
        for frm in sorted(cp.roles):
            for to in sorted(cp.roles):
                for phase in cp.phases:
                    for payload in payloads:
                        checked += 1
                        v = engine.check_sharing(
                            frm, to, category, phase=phase, payload=payload, context=context
                        )
                        if v.allowed:
                            problems.append(
                                f"{frm} may share forbidden {category} with {to} in {phase} "
                                f"({', '.join(v.rules)}; payload {payload})"
                            )
                            break
    _fail_if("forbidden_never_shared", problems)
    return checked


def _consents(condition: Any) -> list[str]:
    if condition is None:
        return []
    if hasattr(condition, "consent"):
        return [condition.consent]
    parts = getattr(condition, "all", None) or getattr(condition, "any", None) or ()
    inner = getattr(condition, "not_", None)
    return [
        s for part in (*parts, *([inner] if inner is not None else [])) for s in _consents(part)
    ]


# --- the memo is invisible -----------------------------------------------------------------


def _answer(engine: Engine, kind: str, query: Mapping[str, Any]) -> Any:
    ask = engine.check_access if kind == "access" else engine.check_sharing
    try:
        return ask(**query)
    except Exception as exc:  # the same refusal is part of the same answer
        return (type(exc).__name__, str(exc))


def memo_transparent(engine: Engine, queries: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Any sequence of point queries on one engine gets the answers an engine compiled for
    that query alone gives (design.md: "a used engine answers exactly as a fresh one").
    ``queries`` are ``("access" | "sharing", kwargs)`` pairs (``strategies.point_queries``)."""
    used = Engine(engine.compiled, settings=engine.settings)
    problems = []
    for i, (kind, query) in enumerate(queries):
        got = _answer(used, kind, query)
        want = _answer(Engine(engine.compiled, settings=engine.settings), kind, query)
        if got != want:
            allowed = getattr(got, "allowed", got), getattr(want, "allowed", want)
            problems.append(
                f"query {i} check_{kind}({dict(query)!r}): the used engine answers "
                f"allowed={allowed[0]!r}, a fresh one allowed={allowed[1]!r}"
                + ("" if allowed[0] != allowed[1] else " (same verdict, different trace)")
            )
    _fail_if("memo_transparent", problems)


# --- as of ----------------------------------------------------------------------------------


def as_of_ignores_later_events(engine: Engine, case: CaseInput, as_of: Moment) -> CaseDecision:
    """The decision as of D counts exactly the events at or before D, and equals the
    decision on the case cut off at D (apart from the count of ignored events)."""
    model = _case(engine, case)
    full = engine.evaluate(model, as_of=as_of)
    cutoff = instant(as_of, end_of_day=True)
    kept = [e for e in model.events if instant(e.at) <= cutoff]
    problems = []
    if len(full.events) != len(kept):
        problems.append(
            f"{len(full.events)} events evaluated, {len(kept)} lie at or before {as_of}"
        )
    if full.ignored_after_as_of != len(model.events) - len(kept):
        problems.append(
            f"ignored_after_as_of is {full.ignored_after_as_of}, "
            f"{len(model.events) - len(kept)} events lie after {as_of}"
        )
    cut = engine.evaluate(model.model_copy(update={"events": tuple(kept)}), as_of=as_of)
    a, b = full.to_dict(), cut.to_dict()
    a.pop("ignored_after_as_of")
    b.pop("ignored_after_as_of")
    if a != b:
        keys = sorted(k for k in a if a[k] != b.get(k))
        problems.append(f"events after {as_of} change the decision as of {as_of}: {keys}")
    _fail_if("as_of_ignores_later_events", problems)
    return full


# --- audit trail ----------------------------------------------------------------------------


def decision_names_pack(engine: Engine, decision: CaseDecision) -> None:
    """The decision names the pack id, version, content hash (recomputed from the pack),
    the engine version and the settings it was made with."""
    ref = decision.pack
    meta = engine.pack.pack
    problems = []
    if ref.id != meta.id or ref.version != meta.version:
        problems.append(f"names pack {ref.id} {ref.version}, evaluated {meta.id} {meta.version}")
    if not HASH.match(ref.content_hash):
        problems.append(f"content hash {ref.content_hash!r} is not sha256:<64 hex digits>")
    elif ref.content_hash != content_hash(engine.pack):
        problems.append("content hash differs from the hash of the pack evaluated")
    if ref.engine_version != __version__ or not ref.engine_version:
        problems.append(f"engine version {ref.engine_version!r}, running {__version__!r}")
    if dict(ref.settings) != dict(engine.settings):
        problems.append(f"settings {ref.settings} recorded, {engine.settings} used")
    _fail_if("decision_names_pack", problems)


def reproducible(engine: Engine, case: CaseInput, as_of: Moment) -> audit.Replay:
    """An audit record of the decision, stored as JSON text and read back, replays against
    the same pack to exactly the same decision."""
    rec = json.loads(audit.dumps(audit.record(engine, case, as_of)))
    result = audit.replay(rec, engine.pack)
    _fail_if("reproducible", list(result.differences))
    return result


# --- negative input --------------------------------------------------------------------------


def flaw_rejected(engine: Engine, flawed: Flawed, as_of: Moment) -> None:
    """A deliberately broken case is refused whole with EventError (unknown names, bad or
    out-of-order timestamps), or its broken event is denied with a cited rule (forbidden
    category, event the phase does not accept). Nothing else is raised."""
    try:
        decision = engine.evaluate(flawed.case, as_of=as_of)
    except EventError as exc:
        if flawed.expect != "event_error":
            raise InvariantViolation(
                "flaw_rejected",
                [f"{flawed.flaw}: expected a denial, got EventError: {exc}"],
            ) from None
        if not exc.problems or not all(str(p) for p in exc.problems):
            raise InvariantViolation(
                "flaw_rejected",
                [f"{flawed.flaw}: EventError without a message"],
            ) from None
        return
    if flawed.expect == "event_error":
        raise InvariantViolation(
            "flaw_rejected",
            [f"{flawed.flaw} at event {flawed.index} was accepted"],
        )
    if flawed.index >= len(decision.events):
        raise InvariantViolation(
            "flaw_rejected",
            [f"{flawed.flaw}: event {flawed.index} lies after as_of {as_of}"],
        )
    verdict = decision.events[flawed.index]
    if verdict.allowed:
        raise InvariantViolation(
            "flaw_rejected",
            [
                f"{flawed.flaw}: event {flawed.index} ({verdict.type}) was allowed: "
                f"{list(verdict.reasons)}"
            ],
        )
    denials_cite_sources(engine, decision)


# --- v2: subjects, deletion dates, findings and records -----------------------------------

_DATA_EVENTS = ("file_accessed", "data_recorded", "data_provided")


def _concerns(event: Event, subjects: Sequence[str], subject: str) -> bool:
    named = event.subjects if event.subjects is not None else tuple(subjects)
    return not named or subject in named


def nothing_processed_after_deletion(
    engine: Engine, case: CaseInput, decision: CaseDecision
) -> None:
    """No allowed read, recording or provision of a scope's data (its clock's `categories`;
    all data when it names none) after its deletion date that was known when it happened (its
    clock started earlier), unless the scope is held or the event touches only fields that
    survive anonymisation."""
    model = _case(engine, case)
    ids = [s.id for s in model.subjects]
    problems = []
    events = _evaluated(model, decision)
    held_by = {clock.id: clock.categories for clock in engine.pack.retention}
    for deletion in decision.deletions:
        if deletion.date is None or deletion.held or deletion.trigger_event is None:
            continue
        held = held_by.get(deletion.rule or "")
        for event, verdict in zip(events, decision.events, strict=True):
            if event.type not in _DATA_EVENTS or not verdict.allowed:
                continue
            if verdict.index <= deletion.trigger_event or _day(event.at) <= deletion.date:
                continue
            if deletion.subject is not None and not _concerns(event, ids, deletion.subject):
                continue
            named = set(getattr(event.parsed, "categories", None) or ())
            if held is not None and not named & set(held):
                continue  # the scope holds none of the data the event touches
            fields = set(getattr(event.parsed, "fields", None) or ())
            if fields and fields <= set(deletion.surviving_fields):
                continue
            problems.append(
                f"event {verdict.index} ({event.type} on {_day(event.at)}) allowed after the "
                f"deletion date {deletion.date} of {deletion.scope} ({deletion.rule})"
            )
    _fail_if("nothing_processed_after_deletion", problems)


def objection_and_withdrawal_honoured(
    engine: Engine, case: CaseInput, decision: CaseDecision
) -> None:
    """After an upheld objection by subject s, no allowed data event concerns s; no event
    that does not concern s is refused on s's objection or withdrawal; and no provision is
    refused on a withdrawal limited to recipients it does not go to."""
    model = _case(engine, case)
    ids = [s.id for s in model.subjects]
    events = _evaluated(model, decision)
    objecting: dict[str, int] = {}
    requests: dict[str, tuple[str, str | None]] = {}
    problems = []
    for event, verdict in zip(events, decision.events, strict=True):
        p = event.parsed
        if event.type == "subject_request_received" and verdict.allowed:
            requests[p.request_id] = (p.right.value, p.subject)
        elif event.type == "subject_request_answered" and verdict.allowed:
            right, subject = requests.get(p.request_id, ("", None))
            if right == "objection" and p.outcome in ("granted", "partially_granted"):
                # the objector: a case subject named by the request, or (v2 packs) the
                # whole household when it names nobody
                whose: list[str] = []
                if subject and subject in ids:
                    whose = [subject]
                elif not subject and engine.pack.pack.schema_version >= 2:
                    whose = ids or [""]
                for who in whose:
                    objecting.setdefault(who, verdict.index)
        elif event.type in _DATA_EVENTS:
            for who, since in objecting.items():
                concerned = _concerns(event, ids, who) if who else True
                if verdict.allowed and concerned:
                    problems.append(
                        f"event {verdict.index} ({event.type}) processes data of {who or 'the '}"
                        f"household after the objection upheld at event {since}: allowed"
                    )
            if not verdict.allowed:
                for reason in verdict.reasons:
                    limited = re.search(r"withdrawn for recipients (.+?) \(event #", reason)
                    to_role = getattr(p, "to_role", None)
                    if limited and to_role not in limited.group(1).split(", "):
                        problems.append(
                            f"event {verdict.index} provides to {to_role} but is denied on a "
                            f"withdrawal limited to other recipients: {reason}"
                        )
                    for who in ids:
                        cited = f"objection of {who} " in reason or (
                            f"of {who} was withdrawn" in reason
                        )
                        if cited and not _concerns(event, ids, who):
                            problems.append(
                                f"event {verdict.index} does not concern {who} but is denied "
                                f"on {who}'s objection or withdrawal: {reason}"
                            )
    _fail_if("objection_and_withdrawal_honoured", problems)


def findings_and_records_cite_rules(engine: Engine, decision: CaseDecision) -> None:
    """Every finding and every record names a rule of the pack, with its source."""
    cp = engine.compiled
    known = set(cp.sources)
    problems = []
    for finding in decision.findings:
        if finding.rule not in known or not finding.source:
            problems.append(f"finding {finding.code} at event {finding.event} cites {finding.rule}")
    records = {r.id for r in engine.pack.records}
    for record in decision.records:
        if record.rule not in records or not record.source:
            problems.append(f"record {record.id} cites {record.rule!r} without a source")
    _fail_if("findings_and_records_cite_rules", problems)


# --- everything at once ---------------------------------------------------------------------


def check_decision(engine: Engine, case: CaseInput, as_of: Moment) -> CaseDecision:
    """Every single-case invariant on one case; returns the decision."""
    decision = deterministic(engine, case, as_of)
    deny_by_default(engine, case, as_of, decision)
    denials_cite_sources(engine, decision)
    notifications_cite_sources(engine, decision)
    deletions_not_before_trigger(engine, case, decision)
    waivers_justified(engine, case, decision)
    forbidden_never_recorded(engine, case, decision)
    forbidden_never_provided(engine, case, decision)
    nothing_processed_after_deletion(engine, case, decision)
    objection_and_withdrawal_honoured(engine, case, decision)
    findings_and_records_cite_rules(engine, decision)
    as_of_ignores_later_events(engine, case, as_of)
    decision_names_pack(engine, decision)
    reproducible(engine, case, as_of)
    return decision
