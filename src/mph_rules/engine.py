"""Evaluate a case against a compiled pack: pure, deterministic, no clock.

``Engine(pack).evaluate(case, as_of=...)`` replays the case's events in order. Each event is
accepted or denied by the lifecycle, preconditions and the access/sharing matrix; accepted
events move the phase, open and discharge notifications, start deadlines and retention clocks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ValidationError

from mph_rules import __version__
from mph_rules.calendar import (
    AMSTERDAM,
    WORKING_DAYS_CALENDAR_SETTING,
    Anchor,
    Counting,
    Duration,
    DurationError,
    WorkingDayCalendar,
    anchor_date,
    compute_deadline,
    parse_duration,
)
from mph_rules.casebook import CaseBook, index_case_model
from mph_rules.compile import CompiledPack, compile_pack, decide_access
from mph_rules.conditions import (
    MISSING,
    Condition,
    describe,
    holds,
    referenced_events,
    referenced_fields,
)
from mph_rules.consent import HOUSEHOLD, ConsentLedger
from mph_rules.decision import (
    UNSPECIFIED,
    AllowedAction,
    CaseDecision,
    Consequences,
    Deletion,
    DueItems,
    EventVerdict,
    IntakeVerdict,
    Notification,
    PackRef,
    ProcessDeadlineStatus,
    RoleAccess,
    TraceEntry,
    Verdict,
)
from mph_rules.errors import EventError, Problem
from mph_rules.events import Case, Event
from mph_rules.findings import (
    actor_problem,
    flagged_verdict,
    informing_problems,
    waiting_period_unmet,
)
from mph_rules.schema import (
    Deadline,
    Effect,
    EventRef,
    InformationDuty,
    Pack,
    RetentionClock,
    Unspecified,
)
from mph_rules.schema.rules import check_setting_value
from mph_rules.suggestions import Hints, did_you_mean

Moment = dt.date | dt.datetime

# Pure memo tables (same input, same output): a pack's durations and conditions are parsed
# and rendered once, not on every event.
_duration = functools.lru_cache(maxsize=1024)(parse_duration)
_describe = functools.lru_cache(maxsize=4096)(describe)


@functools.lru_cache(maxsize=65536)
def _deadline_memo(
    start: Moment,
    duration: Duration,
    counting: Counting,
    anchor: Anchor,
    working: WorkingDayCalendar | None = None,
) -> Any:
    return compute_deadline(start, duration, counting, anchor, working_days=working)


def _compute_deadline(
    start: Moment,
    duration: Duration,
    counting: Counting,
    anchor: Anchor,
    working: WorkingDayCalendar | None = None,
) -> Any:
    """compute_deadline, memoised: a day-based deadline depends only on the Amsterdam day of
    its start, so events on the same day share one computation."""
    if counting is not Counting.ELAPSED_HOURS and isinstance(start, dt.datetime):
        start = start.astimezone(AMSTERDAM).date()
    elif counting is Counting.ELAPSED_HOURS and not isinstance(start, dt.datetime):
        # an hour deadline after an event known only by its date: count from the start of
        # that day (the earliest reading, so the deadline is never reported too late)
        start = dt.datetime.combine(start, dt.time.min, tzinfo=AMSTERDAM)
    if counting is not Counting.WORKING_DAYS:
        working = None
    return _deadline_memo(start, duration, counting, anchor, working)


def _at(event: Event) -> dt.datetime:
    """The event's moment, computed once per event (see Event.moment)."""
    return event.moment


def _instant(at: Moment, *, end_of_day: bool = False) -> dt.datetime:
    """A comparable aware moment; a plain date is the start (or end) of that Amsterdam day."""
    if isinstance(at, dt.datetime):
        return at.astimezone(AMSTERDAM)
    t = dt.time.max if end_of_day else dt.time.min
    return dt.datetime.combine(at, t, tzinfo=AMSTERDAM)


def _day(at: Moment) -> dt.date:
    return at.astimezone(AMSTERDAM).date() if isinstance(at, dt.datetime) else at


# --- mutable state of one evaluation (local to evaluate(); never shared) -----------------


@dataclass
class _Open:
    """A notification being tracked while events are replayed."""

    id: str
    duty: str
    recipient: str
    informer: str
    about: str
    trigger: int
    due: dt.date | None
    due_at: dt.datetime | None
    asap: bool
    counting: str | None
    source: str
    origin: str
    note: str | None = None
    done: int | None = None
    late: bool = False
    ground: str | None = None
    reason: str | None = None
    outcome: str | None = None
    request_id: str | None = None
    right: Any = None
    trigger_at: Moment = dt.date.min
    extended: bool = False
    request: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None
    missed_of: str | None = None  # v2 opened_by_missed: open only once this deadline is missed


@dataclass
class _Clock:
    rule: RetentionClock
    trigger: int
    anchor: dt.date | None
    date: dt.date | None
    steps: tuple[str, ...]
    cancelled_by: int | None = None
    subject: str | None = None
    started_at: Moment | None = None


@dataclass
class _State:
    phase: str
    facts: dict[str, Any]
    subjects: dict[str, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)
    occurred: dict[str, list[Event]] = field(default_factory=dict)
    # per (event type, condition): how many earlier events were tested, and the latest that
    # matched (see latest_match); keeps `occurred ... where` linear in the case's length
    matched: dict[tuple[str, int], tuple[int, Event | None]] = field(default_factory=dict)
    consents: dict[str, bool] = field(default_factory=dict)
    notifications: list[_Open] = field(default_factory=list)
    open_duties: dict[str, list[_Open]] = field(default_factory=dict)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    open_deadlines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    clocks: dict[str, _Clock] = field(default_factory=dict)
    hold: tuple[int, str] | None = None
    holds_seen: list[tuple[int, int | None]] = field(default_factory=list)
    requests: dict[str, _Open] = field(default_factory=dict)
    request_rights: dict[str, Any] = field(default_factory=dict)
    trace: list[TraceEntry] = field(default_factory=list)
    counter: dict[str, int] = field(default_factory=dict)
    book: CaseBook | None = None  # v2: consent per subject, records, findings
    mandates: set[str] = field(default_factory=set)  # roles given a mandate by an event


class _Context:
    """The condition context for one event (see conditions.ConditionContext)."""

    __slots__ = ("event", "payload", "state")

    def __init__(self, state: _State, event: Event | None, payload: Any) -> None:
        self.state = state
        self.event = event
        self.payload = payload

    def lookup(self, path: str) -> Any:
        head, _, rest = path.partition(".")
        if head == "payload":
            value: Any = self.payload
        elif head == "facts":
            value = self.state.facts
        elif head == "actor":
            value = self.event.actor if self.event is not None else None
        elif head == "subject":
            value = self._subject()
        elif head == "settings":
            value = self.state.settings
        elif head == "request":
            request_id = getattr(self.payload, "request_id", None)
            req = self.state.requests.get(request_id) if request_id else None
            value = req.request if req is not None else MISSING
        else:
            return MISSING
        for part in rest.split(".") if rest else ():
            if isinstance(value, BaseModel):
                value = getattr(value, part, MISSING)
            elif isinstance(value, Mapping):
                value = value.get(part, MISSING)
            else:
                return MISSING
            if value is MISSING:
                return MISSING
        return value

    def _subject(self) -> Any:
        """The event's subject (payload.subject) with its age on the event day."""
        subject_id = getattr(self.payload, "subject", None)
        if subject_id is None and isinstance(self.payload, Mapping):
            subject_id = self.payload.get("subject")
        subject = self.state.subjects.get(subject_id) if subject_id else None
        if subject is None or self.event is None:
            return MISSING
        info: dict[str, Any] = {"id": subject.id, "incompetent": subject.incompetent}
        if subject.birth_date is not None:
            info["age"] = relativedelta(_day(self.event.at), subject.birth_date).years
        return info

    def occurred(self, event_type: str, where: Condition | None, since: str | None = None) -> bool:
        latest = _latest_match(self.state, event_type, where)
        if latest is None:
            return False
        if since is not None:
            # v2 `occurred ... since`: only a match not before the latest `since` event counts;
            # the latest match is enough to know (an earlier one cannot be later than it)
            marks = self.state.occurred.get(since)
            if marks:
                return latest.moment >= marks[-1].moment
        return True

    def has_consent(self, scope: str) -> bool:
        return self.consent_missing(scope) is None

    def consent_missing(self, scope: str) -> str | None:
        """None if consent for ``scope`` covers this event (v2: every subject it concerns,
        its categories, recipient and purpose), else why not."""
        book = self.state.book
        if book is None:
            return None if self.state.consents.get(scope, False) else f"no consent for {scope}"
        p = self.payload
        subjects = self.event.subjects if self.event is not None else _field(p, "subjects")
        categories = _field(p, "categories") or (None,)
        for category in categories:
            why = book.consent.missing(
                scope, subjects, category, _field(p, "to_role"), _field(p, "purpose")
            )
            if why is not None:
                return why
        return None


# --- the engine ---------------------------------------------------------------------------


class Engine:
    """Evaluates cases and point queries against one pack, compiled once."""

    def __init__(
        self, pack: Pack | CompiledPack, *, settings: Mapping[str, Any] | None = None
    ) -> None:
        self.compiled = pack if isinstance(pack, CompiledPack) else compile_pack(pack)
        self.pack = self.compiled.pack
        self.settings = _resolve_settings(self.pack, settings or {})
        prov = self.pack.provenance
        self.ref = PackRef(
            self.pack.pack.id,
            self.pack.pack.version,
            prov.content_hash,
            __version__,
            dict(sorted(self.settings.items())),
        )
        eff = self.pack.pack.effective
        self._access_summary: dict[str, tuple[RoleAccess, ...]] = {}
        # memo of access and sharing verdicts: a pure function of the cell and of the
        # outcomes of its rules' tests (see _memo_key), bounded by bytes (see _remember)
        self._verdict_memo: dict[Any, Verdict] = {}
        self._memo_bytes = 0
        self._inputs: dict[Any, Any] = {}
        self._valid_from = eff.valid_from if isinstance(eff.valid_from, dt.date) else None
        self._valid_until = eff.valid_until if isinstance(eff.valid_until, dt.date) else None
        # v2 case model (issue 14)
        self._casemodel = index_case_model(self.pack)
        self._working = WorkingDayCalendar(
            self.settings.get(WORKING_DAYS_CALENDAR_SETTING, self._casemodel.working_days_default)
        )
        matrix: list[Any] = [*self.pack.access, *self.pack.sharing]
        self._rules_by_id: dict[str, Any] = {r.id: r for r in matrix}
        self._owners = {
            ph.id: ph.owner for ph in (self.pack.lifecycle.phases if self.pack.lifecycle else ())
        }
        self._consent_scopes = sorted(
            {
                scope
                for rule in matrix
                if rule.when is not None
                for scope in _consent_scopes(rule.when)
            }
        )
        limits = [d.actor for d in self.pack.information_duties]
        limits += [r.actor for r in self.pack.rights]
        self._mandate_events = {a.mandate.event: a.mandate for a in limits if a and a.mandate}

    # point queries ----------------------------------------------------------------------

    def check_access(
        self,
        role: str,
        category: str,
        *,
        phase: str,
        action: str = "read",
        purpose: str | None = None,
        context: Mapping[str, Any] | None = None,
        session: CaseSession | None = None,
    ) -> Verdict:
        """May ``role`` read/write ``category`` in ``phase`` (for ``purpose``)? Default deny.

        v2: with ``session``, conditions on the case's history (earlier events, consent per
        subject) are answered from that case instead of from ``context``."""
        cp = self.compiled
        cell = (role, category, phase, action)
        fixed = cp.fixed_access(cell)
        if fixed is not None:
            return fixed
        self._check_names(role=role, category=category, phase=phase)
        state = self._query_state(phase, context, session)
        payload = {"categories": [category], **dict((context or {}).get("payload", {}))}
        if purpose is not None:
            payload.setdefault("purpose", purpose)
        ctx = _Context(state, None, payload if session is not None else payload_v1(context))
        return self._access(cell, purpose, ctx)

    def _query_state(
        self, phase: str, context: Mapping[str, Any] | None, session: CaseSession | None
    ) -> _State:
        """The case state a point query reads: the session's (v2), else one from ``context``."""
        if session is not None:
            if session.engine is not self:
                raise EventError([Problem("the session belongs to another engine")])
            return dataclasses.replace(session._state, phase=phase)
        state = _State(phase, dict((context or {}).get("facts", {})), {}, self.settings)
        state.consents = {s: True for s in (context or {}).get("consents", ())}
        return state

    def check_sharing(
        self,
        from_role: str,
        to_role: str,
        categories: str | tuple[str, ...] | list[str],
        *,
        phase: str,
        payload: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        session: CaseSession | None = None,
    ) -> Verdict:
        """May ``from_role`` provide these categories to ``to_role`` in ``phase``? v2: with
        ``session``, history-dependent conditions are answered from that case."""
        cats = (categories,) if isinstance(categories, str) else tuple(categories)
        for cat in cats:
            self._check_names(role=from_role, category=cat, phase=phase)
        self._check_names(role=to_role)
        state = self._query_state(phase, context, session)
        full = {
            "from_role": from_role,
            "to_role": to_role,
            "categories": list(cats),
            **dict(payload or {}),
        }
        ctx = _Context(state, None, full)
        return self._sharing(from_role, to_role, cats, phase, ctx)

    def check_intake(self, facts: Mapping[str, Any]) -> IntakeVerdict:
        """Does a household with these facts meet the intake criteria?"""
        intake = self.pack.intake
        if intake is None:
            return IntakeVerdict(True, (), (), (), ("the pack has no intake criteria",))
        ctx = _Context(_State("", dict(facts), {}, self.settings), None, {})
        met: list[str] = []
        failed: list[str] = []
        undetermined: list[str] = []
        reasons: list[str] = []
        trace: list[TraceEntry] = []
        eligible = True
        for crit in intake.criteria:
            cite = crit.source.cite()
            kind = "required" if crit.required else "indicator"
            if isinstance(crit.condition, Unspecified):
                undetermined.append(crit.id)
                reasons.append(f"{crit.id} ({kind}) cannot be tested: {crit.condition.note}")
                trace.append(TraceEntry(crit.id, "not_applicable", reasons[-1], cite))
                continue
            if holds(crit.condition, ctx):
                met.append(crit.id)
                reasons.append(f"{crit.id} ({kind}) met: {_describe(crit.condition)}")
                trace.append(TraceEntry(crit.id, "fired", reasons[-1], cite))
            else:
                failed.append(crit.id)
                reasons.append(f"{crit.id} ({kind}) not met: {_describe(crit.condition)}")
                trace.append(TraceEntry(crit.id, "not_applicable", reasons[-1], cite))
                if crit.required:
                    eligible = False
        return IntakeVerdict(
            eligible, tuple(met), tuple(failed), tuple(undetermined), tuple(reasons), tuple(trace)
        )

    # evaluation -------------------------------------------------------------------------

    def evaluate(self, case: Case | Mapping[str, Any], *, as_of: Moment) -> CaseDecision:
        """The decision on ``case`` as of ``as_of``; events after ``as_of`` are ignored."""
        case = self.validate_case(case)
        cutoff = _cutoff(as_of)
        events = [e for e in case.events if _at(e) <= cutoff]
        session = CaseSession(self, case.id, case.facts, case.subjects)
        for event in events:
            session._apply(event)
        return session.decision(as_of, ignored=len(case.events) - len(events))

    def session(
        self,
        case_id: str,
        *,
        facts: Mapping[str, Any] | None = None,
        subjects: Any = (),
    ) -> CaseSession:
        """A live case: post events one at a time (cost independent of history length)."""
        parsed = Case.model_validate(
            {"id": case_id, "facts": dict(facts or {}), "subjects": list(subjects)}
        )
        return CaseSession(self, parsed.id, parsed.facts, parsed.subjects)

    def _decide(
        self,
        state: _State,
        case_id: str,
        as_of: Moment,
        verdicts: tuple[EventVerdict, ...],
        ignored: int,
    ) -> CaseDecision:
        cutoff = _cutoff(as_of)
        records: tuple[Any, ...] = ()
        findings: tuple[Any, ...] = ()
        points: tuple[Any, ...] = ()
        if state.book is not None:
            records, late = state.book.record_statuses(cutoff)
            findings = (*state.book.findings, *late)
            points = state.book.open_points(state.trace, self.settings)
        return CaseDecision(
            pack=self.ref,
            case_id=case_id,
            as_of=as_of,
            phase=state.phase,
            events=verdicts,
            allowed_actions=self._allowed_actions(state),
            access=self._role_access(state.phase),
            notifications=self._notifications(state, cutoff),
            deadlines=tuple(self._deadline(d, cutoff) for d in state.deadlines),
            deletions=self._deletions(state, cutoff),
            trace=tuple(state.trace),
            ignored_after_as_of=ignored,
            records=records,
            findings=findings,
            open_points=points,
            owner=self._owners.get(state.phase),
        )

    def _notifications(self, state: _State, cutoff: dt.datetime) -> tuple[Notification, ...]:
        """Every notification as of ``cutoff``; a v2 `opened_by_missed` one only once the
        deadline it waits on (started by the same event) was missed, due from that date."""
        out = []
        for n in state.notifications:
            if n.missed_of is not None:
                opened = self._opened_by_missed(n, state, cutoff)
                if opened is None:
                    continue
                n = opened
            out.append(self._notification(n, cutoff))
        return tuple(out)

    def _opened_by_missed(self, n: _Open, state: _State, cutoff: dt.datetime) -> _Open | None:
        missed = None
        for d in state.deadlines:
            if d["rule"].id != n.missed_of or d["start"] != n.trigger or d["due_at"] is None:
                continue
            if (d["met"] is not None and d["late"]) or (
                d["met"] is None and d.get("cancelled") is None and cutoff > d["due_at"]
            ):
                missed = d
        if missed is None:
            return None
        duty = self.compiled.duties[n.duty]
        due, due_at, counting = self._due(duty.deadline, missed["due"] + dt.timedelta(days=1))
        late = n.done is not None and due_at is not None and n.late
        return dataclasses.replace(n, due=due, due_at=due_at, counting=counting, late=late)

    def validate_case(self, case: Case | Mapping[str, Any]) -> Case:
        """Validate a case against the event vocabulary and this pack; reject it whole."""
        if not isinstance(case, Case):
            case = _validated(Case, case)
        problems: list[Problem] = []
        previous: dt.datetime | None = None
        received: set[str] = set()
        subject_ids = {s.id for s in case.subjects}
        hints = Hints()  # did-you-mean over the whole case, bounded in total work
        for i, event in enumerate(case.events):
            problems += self._event_problems(i, event, hints)
            problems += _request_problems(i, event, received)
            problems += _subject_problems(i, event, subject_ids)
            moment = _at(event)
            if previous is not None and moment < previous:
                problems.append(
                    Problem(
                        f"event {i} ({event.type}) at {event.at} is earlier than the one before",
                        path=f"events[{i}].at",
                        hint="events must be given in time order",
                    )
                )
            previous = moment
        if problems:
            raise EventError(problems)
        return case

    def _event_problems(self, i: int, event: Event, hints: Hints | None = None) -> list[Problem]:
        cp = self.compiled
        out: list[Problem] = []
        where = f"events[{i}]"
        hint = hints or Hints()

        def bad(path: str, what: str, value: str, known: frozenset[str] | set[str]) -> None:
            out.append(
                Problem(
                    f"unknown {what} {value!r}",
                    path=f"{where}.{path}",
                    hint=hint(value, known),
                )
            )

        if event.type not in cp.event_types:
            bad("type", "event type", event.type, cp.event_types)
            return out
        if event.actor is not None:
            if event.actor.role not in cp.roles:
                bad("actor.role", "role", event.actor.role, cp.roles)
            if event.actor.party is not None and event.actor.party not in cp.parties:
                bad("actor.party", "party", event.actor.party, cp.parties)
        p = event.parsed
        if event.type == "subject_request_received" and p.right not in cp.rights:
            rights = {r.value for r in cp.rights}
            bad("payload.right", "right (the pack defines no such right)", p.right.value, rights)
        fields = p.__dict__ if isinstance(p, BaseModel) else {}
        for name, kind in _REFERENCE_FIELDS.get(event.type, ()):
            value = fields.get(name)
            if value is None:
                continue
            known, what = self._known(kind)
            if isinstance(value, tuple):
                for j, item in enumerate(value):
                    if item not in known:
                        bad(f"payload.{name}[{j}]", what, item, known)
            elif value not in known:
                bad(f"payload.{name}", what, value, known)
        return out

    def _known(self, kind: str) -> tuple[frozenset[str], str]:
        cp = self.compiled
        return {
            "role": (cp.roles, "role"),
            "party": (cp.parties, "party"),
            "category": (cp.category_ids, "data category"),
            "duty": (cp.duty_ids, "information duty"),
            "ground": (cp.grounds, "exception ground"),
        }[kind]

    def _check_names(
        self, *, role: str | None = None, category: str | None = None, phase: str | None = None
    ) -> None:
        cp = self.compiled
        problems = []
        if role is not None and role not in cp.roles:
            problems.append(Problem(f"unknown role {role!r}", hint=did_you_mean(role, cp.roles)))
        if category is not None and category not in cp.categories:
            problems.append(
                Problem(
                    f"unknown data category {category!r}",
                    hint=did_you_mean(category, set(cp.categories)),
                )
            )
        if phase is not None and phase not in cp.phases:
            problems.append(
                Problem(f"unknown phase {phase!r}", hint=did_you_mean(phase, set(cp.phases)))
            )
        if problems:
            raise EventError(problems)

    # one event ------------------------------------------------------------------------------

    def _apply(self, i: int, event: Event, state: _State) -> EventVerdict:
        cp = self.compiled
        before = state.phase
        payload = event.parsed
        ctx = _Context(state, event, payload)
        rules: list[str] = []
        reasons: list[str] = []
        allowed, target = self._lifecycle(i, event, state, ctx, rules, reasons)
        verdict_word = ""  # v2: "unspecified" where a deciding rule leaves the outcome open
        if event.type == "subject_request_received":
            # known even when a precondition refuses the receipt, so that a later answer is
            # denied citing its right (_not_open) instead of failing on an unknown request
            state.request_rights.setdefault(payload.request_id, payload.right)
        if allowed:
            for pre in cp.preconditions.get(event.type, ()):
                if pre.when is not None and not holds(pre.when, ctx):
                    continue
                failed = None if holds(pre.require, ctx) else pre.message
                if failed is None and pre.not_before is not None:
                    failed = self._too_early(pre.not_before, event, state)
                    if failed is not None:
                        failed = f"{pre.message}: {failed}"
                if failed is None:
                    if allowed:  # a denied event lists only the rules that denied it
                        rules.append(pre.id)
                    self._trace(state, pre.id, "fired", f"satisfied: {_describe(pre.require)}", i)
                elif pre.outcome == "unspecified":
                    # v2: the source leaves open what a breach means: neither yes nor no
                    verdict_word = UNSPECIFIED
                    rules.append(pre.id)
                    reasons.append(f"{failed} (the source leaves the outcome open: {pre.note})")
                    self._trace(state, pre.id, "unspecified", failed, i)
                elif pre.on_violation == "flag" and state.book is not None:
                    # v2: a breach to record, not a refusal
                    rules.append(pre.id)
                    reasons.append(f"{failed} (flagged, not refused)")
                    state.book.flag("precondition_not_met", pre.id, failed, i)
                    self._trace(state, pre.id, "flagged", failed, i)
                else:
                    if allowed:
                        rules.clear()
                        reasons.clear()
                    allowed = False
                    rules.append(pre.id)
                    reasons.append(failed)
                    self._trace(state, pre.id, "denied", failed, i)
        if allowed:
            specific_rules: list[str] = []
            specific_reasons: list[str] = []
            allowed, word = self._specific(i, event, state, ctx, specific_rules, specific_reasons)
            verdict_word = word or verdict_word
            if allowed:
                allowed = self._v2_guard(i, event, state, specific_rules, specific_reasons)
            if not allowed:
                rules.clear()
                reasons.clear()
            rules.extend(specific_rules)
            reasons.extend(specific_reasons)
        if target is not None:
            transition = f"{before} -> {target}"
            if allowed:
                self._trace(state, rules[0], "fired", transition, i)
            else:
                self._trace(
                    state,
                    "lifecycle",
                    "not_applicable",
                    f"{transition} not taken: the event was denied",
                    i,
                )
        if allowed:
            if target is not None:
                state.phase = target
            self._effects(i, event, state, ctx)
            state.occurred.setdefault(event.type, []).append(event)
        else:
            verdict_word = ""
        in_force = self._in_force(event)
        if not in_force:
            why = self._not_in_force(event)
            reasons.append(why)
            self._trace(state, "pack.effective", "not_applicable", why, i, "pack effective")
        return EventVerdict(
            i,
            event.type,
            event.at,
            allowed,
            before,
            state.phase,
            tuple(rules),
            tuple(reasons),
            event.id,
            in_force,
            verdict_word,
            event.subjects,
        )

    def _too_early(self, not_before: Any, event: Event, state: _State) -> str | None:
        """v2 `not_before`: why the event comes before its waiting period ends, or None."""
        ref = not_before.after
        latest = _latest_match(state, ref.event, ref.when)  # not a scan of the history
        earlier = [(_day(latest.at), latest)] if latest is not None else []
        return waiting_period_unmet(not_before, earlier, _day(event.at), lambda _: True)

    def _v2_guard(
        self, i: int, event: Event, state: _State, rules: list[str], reasons: list[str]
    ) -> bool:
        """v2 checks after the rule matrix: upheld objections, deletion dates, actor limits
        that refuse (``on_violation: deny``). False (with the citing rule and reason) to deny."""
        book = state.book
        if book is None:
            return True
        cp = self.compiled
        kind = event.type
        denial: tuple[str, str] | None = None
        if kind in _DATA_EVENTS:
            objection = book.consent.objected(event.subjects)
            if objection is not None:
                who = objection.subject or "the household"
                denial = (
                    objection.rule,
                    f"objection of {who} upheld (request {objection.request_id}, event "
                    f"{objection.event}): their data may no longer be processed",
                )
            else:
                denial = self._past_deletion(event, state)
        elif kind == "subject_request_answered":
            req = state.requests.get(event.parsed.request_id)
            right = req.right if req is not None else None
            limit = getattr(right, "actor", None)
            role = event.parsed.handler or (event.actor.role if event.actor else None)
            problem = actor_problem(limit, role, state.mandates)
            if problem is not None and limit is not None and right is not None:
                if limit.on_violation == "deny":
                    denial = (right.id, f"{right.id}: the answer {problem}")
                else:
                    book.flag("wrong_actor", right.id, f"the answer {problem}", i)
        if denial is None:
            return True
        rule_id, why = denial
        rules.clear()
        reasons.clear()
        rules.append(rule_id)
        reasons.append(why)
        entry = TraceEntry(rule_id, "denied", why, cp.cite(rule_id), cp.origins.get(rule_id), i)
        state.trace.append(entry)
        return False

    def _past_deletion(self, event: Event, state: _State) -> tuple[str, str] | None:
        """v2 invariant: nothing in a scope is read, recorded or shared after its deletion
        date (outside a legal hold), save the fields that survive anonymisation."""
        if state.hold is not None:
            return None
        day = _day(event.at)
        fields = set(_field(event.parsed, "fields") or ())
        book = state.book
        concerned = set(book.consent.concerned(event.subjects)) if book is not None else set()
        for clock in self._clocks(state):
            if clock.date is None or clock.cancelled_by is not None or day <= clock.date:
                continue
            if clock.subject is not None and clock.subject not in concerned:
                continue
            if fields and fields <= set(clock.rule.surviving_fields):
                continue
            who = f" of {clock.subject}" if clock.subject else ""
            return (
                clock.rule.id,
                f"{clock.rule.scope}{who} passed its deletion date {clock.date} "
                f"({clock.rule.id}): it may no longer be read, recorded or shared",
            )
        return None

    @staticmethod
    def _clocks(state: _State) -> list[_Clock]:
        return list(state.clocks.values())

    def _in_force(self, event: Event) -> bool:
        day = _day(event.at)
        if self._valid_from is not None and day < self._valid_from:
            return False
        return self._valid_until is None or day <= self._valid_until

    def _not_in_force(self, event: Event) -> str:
        eff = self.pack.pack.effective
        until = eff.valid_until if isinstance(eff.valid_until, dt.date) else "open-ended"
        return (
            f"the covenant was not in force on {_day(event.at)} (effective {eff.valid_from} "
            f"to {until}); evaluated as if it were"
        )

    def _lifecycle(
        self,
        i: int,
        event: Event,
        state: _State,
        ctx: _Context,
        rules: list[str],
        reasons: list[str],
    ) -> tuple[bool, str | None]:
        cp = self.compiled
        tried: list[str] = []
        for tr in cp.transitions.get((state.phase, event.type), ()):
            role = event.actor.role if event.actor else None
            if tr.by is not None and role not in tr.by:
                why = f"{tr.id}: only {', '.join(tr.by)} may cause it (actor: {role})"
                tried.append(why)
                self._trace(state, tr.id, "not_applicable", why, i)
                continue
            if tr.when is not None and not holds(tr.when, ctx):
                why = f"{tr.id}: condition not met: {_describe(tr.when)}"
                tried.append(why)
                self._trace(state, tr.id, "not_applicable", why, i)
                continue
            rules.append(tr.id)
            reasons.append(f"{tr.id}: {state.phase} -> {tr.to}")
            return True, tr.to
        if event.type in cp.always or event.type in cp.accepts.get(state.phase, ()):
            return True, None
        reason = f"{event.type} is not accepted in phase {state.phase}"
        if tried:
            reason += " (" + "; ".join(tried) + ")"
        reasons.append(reason)
        rules.extend(t.split(":")[0] for t in tried)
        self._trace(state, "lifecycle", "denied", reason, i, cp.cite(state.phase))
        return False, None

    def _specific(
        self,
        i: int,
        event: Event,
        state: _State,
        ctx: _Context,
        rules: list[str],
        reasons: list[str],
    ) -> tuple[bool, str]:
        """Checks that depend on the event type: access, sharing, waivers, requests; with the
        v2 verdict word ("unspecified", or "" for the boolean's meaning)."""
        p = event.parsed
        kind = event.type
        verdict: Verdict | None = None
        if kind in ("file_accessed", "data_recorded"):
            action = "read" if kind == "file_accessed" else "write"
            role = event.actor.role if event.actor else ""
            verdict = self._combine(
                [
                    self._access((role, cat, state.phase, action), p.purpose, ctx)
                    for cat in p.categories
                ]
            )
        elif kind == "data_provided":
            verdict = self._sharing(p.from_role, p.to_role, p.categories, state.phase, ctx)
        if verdict is not None and kind in _DATA_EVENTS:
            # v2: `on_violation: flag` deny rules and `outcome: unspecified` allow rules
            verdict, flagged = flagged_verdict(verdict, self._rules_by_id)
            if state.book is not None:
                for rule_id in flagged:
                    state.book.flag("rule_breached", rule_id, "; ".join(verdict.reasons), i)
        elif kind == "information_duty_waived":
            verdict = self._waiver(p, state)
        elif kind == "subject_request_received":
            verdict = self._request_received(event, p, state)
        elif kind == "subject_request_extended":
            verdict = self._request_extended(event, p, state)
        elif kind == "subject_request_answered":
            verdict = self._request_answered(p, state)
        if verdict is None:
            return True, ""
        rules.extend(verdict.rules)
        reasons.extend(verdict.reasons)
        if not verdict.allowed and kind in _DATA_EVENTS and state.book is not None:
            # v2: say when a consent the rules needed was withdrawn or refused (cited by event)
            for scope in self._consent_scopes:
                why = ctx.consent_missing(scope)
                if why is not None and (" was withdrawn " in why or " was refused " in why):
                    reasons.append(why)
        for entry in verdict.trace:
            state.trace.append(
                TraceEntry(entry.rule, entry.outcome, entry.reason, entry.source, entry.origin, i)
            )
        word = UNSPECIFIED if verdict.verdict == UNSPECIFIED else ""
        return verdict.allowed, word

    # access and sharing ---------------------------------------------------------------------

    def _access(
        self, cell: tuple[str, str, str, str], purpose: str | None, ctx: _Context
    ) -> Verdict:
        cp = self.compiled
        fixed = cp.fixed_access(cell)
        if fixed is not None:
            return fixed
        forbidden = cp.categories.get(cell[1])
        forbidden = forbidden if forbidden is not None and forbidden.forbidden else None
        rules = cp.access_cells.get(cell, ())
        key = self._memo_key("access", cell, rules, ctx, purpose)
        memo = self._verdict_memo.get(key) if key is not None else None
        if memo is not None:
            return memo

        def applies(rule: Any) -> tuple[bool, str]:
            if rule.purposes is not None and purpose not in rule.purposes:
                return False, f"purpose {purpose!r} is not one of {list(rule.purposes)}"
            if rule.when is not None and not holds(rule.when, ctx):
                return False, f"condition not met: {_describe(rule.when)}"
            return True, ""

        verdict = decide_access(cell, rules, forbidden, cp.sources, cp.origins, applies)
        self._remember(key, verdict)
        return verdict

    def _memo_key(
        self, kind: str, cell: tuple[str, ...], rules: Any, ctx: _Context, extra: Any = None
    ) -> Any:
        """A key under which a verdict may be memoised: the cell and the outcome of every
        field test and consent test the rules' conditions make. A verdict depends on the
        context only through those outcomes, so a memoised answer is the fresh answer by
        construction, and a key never holds a caller's value (its size is fixed by the pack).
        None when a condition looks at case history or a test cannot be decided in isolation:
        such a verdict is decided afresh."""
        tests = self._inputs.get((kind, cell))
        if tests is None:
            tests = self._inputs[(kind, cell)] = _condition_inputs(rules)
        if tests is _UNCACHEABLE or not (extra is None or type(extra) is str):
            return None
        try:
            outcomes = tuple(
                bool(ctx.has_consent(t)) if isinstance(t, str) else holds(t, ctx) for t in tests
            )
        except Exception:  # an odd value: decided afresh, where it may raise
            return None
        return (kind, cell, extra, outcomes)

    def _remember(self, key: Any, verdict: Verdict) -> None:
        """Memoise within a byte budget (_MEMO_BYTES): a long-lived engine stays small
        whatever its callers send."""
        if key is None:
            return
        size = _entry_bytes(key, verdict)
        if self._memo_bytes + size > _MEMO_BYTES:
            self._verdict_memo.clear()
            self._memo_bytes = 0
        self._verdict_memo[key] = verdict
        self._memo_bytes += size

    def _sharing(
        self, from_role: str, to_role: str, categories: Any, phase: str, ctx: _Context
    ) -> Verdict:
        """Each category is decided on its own; one denied category denies the provision."""
        return self._combine(
            [self._share_one(cat, from_role, to_role, phase, ctx) for cat in categories]
        )

    def _share_one(
        self, cat: str, from_role: str, to_role: str, phase: str, ctx: _Context
    ) -> Verdict:
        cp = self.compiled
        category = cp.categories.get(cat)
        if category is not None and category.forbidden:
            return _forbidden_shared(cp, category)
        cell = (cat, from_role, to_role, phase)
        candidates = [
            rule
            for rule in cp.sharing_index.get((cat, from_role), ())
            if _matches(rule.to_roles, to_role) and _matches(rule.phases, phase)
        ]
        purpose = _field(ctx.payload, "purpose")
        key = self._memo_key("sharing", cell, candidates, ctx, purpose)
        memo = self._verdict_memo.get(key) if key is not None else None
        if memo is not None:
            return memo
        trace: list[TraceEntry] = []
        allow: list[str] = []
        deny: list[str] = []
        for rule in cp.sharing_index.get((cat, from_role), ()):
            if not _matches(rule.to_roles, to_role):
                continue
            cite, origin = cp.cite(rule.id), cp.origins.get(rule.id)
            if not _matches(rule.phases, phase):
                trace.append(
                    TraceEntry(rule.id, "not_applicable", f"not in phase {phase}", cite, origin)
                )
                continue
            if rule.purposes is not None and purpose not in rule.purposes:
                # v2: a provision outside the rule's purposes is not what it allows
                why = f"purpose {purpose!r} is not one of {list(rule.purposes)}"
                trace.append(TraceEntry(rule.id, "not_applicable", why, cite, origin))
                continue
            if rule.when is not None and not holds(rule.when, ctx):
                why = f"condition not met: {_describe(rule.when)}"
                trace.append(TraceEntry(rule.id, "not_applicable", why, cite, origin))
                continue
            (deny if rule.effect is Effect.DENY else allow).append(rule.id)
            outcome = "denied" if rule.effect is Effect.DENY else "allowed"
            trace.append(
                TraceEntry(
                    rule.id, outcome, f"{outcome} {from_role} -> {to_role}: {cat}", cite, origin
                )
            )
        what = f"{from_role} -> {to_role}: {cat} in phase {phase}"
        if deny:
            reasons = tuple(f"{r} forbids {what}" for r in deny)
            verdict = Verdict(False, tuple(deny), reasons, tuple(trace))
        elif allow:
            reasons = tuple(f"{r} allows {what}" for r in allow)
            verdict = Verdict(True, tuple(allow), reasons, tuple(trace))
        else:
            reason = f"no rule allows {what} (default deny)"
            rule_id = "default_deny.sharing"
            cite = cp.cite(rule_id)
            trace.append(TraceEntry(rule_id, "default_deny", reason, cite, cp.origins.get(rule_id)))
            verdict = Verdict(False, (rule_id,) if cite else (), (reason,), tuple(trace))
        self._remember(key, verdict)
        return verdict

    @staticmethod
    def _combine(verdicts: list[Verdict]) -> Verdict:
        if len(verdicts) == 1:
            return verdicts[0]
        allowed = all(v.allowed for v in verdicts)
        chosen = verdicts if allowed else [v for v in verdicts if not v.allowed]
        rules = tuple(dict.fromkeys(r for v in chosen for r in v.rules))
        reasons = tuple(r for v in chosen for r in v.reasons)
        trace = tuple(t for v in verdicts for t in v.trace)
        return Verdict(allowed, rules, reasons, trace)

    # waivers and requests -------------------------------------------------------------------

    def _waiver(self, p: Any, state: _State) -> Verdict:
        cp = self.compiled
        duty = cp.duties[p.duty]
        cite = cp.cite(duty.id)
        if p.ground not in duty.exception_grounds:
            allowed = ", ".join(duty.exception_grounds) or "none"
            reason = f"{p.ground!r} is not a ground on which {duty.id} may be waived ({allowed})"
            return Verdict(
                False,
                (duty.id,),
                (reason,),
                (TraceEntry(duty.id, "denied", reason, cite, cp.origins.get(duty.id)),),
            )
        missing = [f for f in duty.waiver_requires if getattr(p, f) is None]
        if missing:
            reason = f"a waiver of {duty.id} must record {', '.join(missing)}"
            return Verdict(
                False,
                (duty.id,),
                (reason,),
                (TraceEntry(duty.id, "denied", reason, cite, cp.origins.get(duty.id)),),
            )
        if not state.open_duties.get(duty.id):
            reason = f"no open notification of {duty.id} to waive"
            return Verdict(
                False,
                (duty.id,),
                (reason,),
                (TraceEntry(duty.id, "denied", reason, cite, cp.origins.get(duty.id)),),
            )
        reason = f"{duty.id} waived on ground {p.ground} ({cp.cite(p.ground)})"
        return Verdict(
            True,
            (duty.id, p.ground),
            (reason,),
            (TraceEntry(duty.id, "fired", reason, cite, cp.origins.get(duty.id)),),
        )

    def _request_received(self, event: Event, p: Any, state: _State) -> Verdict:
        cp = self.compiled
        right = cp.rights.get(p.right)
        assert right is not None  # validate_case refuses a right the pack lacks
        state.request_rights.setdefault(p.request_id, p.right)
        cite, origin = cp.cite(right.id), cp.origins.get(right.id)
        if p.request_id in state.requests:
            reason = f"request {p.request_id!r} was already received"
            return Verdict(
                False,
                (right.id,),
                (reason,),
                (TraceEntry(right.id, "denied", reason, cite, origin),),
            )
        if right.form == "written" and p.form == "oral":
            reason = f"{right.id}: the request must be made in writing"
            return Verdict(
                False,
                (right.id,),
                (reason,),
                (TraceEntry(right.id, "denied", reason, cite, origin),),
            )
        problem = self._representation(right, p, _day(event.at), state)
        if problem is not None:
            return Verdict(
                False,
                (right.id,),
                (problem,),
                (TraceEntry(right.id, "denied", problem, cite, origin),),
            )
        if right.requires is not None:
            ctx = _Context(state, event, p)
            if not holds(right.requires, ctx):
                reason = f"{right.id} requires {_describe(right.requires)}"
                return Verdict(
                    False,
                    (right.id,),
                    (reason,),
                    (TraceEntry(right.id, "denied", reason, cite, origin),),
                )
        reason = f"{right.id}: {p.right.value} request {p.request_id} received"
        return Verdict(
            True, (right.id,), (reason,), (TraceEntry(right.id, "fired", reason, cite, origin),)
        )

    @staticmethod
    def _representation(right: Any, p: Any, day: dt.date, state: _State) -> str | None:
        if not right.representation:
            return None
        subject = state.subjects.get(p.subject) if p.subject else None
        if subject is None or subject.birth_date is None:
            if p.requester == "self":
                return None
            return (
                f"{right.id}: a representative's request needs the subject's birth date to "
                "check who may exercise the right"
            )
        age = relativedelta(day, subject.birth_date).years
        requester = "subject" if p.requester == "self" else "legal_representative"
        for rep in right.representation:
            if rep.age_from is not None and age < rep.age_from:
                continue
            if rep.age_below is not None and age >= rep.age_below:
                continue
            if rep.requires_incompetence and not subject.incompetent:
                continue
            if requester in rep.exercised_by:
                return None
            return (
                f"{right.id}: for a subject aged {age} the right is exercised by "
                f"{' and '.join(rep.exercised_by)}, not by the {requester}"
            )
        return None

    def _request_extended(self, event: Event, p: Any, state: _State) -> Verdict:
        cp = self.compiled
        req = state.requests.get(p.request_id)
        if req is None or req.done is not None:
            return self._not_open(p.request_id, "extend", state)
        right = req.right
        cite, origin = cp.cite(right.id), cp.origins.get(right.id)
        if not isinstance(right.extension, Deadline) or req.extended:
            reason = f"{right.id} allows no (further) extension"
            return Verdict(
                False,
                (right.id,),
                (reason,),
                (TraceEntry(right.id, "denied", reason, cite, origin),),
            )
        if req.due_at is not None and _at(event) > req.due_at:
            reason = f"{right.id}: the extension came after the deadline {req.due}"
            return Verdict(
                False,
                (right.id,),
                (reason,),
                (TraceEntry(right.id, "denied", reason, cite, origin),),
            )
        reason = f"{right.id}: request {p.request_id} extended by {right.extension.duration}"
        return Verdict(
            True, (right.id,), (reason,), (TraceEntry(right.id, "fired", reason, cite, origin),)
        )

    def _not_open(self, request_id: str, verb: str, state: _State) -> Verdict:
        """A request that was refused at receipt or already answered: denied, citing the
        right it was made under."""
        cp = self.compiled
        right = cp.rights[state.request_rights[request_id]]
        reason = f"{right.id}: no open request {request_id!r} to {verb}"
        entry = TraceEntry(right.id, "denied", reason, cp.cite(right.id), cp.origins.get(right.id))
        return Verdict(False, (right.id,), (reason,), (entry,))

    def _request_answered(self, p: Any, state: _State) -> Verdict:
        cp = self.compiled
        req = state.requests.get(p.request_id)
        if req is None or req.done is not None:
            return self._not_open(p.request_id, "answer", state)
        right = req.right
        cite, origin = cp.cite(right.id), cp.origins.get(right.id)
        if p.outcome != "granted":
            bad = [g for g in p.grounds if g not in right.refusal_grounds]
            if not p.grounds or bad:
                allowed = ", ".join(right.refusal_grounds) or "none"
                reason = (
                    f"{right.id}: a refusal must name grounds from ({allowed}); "
                    f"given {list(p.grounds)}"
                )
                return Verdict(
                    False,
                    (right.id,),
                    (reason,),
                    (TraceEntry(right.id, "denied", reason, cite, origin),),
                )
        reason = f"{right.id}: request {p.request_id} answered ({p.outcome})"
        return Verdict(
            True, (right.id,), (reason,), (TraceEntry(right.id, "fired", reason, cite, origin),)
        )

    # effects of an accepted event -------------------------------------------------------------

    def _effects(self, i: int, event: Event, state: _State, ctx: _Context) -> None:
        cp = self.compiled
        p = event.parsed
        kind = event.type
        book = state.book
        mandate = self._mandate_events.get(kind)
        if mandate is not None and (mandate.when is None or holds(mandate.when, ctx)):
            # v2: a mandate event lets a role discharge acts an `actor` limit reserves
            granted = _field(p, "role") or (event.actor.role if event.actor else None)
            if granted:
                state.mandates.add(str(granted))
        if kind in ("case_registered", "case_reregistered"):
            state.facts.update(p.facts)
        elif kind == "consent_given":
            state.consents[p.scope] = True
        elif kind in ("consent_withdrawn", "consent_refused"):
            state.consents[p.scope] = False
        if book is not None and kind in ("consent_given", "consent_withdrawn", "consent_refused"):
            book.consent.record(i, kind, p)
        elif kind == "legal_hold_started":
            state.hold = (i, p.reason)
            state.holds_seen.append((i, None))
        elif kind == "legal_hold_ended" and state.hold is not None:
            state.hold = None
            start, _ = state.holds_seen[-1]
            state.holds_seen[-1] = (start, i)
        elif kind == "information_duty_waived":
            waiting = state.open_duties[p.duty]
            targets = [waiting[0]]
            if event.subjects is not None and waiting[0].subject is not None:
                # v2: a waiver for some subjects waives their notifications only
                targets = [n for n in waiting if n.subject in event.subjects] or targets
            for target in targets:
                waiting.remove(target)
                target.ground, target.reason = p.ground, p.reason
                target.done = i
        elif kind == "subject_request_received":
            self._open_request(i, event, p, state)
        elif kind == "subject_request_extended":
            req = state.requests[p.request_id]
            req.due, req.due_at = _extended_due(req.right, req.trigger_at, self._working)
            req.extended = True
        elif kind == "subject_request_answered":
            req = state.requests[p.request_id]
            role = p.handler or (event.actor.role if event.actor else None)
            if actor_problem(getattr(req.right, "actor", None), role, state.mandates) is None:
                req.done, req.outcome = i, p.outcome
                req.late = req.due_at is not None and _at(event) > req.due_at
                granted = p.outcome in ("granted", "partially_granted")
                if book is not None and granted and req.request.get("right") == "objection":
                    # v2 AVG art. 21: an upheld objection stops processing of that
                    # subject's data; a request naming nobody is the household's in a v2
                    # pack. A case that does not list the subject (v1) is left as it was.
                    named = req.request.get("subject")
                    whose: tuple[str, ...] = ()
                    if named and named in state.subjects:
                        whose = (str(named),)
                    elif not named and self.pack.pack.schema_version >= 2:
                        whose = book.consent.concerned(None)
                    for who in whose:
                        book.consent.uphold_objection(i, who, p.request_id, req.duty)
        if kind in cp.fulfilling_events:
            self._fulfil(i, event, state, ctx)
        for duty in cp.duties_by_trigger.get(kind, ()):
            if duty.trigger.when is None or holds(duty.trigger.when, ctx):
                self._open_duty(i, event, duty, state)
        for dl in cp.deadlines_by_until.get(kind, ()):
            if dl.until.when is None or holds(dl.until.when, ctx):
                for entry in state.open_deadlines.pop(dl.id, ()):
                    if entry["met"] is None and entry.get("cancelled") is None:
                        entry["met"] = i
                        entry["late"] = entry["due_at"] is not None and _at(event) > entry["due_at"]
                        self._trace(state, dl.id, "fired", f"met by event {i} ({kind})", i)
        for entries in list(state.open_deadlines.values()):
            for entry in entries:
                dl = entry["rule"]
                if (
                    entry["met"] is None
                    and entry.get("cancelled") is None
                    and any(
                        ref.event == kind
                        and (ref.when is None or holds(ref.when, ctx))
                        and _within(ref, entry["start_at"], event.at)
                        for ref in dl.cancelled_by
                    )
                ):
                    # v2: the deadline no longer runs (e.g. the case was closed first)
                    entry["cancelled"] = i
                    self._trace(state, dl.id, "fired", f"cancelled by event {i} ({kind})", i)
        for dl in cp.deadlines_by_start.get(kind, ()):
            if dl.start.when is None or holds(dl.start.when, ctx):
                due, due_at, counting = self._due(dl.deadline, event.at, p)
                n = state.counter[dl.id] = state.counter.get(dl.id, 0) + 1
                entry = {
                    "rule": dl,
                    "id": f"{dl.id}#{n}",
                    "start": i,
                    "due": due,
                    "due_at": due_at,
                    "counting": counting,
                    "met": None,
                    "late": False,
                    "start_at": event.at,
                }
                state.deadlines.append(entry)
                state.open_deadlines.setdefault(dl.id, []).append(entry)
                self._trace(state, dl.id, "fired", f"started: due {due or 'unspecified'}", i)
        for clock in cp.clocks_by_cancel.get(kind, ()):
            for key in self._clock_keys(state, clock.scope):
                running = state.clocks[key]
                if running.rule is not clock or running.cancelled_by is not None:
                    continue
                refs = [r for r in clock.cancelled_by if r.event == kind]
                if any(
                    (r.when is None or holds(r.when, ctx))
                    and _within(r, running.started_at, event.at)
                    for r in refs
                ):
                    running.cancelled_by = i
                    self._trace(state, clock.id, "fired", f"clock cancelled by {kind}", i)
        if kind == "case_reregistered":
            self._reregistered(i, event, state)
        for clock in cp.clocks_by_trigger.get(kind, ()):
            if clock.trigger.when is None or holds(clock.trigger.when, ctx):
                began: Moment = event.at
                note: str | None = None
                if clock.counted_from is not None:
                    began, note = _counted_from(clock.counted_from, state, event)
                keys: list[tuple[str, str | None]] = [(clock.scope, None)]
                if clock.per == "subject" and book is not None:
                    # v2: one clock per data subject the trigger concerns
                    keys = [
                        (f"{clock.scope}@{who}", who) if who != HOUSEHOLD else (clock.scope, None)
                        for who in book.consent.concerned(event.subjects)
                    ]
                for key, subject in keys:
                    current = state.clocks.get(key)
                    if (
                        clock.restart_within
                        and current is not None
                        and current.cancelled_by is None
                        and current.date is not None
                        and _day(event.at) > current.date
                    ):
                        # v2: the clock had run out; a later trigger no longer restarts it
                        why = f"not restarted: {key} passed its deletion date {current.date}"
                        self._trace(state, clock.id, "not_applicable", why, i)
                        continue
                    started = self._start_clock(clock, i, began, note, p)
                    started.subject, started.started_at = subject, event.at
                    state.clocks[key] = started
                    self._trace(state, clock.id, "fired", f"retention clock for {key} started", i)
        if book is not None:
            self._records(i, event, state, ctx)

    def _clock_keys(self, state: _State, scope: str) -> list[str]:
        """The running clocks of a scope: the case's, and v2 per-subject ones (scope@id)."""
        prefix = scope + "@"
        return [k for k in state.clocks if k == scope or k.startswith(prefix)]

    def _reregistered(self, i: int, event: Event, state: _State) -> None:
        """v2 `on_reregistration`: what a re-registration does to a running clock."""
        for key, running in list(state.clocks.items()):
            rule = running.rule
            spec = rule.on_reregistration
            if spec is None or running.cancelled_by is not None:
                continue
            effect = spec if isinstance(spec, str) else str(self.settings.get(spec.setting, "keep"))
            if effect == "cancel":
                running.cancelled_by = i
                self._trace(state, rule.id, "fired", f"{key}: cancelled by re-registration", i)
            elif effect == "restart":
                started = self._start_clock(rule, i, event.at, "restarted by re-registration")
                started.subject, started.started_at = running.subject, event.at
                state.clocks[key] = started
                self._trace(state, rule.id, "fired", f"{key}: restarted by re-registration", i)

    def _records(self, i: int, event: Event, state: _State, ctx: _Context) -> None:
        """v2 `records`: an allowed event may breach, discharge or require records."""
        assert state.book is not None
        p = event.parsed

        def matches(ref: EventRef) -> bool:
            return ref.when is None or holds(ref.when, ctx)

        def due(rule: Any) -> tuple[dt.date | None, dt.datetime | None]:
            if rule.deadline is None:
                return None, None
            day, at, _ = self._due(rule.deadline, event.at, p)
            return day, at

        record = _field(p, "record") if event.type == "data_recorded" else None
        state.book.on_allowed(i, event.type, record, event.subjects, matches, due)

    def _due(
        self, deadline: Deadline | Unspecified, at: Moment, payload: Any = None
    ) -> tuple[dt.date | None, dt.datetime | None, str | None]:
        """Due date, moment and counting of a deadline from ``at``: v2 with its duration
        from a setting or an event field, and "werkdagen" on the pack's calendar."""
        if isinstance(deadline, Deadline) and deadline.duration_from is not None:
            text = self._duration_text(deadline.duration_from, deadline.duration, payload)
            if isinstance(text, str):
                deadline = deadline.model_copy(update={"duration": text, "duration_from": None})
        return _due(deadline, at, self._working)

    def _duration_text(
        self, spec: Any, fallback: str | Unspecified | None, payload: Any
    ) -> str | Unspecified | None:
        """A v2 `duration_from`: the setting's value, or the event field's (if it parses)."""
        if spec.setting is not None:
            value = self.settings.get(spec.setting)
        else:
            value = _field(payload, spec.field.split(".", 1)[1])
        if isinstance(value, str):
            try:
                _duration(value)
            except DurationError:
                return fallback
            return value
        return fallback

    def _start_clock(
        self, clock: RetentionClock, i: int, at: Moment, note: str | None, payload: Any = None
    ) -> _Clock:
        if clock.duration_from is not None:
            text = self._duration_text(clock.duration_from, clock.duration, payload)
            if isinstance(text, str) and text != clock.duration:
                clock = clock.model_copy(update={"duration": text})
        return _start_clock(clock, i, at, note, self._working)

    def _fulfil(self, i: int, event: Event, state: _State, ctx: _Context) -> None:
        """Discharge open notifications of the duties this event can fulfil (oldest first:
        one event discharges every open notification of a duty it matches). v2: only those
        of the subjects the act concerns, and only an act by an allowed actor, in the form
        and with the content the duty asks; otherwise a finding."""
        cp = self.compiled
        p = event.parsed
        book = state.book
        concerned: set[str] | None = None
        named = _field(p, "subjects") or event.subjects
        if named:
            concerned = set(named)
        for duty_id in list(state.open_duties):
            duty = cp.duties[duty_id]
            if not _discharges(duty, event, p, ctx):
                continue
            role = event.actor.role if event.actor else None
            check_form = event.type != "notification_sent" or bool(
                _field(p, "form") or _field(p, "content")
            )
            problems = informing_problems(duty, p) if check_form else []
            actor = actor_problem(duty.actor, role, state.mandates)
            if actor is not None:
                problems.append(("wrong_actor", f"{duty.id}: {actor}"))
            if problems:
                if book is not None:
                    for code, message in problems:
                        book.flag(code, duty.id, message, i)
                why = "not discharged: " + "; ".join(m for _, m in problems)
                self._trace(state, duty.id, "not_applicable", why, i)
                continue
            keep: list[_Open] = []
            for n in state.open_duties.pop(duty_id):
                if n.subject is not None and concerned is not None and n.subject not in concerned:
                    keep.append(n)
                    continue
                n.done = i
                n.late = n.due_at is not None and _at(event) > n.due_at
                self._trace(state, duty.id, "fired", f"notification {n.id} done", i)
            if keep:
                state.open_duties[duty_id] = keep

    def _open_duty(self, i: int, event: Event, duty: InformationDuty, state: _State) -> None:
        cp = self.compiled
        due, due_at, counting = self._due(duty.deadline, event.at, event.parsed)
        note = duty.deadline.note if isinstance(duty.deadline, Unspecified) else None
        subjects: list[str | None] = [None]
        if duty.per == "subject" and state.book is not None:
            # v2: one notification per data subject the trigger concerns
            subjects = [
                s if s != HOUSEHOLD else None for s in state.book.consent.concerned(event.subjects)
            ]
        for recipient in (duty.recipient, *duty.recipients):
            for subject in subjects:
                n = state.counter[duty.id] = state.counter.get(duty.id, 0) + 1
                opened = _Open(
                    id=f"{duty.id}#{n}",
                    duty=duty.id,
                    recipient=recipient,
                    informer=duty.informer,
                    about=duty.about,
                    trigger=i,
                    due=due,
                    due_at=due_at,
                    asap=isinstance(duty.deadline, Deadline) and duty.deadline.asap,
                    counting=counting,
                    source=cp.cite(duty.id) or "",
                    origin=cp.origins.get(duty.id, ""),
                    note=note,
                    subject=subject,
                    missed_of=duty.opened_by_missed,
                )
                state.notifications.append(opened)
                state.open_duties.setdefault(duty.id, []).append(opened)
                who = f" about {subject}" if subject else ""
                why = f"notification to {recipient}{who} required"
                self._trace(state, duty.id, "fired", why, i)

    def _open_request(self, i: int, event: Event, p: Any, state: _State) -> None:
        cp = self.compiled
        right = cp.rights[p.right]
        due, due_at, counting = self._due(right.deadline, event.at, p)
        req = _Open(
            id=f"{right.id}#{p.request_id}",
            duty=right.id,
            recipient="requester",
            informer=right.handler,
            about=f"{p.right.value} request {p.request_id}",
            trigger=i,
            due=due,
            due_at=due_at,
            asap=isinstance(right.deadline, Deadline) and right.deadline.asap,
            counting=counting,
            source=cp.cite(right.id) or "",
            origin=cp.origins.get(right.id, ""),
            request_id=p.request_id,
            request={"right": p.right.value, "requester": p.requester, "subject": p.subject},
            right=right,
            trigger_at=event.at,
            note=right.deadline.note if isinstance(right.deadline, Unspecified) else None,
        )
        state.requests[p.request_id] = req
        state.notifications.append(req)

    # reporting ------------------------------------------------------------------------------

    def _notification(self, n: _Open, cutoff: dt.datetime) -> Notification:
        if n.ground is not None:
            status = "waived"
        elif n.done is not None:
            status = "done"
        elif n.due_at is not None and cutoff > n.due_at:
            status = "overdue"
        else:
            status = "pending"
        return Notification(
            id=n.id,
            duty=n.duty,
            recipient=n.recipient,
            informer=n.informer,
            about=n.about,
            trigger_event=n.trigger,
            status=status,
            due=n.due,
            due_at=n.due_at,
            asap=n.asap,
            counting=n.counting,
            source=n.source,
            origin=n.origin,
            done_event=n.done,
            late=n.late,
            ground=n.ground,
            reason=n.reason,
            outcome=n.outcome,
            note=n.note,
            subject=n.subject,
        )

    def _deadline(self, d: dict[str, Any], cutoff: dt.datetime) -> ProcessDeadlineStatus:
        rule = d["rule"]
        if d["met"] is not None:
            status = "late" if d["late"] else "met"
        elif d.get("cancelled") is not None:
            status = "cancelled"  # v2: a `cancelled_by` event ended it
        elif d["due_at"] is not None and cutoff > d["due_at"]:
            status = "overdue"
        else:
            status = "pending"
        note = rule.deadline.note if isinstance(rule.deadline, Unspecified) else None
        return ProcessDeadlineStatus(
            id=d["id"],
            rule=rule.id,
            label=rule.label,
            start_event=d["start"],
            status=status,
            due=d["due"],
            due_at=d["due_at"],
            counting=d["counting"],
            source=self.compiled.cite(rule.id) or "",
            met_event=d["met"],
            responsible=rule.responsible,
            note=note,
        )

    def _deletions(self, state: _State, cutoff: dt.datetime) -> tuple[Deletion, ...]:
        cp = self.compiled
        out = []
        keys: list[tuple[str, _Clock | None]] = []
        for scope in cp.scopes:
            per_subject = [k for k in self._clock_keys(state, scope) if k != scope]
            if scope in state.clocks or not per_subject:
                keys.append((scope, state.clocks.get(scope)))
            keys.extend((k, state.clocks[k]) for k in per_subject)
        for key, clock in keys:
            scope = key.split("@", 1)[0]
            subject = clock.subject if clock is not None else None
            if clock is None or clock.cancelled_by is not None:
                starters = [
                    f"{c.id} (on {c.trigger.event}, {cp.cite(c.id)})"
                    for c in cp.clocks
                    if c.scope == scope
                ]
                reason = "no retention clock is running; it starts with: " + "; ".join(starters)
                if clock is not None:
                    reason = (
                        f"clock {clock.rule.id} was cancelled by event "
                        f"{clock.cancelled_by}; " + reason
                    )
                out.append(Deletion(scope, None, None, reason, subject=subject))
                continue
            rule = clock.rule
            exceptions = tuple(f"{e.id}: {e.label} ({e.source.cite()})" for e in rule.exceptions)
            if state.hold is not None:
                start, why = state.hold
                out.append(
                    Deletion(
                        scope,
                        None,
                        rule.id,
                        f"deletion suspended by a legal hold since event {start}: {why}",
                        cp.cite(rule.id),
                        clock.trigger,
                        clock.anchor,
                        clock.steps,
                        exceptions,
                        True,
                        subject=subject,
                        surviving_fields=rule.surviving_fields,
                    )
                )
                continue
            if clock.date is None:
                note = rule.duration.note if isinstance(rule.duration, Unspecified) else ""
                out.append(
                    Deletion(
                        scope,
                        None,
                        rule.id,
                        f"{rule.id} started but its period is unspecified: {note}",
                        cp.cite(rule.id),
                        clock.trigger,
                        clock.anchor,
                        clock.steps,
                        exceptions,
                        subject=subject,
                        surviving_fields=rule.surviving_fields,
                    )
                )
                continue
            alert = None
            if rule.alert_before is not None:
                alert = clock.date - _duration(rule.alert_before).calendar_delta()
            out.append(
                Deletion(
                    scope,
                    clock.date,
                    rule.id,
                    rule.label,
                    cp.cite(rule.id),
                    clock.trigger,
                    clock.anchor,
                    clock.steps,
                    exceptions,
                    alert_on=alert,
                    subject=subject,
                    surviving_fields=rule.surviving_fields,
                )
            )
        return tuple(out)

    def _allowed_actions(self, state: _State) -> tuple[AllowedAction, ...]:
        cp = self.compiled
        out: list[AllowedAction] = []
        seen: set[str] = set()
        ctx = _Context(state, None, {})
        for (phase, ev), transitions in sorted(cp.transitions.items()):
            if phase != state.phase:
                continue
            for tr in transitions:
                roles: tuple[str, ...] | str = tr.by if tr.by is not None else "any"
                blocked = self._blocked(ev, ctx)
                out.append(
                    AllowedAction(
                        ev,
                        roles,
                        blocked is None,
                        blocked or f"{tr.id}: moves the case to {tr.to}",
                        tr.id,
                    )
                )
                seen.add(ev)
        for ev in sorted(cp.accepts.get(state.phase, frozenset())):
            if ev not in seen:
                blocked = self._blocked(ev, ctx)
                out.append(
                    AllowedAction(
                        ev,
                        "any",
                        blocked is None,
                        blocked or f"accepted in phase {state.phase}",
                        state.phase,
                    )
                )
        return tuple(out)

    def _blocked(self, event_type: str, ctx: _Context) -> str | None:
        """A precondition that already fails on the case as it stands (one that tests the
        event's own payload can only be judged when the event comes, so it never blocks)."""
        for pre in self.compiled.preconditions.get(event_type, ()):
            if pre.when is not None or _reads_payload(pre.require):
                continue
            if not holds(pre.require, ctx):
                return f"{pre.id}: {pre.message}"
        return None

    def _role_access(self, phase: str) -> tuple[RoleAccess, ...]:
        rows = self._access_summary.get(phase)
        if rows is None:
            rows = self._access_summary[phase] = self._summarise_access(phase)
        return rows

    def _summarise_access(self, phase: str) -> tuple[RoleAccess, ...]:
        """Who may read and write what in a phase, whatever the case: rules whose condition
        reads only the engine's settings are decided here; others are left out."""
        cp = self.compiled
        ctx = _Context(_State(phase, {}, {}, self.settings), None, {})
        out = []
        for role in sorted(cp.roles):
            found: dict[str, list[str]] = {"read": [], "write": []}
            for action, cats in found.items():
                for cat in cp.categories:
                    rules = cp.access_cells.get((role, cat, phase, action), ())
                    if action == "write" and cp.categories[cat].forbidden:
                        continue
                    if _static_allow(rules, ctx):
                        cats.append(cat)
            if found["read"] or found["write"]:
                out.append(RoleAccess(role, tuple(found["read"]), tuple(found["write"])))
        return tuple(out)

    def _trace(
        self,
        state: _State,
        rule: str,
        outcome: str,
        reason: str,
        event: int,
        source: str | None = None,
    ) -> None:
        cp = self.compiled
        state.trace.append(
            TraceEntry(rule, outcome, reason, source or cp.cite(rule), cp.origins.get(rule), event)
        )


def _resolve_settings(pack: Pack, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The pack's defaults with the user's overrides, each checked against its type."""
    defined = {s.id: s for s in pack.settings}
    problems = []
    values: dict[str, Any] = {s.id: s.default for s in pack.settings}
    for key, value in overrides.items():
        setting = defined.get(key)
        if setting is None:
            problems.append(
                Problem(
                    f"unknown setting {key!r}",
                    hint=did_you_mean(key, defined)
                    or f"settings of {pack.pack.id}: {sorted(defined) or 'none'}",
                )
            )
            continue
        try:
            values[key] = check_setting_value(setting, value)
        except ValueError as exc:
            problems.append(Problem(str(exc)))
    if problems:
        raise EventError(problems)
    return values


class CaseSession:
    """One case evaluated incrementally: events arrive one by one.

    ``post`` validates the event (an EventError leaves the session untouched), applies it and
    returns what changed; ``decision(as_of)`` equals ``Engine.evaluate`` on the same events;
    ``due(now)`` lists what has fallen due, from a clock the caller supplies.
    """

    def __init__(
        self, engine: Engine, case_id: str, facts: Mapping[str, Any], subjects: Any
    ) -> None:
        self.engine = engine
        self.case_id = case_id
        self._state = _State(
            engine.compiled.initial, dict(facts), {s.id: s for s in subjects}, engine.settings
        )
        ledger = ConsentLedger(subjects=tuple(s.id for s in subjects))
        self._state.book = CaseBook(engine._casemodel, engine.compiled.cite, ledger)
        self._verdicts: list[EventVerdict] = []
        self._last: dt.datetime | None = None
        self._open: list[_Open] = []  # notifications open after the last post
        self._seen = 0  # how many of the state's notifications _open accounts for

    @property
    def phase(self) -> str:
        return self._state.phase

    @property
    def verdicts(self) -> tuple[EventVerdict, ...]:
        return tuple(self._verdicts)

    def post(self, event: Event | Mapping[str, Any]) -> Consequences:
        """Apply one event; raise EventError (and change nothing) if it is malformed."""
        if not isinstance(event, Event):
            event = _validated(Event, event)
        index = len(self._verdicts)
        problems = self.engine._event_problems(index, event)
        problems += _request_problems(index, event, set(self._state.request_rights))
        problems += _subject_problems(index, event, set(self._state.subjects))
        moment = _at(event)
        if self._last is not None and moment < self._last:
            problems.append(
                Problem(
                    f"event at {event.at} is earlier than the last event posted",
                    hint="post events in time order",
                )
            )
        if problems:
            raise EventError(problems)
        state = self._state
        before = len(state.notifications)
        # open notifications, kept between posts: finding those this event settles costs the
        # number still open, not the length of the case's history
        fresh = state.notifications[self._seen :]
        was_open = [n for n in (*self._open, *fresh) if n.done is None]
        clocks = {k: (c.rule.id, c.date, c.cancelled_by) for k, c in state.clocks.items()}
        hold = state.hold
        findings_before = len(state.book.findings) if state.book is not None else 0
        verdict = self._apply(event)
        cutoff = _instant(event.at, end_of_day=not isinstance(event.at, dt.datetime))
        opened = tuple(
            self.engine._notification(n, cutoff)
            for n in state.notifications[before:]
            if n.missed_of is None
        )
        settled = tuple(n.id for n in was_open if n.done == index)
        self._open = [n for n in (*was_open, *state.notifications[before:]) if n.done is None]
        self._seen = len(state.notifications)
        changed = {
            k
            for k, c in state.clocks.items()
            if clocks.get(k) != (c.rule.id, c.date, c.cancelled_by)
        }
        if state.hold != hold:
            changed = set(state.clocks)
        deletions = tuple(d for d in self.engine._deletions(state, cutoff) if d.scope in changed)
        findings = tuple(state.book.findings[findings_before:]) if state.book is not None else ()
        return Consequences(verdict, state.phase, opened, settled, deletions, findings)

    def _apply(self, event: Event) -> EventVerdict:
        verdict = self.engine._apply(len(self._verdicts), event, self._state)
        self._verdicts.append(verdict)
        self._last = _at(event)
        return verdict

    def decision(self, as_of: Moment, *, ignored: int = 0) -> CaseDecision:
        """The decision as of ``as_of``, which may not lie before an event already posted."""
        cutoff = _cutoff(as_of)
        if self._last is not None and cutoff < self._last:
            raise EventError(
                [
                    Problem(
                        f"as_of {as_of} lies before the last event posted; use Engine.evaluate on "
                        "the events up to that moment"
                    )
                ]
            )
        return self.engine._decide(self._state, self.case_id, as_of, tuple(self._verdicts), ignored)

    def due(self, now: Moment) -> DueItems:
        """Open notifications and deadlines past due, and deletions whose date has come."""
        cutoff = _cutoff(now)
        engine = self.engine
        state = self._state
        notes = tuple(
            engine._notification(n, cutoff)
            for items in state.open_duties.values()
            for n in items
            if n.due_at is not None and cutoff > n.due_at
        ) + tuple(
            engine._notification(r, cutoff)
            for r in state.requests.values()
            if r.done is None and r.due_at is not None and cutoff > r.due_at
        )
        deadlines = tuple(
            engine._deadline(d, cutoff)
            for items in state.open_deadlines.values()
            for d in items
            if d["due_at"] is not None and cutoff > d["due_at"]
        )
        deletions = tuple(
            d
            for d in engine._deletions(state, cutoff)
            if d.date is not None and d.date <= cutoff.date()
        )
        return DueItems(now, notes, deadlines, deletions)


def _cutoff(as_of: Moment) -> dt.datetime:
    if not isinstance(as_of, dt.date):
        raise EventError(
            [Problem(f"as_of must be a date or a datetime with offset, found {as_of!r}")]
        )
    if isinstance(as_of, dt.datetime) and as_of.utcoffset() is None:
        raise EventError([Problem("as_of needs a UTC offset, or give a plain date")])
    if not 2 <= as_of.year <= 9998:  # keep clear of datetime's limits when converting zones
        raise EventError([Problem(f"as_of: expected a year from 2 to 9998, found {as_of}")])
    return _instant(as_of, end_of_day=True)


# --- helpers ------------------------------------------------------------------------------------


# Payload fields that name something the pack must define, per core event type.
_REFERENCE_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "case_registered": (("reporter_role", "role"), ("reporter_party", "party")),
    "case_reregistered": (("reporter_role", "role"),),
    "data_provided": (
        ("categories", "category"),
        ("from_role", "role"),
        ("to_role", "role"),
        ("from_party", "party"),
        ("to_party", "party"),
        ("origin_party", "party"),
    ),
    "data_recorded": (("categories", "category"),),
    "file_accessed": (("categories", "category"),),
    "information_duty_waived": (("duty", "duty"), ("ground", "ground")),
    "hearing_waived": (("ground", "ground"),),
    "notification_sent": (("duty", "duty"),),
    "subject_request_answered": (("grounds", "ground"),),
}


def _reads_payload(condition: Condition) -> bool:
    fields = referenced_fields(condition, inside_occurred=False)
    return any(f.startswith(("payload.", "subject.", "request.")) for f in fields)


def _static_allow(rules: tuple[Any, ...], ctx: _Context) -> bool:
    """Allowed whatever the case: every rule's condition reads only settings, no purpose, at
    least one applicable allow and no applicable deny."""
    allowed = False
    for rule in rules:
        if rule.purposes is not None:
            return False
        if rule.when is not None:
            fields = referenced_fields(rule.when)
            static = all(f.startswith("settings.") for f in fields) and not referenced_events(
                rule.when
            )
            if not static or _has_consent_test(rule.when):
                return False
            if not holds(rule.when, ctx):
                continue
        if rule.effect is Effect.DENY:
            return False
        allowed = True
    return allowed


def _forbidden_shared(cp: CompiledPack, category: Any) -> Verdict:
    """A forbidden category may never be recorded, so it is never shared either, whatever a
    sharing rule allows (design.md, "A pack": forbidden ones may never be recorded or
    shared); the category's own source is the citation."""
    reason = f"{category.id} may never be recorded or shared ({category.label})"
    entry = TraceEntry(
        category.id, "denied", reason, category.source.cite(), cp.origins.get(category.id)
    )
    return Verdict(False, (category.id,), (reason,), (entry,))


_UNCACHEABLE = object()
# The memo's budget: the estimated size of its keys and verdicts (sys.getsizeof of the
# objects and strings they hold). Exceeding it empties the memo.
_MEMO_BYTES = 16 * 1024 * 1024


def _condition_inputs(rules: Any) -> Any:
    """The field tests and consent scopes the rules' conditions make (a verdict is a function
    of their outcomes); _UNCACHEABLE if one looks at the case history (``occurred``)."""
    tests: dict[Any, None] = {}
    for rule in rules:
        if rule.when is None:
            continue
        if referenced_events(rule.when):
            return _UNCACHEABLE
        tests.update(dict.fromkeys(_field_tests(rule.when)))
        tests.update(dict.fromkeys(sorted(_consent_scopes(rule.when))))
    return tuple(tests)


def _field_tests(condition: Condition) -> list[Condition]:
    from mph_rules.conditions import AllOf, AnyOf, FieldTest, Not

    if isinstance(condition, FieldTest):
        return [condition]
    if isinstance(condition, AllOf | AnyOf):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        return [t for c in parts for t in _field_tests(c)]
    if isinstance(condition, Not):
        return _field_tests(condition.not_)
    return []


def _entry_bytes(key: Any, verdict: Verdict) -> int:
    """An estimate of what one memo entry holds: key, verdict, their strings, a dict slot."""
    size = 100 + sys.getsizeof(key) + sys.getsizeof(key[3]) + sys.getsizeof(verdict)
    if key[2] is not None:
        size += sys.getsizeof(key[2])
    size += sum(sys.getsizeof(r) for r in verdict.reasons) + sys.getsizeof(verdict.trace)
    for t in verdict.trace:
        size += sys.getsizeof(t) + sys.getsizeof(t.reason)
    return size


def _consent_scopes(condition: Condition) -> set[str]:
    from mph_rules.conditions import AllOf, AnyOf, ConsentGiven, Not

    if isinstance(condition, ConsentGiven):
        return {condition.consent}
    if isinstance(condition, AllOf | AnyOf):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        return set().union(*(_consent_scopes(c) for c in parts))
    if isinstance(condition, Not):
        return _consent_scopes(condition.not_)
    return set()


def _has_consent_test(condition: Condition) -> bool:
    from mph_rules.conditions import AllOf, AnyOf, ConsentGiven, Not

    if isinstance(condition, ConsentGiven):
        return True
    if isinstance(condition, AllOf | AnyOf):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        return any(_has_consent_test(c) for c in parts)
    if isinstance(condition, Not):
        return _has_consent_test(condition.not_)
    return False


_DATA_EVENTS = frozenset({"file_accessed", "data_recorded", "data_provided"})


def _subject_problems(i: int, event: Event, known: set[str]) -> list[Problem]:
    """v2: the subjects an event names must be subjects of the case."""
    return [
        Problem(
            f"unknown subject {who!r}: not one of the case's subjects",
            path=f"events[{i}].subjects[{j}]",
            hint=did_you_mean(who, known) or f"case subjects: {sorted(known) or 'none'}",
        )
        for j, who in enumerate(event.subjects or ())
        if who not in known
    ]


def payload_v1(context: Mapping[str, Any] | None) -> dict[str, Any]:
    """The payload a v1 access query's conditions see (exactly as before v2)."""
    return dict((context or {}).get("payload", {}))


def _field(payload: Any, name: str) -> Any:
    """A payload field or None, without pydantic's slow attribute-miss path."""
    if isinstance(payload, BaseModel):
        return payload.__dict__.get(name)
    return payload.get(name) if isinstance(payload, Mapping) else None


def _matches(allowed: Any, value: str) -> bool:
    return allowed == "*" or value in allowed


def _discharges(duty: InformationDuty, event: Event, p: Any, ctx: _Context) -> bool:
    if event.type == "notification_sent":
        return bool(p.duty == duty.id)
    if event.type == "household_informed" and p.about == duty.about:
        return True
    return any(
        ref.event == event.type and (ref.when is None or holds(ref.when, ctx))
        for ref in duty.fulfilled_by
    )


def _due(
    deadline: Deadline | Unspecified, at: Moment, working: WorkingDayCalendar | None = None
) -> tuple[dt.date | None, dt.datetime | None, str | None]:
    if isinstance(deadline, Unspecified) or deadline.duration is None:
        counting = deadline.counting.value if isinstance(deadline, Deadline) else None
        return None, None, counting
    result = _compute_deadline(
        at, _duration(deadline.duration), deadline.counting, deadline.anchor, working
    )
    return result.due, result.due_at, deadline.counting.value


def _extended_due(
    right: Any, received: Moment, working: WorkingDayCalendar | None = None
) -> tuple[dt.date, dt.datetime]:
    """The whole period, original plus extension, counted from receipt (AVG art. 12(3):
    "met twee maanden worden verlengd" makes it three months from receipt)."""
    first, ext = _duration(right.deadline.duration), _duration(right.extension.duration)
    total = Duration(
        years=first.years + ext.years,
        months=first.months + ext.months,
        weeks=first.weeks + ext.weeks,
        days=first.days + ext.days,
        hours=first.hours + ext.hours,
        minutes=first.minutes + ext.minutes,
    )
    result = _compute_deadline(
        received, total, right.extension.counting, right.deadline.anchor, working
    )
    return result.due, result.due_at


def _start_clock(
    clock: RetentionClock,
    i: int,
    at: Moment,
    note: str | None,
    working: WorkingDayCalendar | None = None,
) -> _Clock:
    first = (note,) if note else ()
    if isinstance(clock.duration, Unspecified):
        return _Clock(clock, i, None, None, (*first, f"period unspecified: {clock.duration.note}"))
    result = _compute_deadline(at, _duration(clock.duration), clock.counting, clock.anchor, working)
    steps = (*first, *result.steps)
    return _Clock(clock, i, anchor_date(_day(at), clock.anchor), result.due, steps)


def _within(ref: EventRef, start: Moment | None, at: Moment) -> bool:
    """v2 windows: an event with `within` counts only that long after `start`."""
    if ref.within is None or start is None:
        return True
    end = _day(start) + _duration(ref.within).calendar_delta()
    return _day(at) <= end


def _counted_from(ref: EventRef, state: _State, event: Event) -> tuple[Moment, str]:
    """The moment of the latest earlier allowed event ``ref`` names; the trigger if none."""
    earlier = _latest_match(state, ref.event, ref.when)
    if earlier is not None:
        return earlier.at, f"counted from the {ref.event} event of {_day(earlier.at)}"
    return event.at, f"no earlier {ref.event} event: counted from the trigger event"


def _latest_match(state: _State, event_type: str, where: Condition | None) -> Event | None:
    """The latest earlier allowed event of this type that meets ``where``. Where ``where``
    reads only the earlier event itself (its payload and actor) and settings, whether an
    event meets it never changes, so each event is tested once per condition (the case's
    history only grows; ``matched`` remembers how far); otherwise (marked -1) every earlier
    event is tested afresh."""
    earlier = state.occurred.get(event_type, ())
    if where is None or not earlier:
        return earlier[-1] if earlier else None
    key = (event_type, id(where))
    tested, latest = state.matched.get(key) or (0 if _reads_event_only(where) else -1, None)
    if tested < 0:
        state.matched[key] = (-1, None)
        for e in reversed(earlier):
            if holds(where, _Context(state, e, e.parsed)):
                return e
        return None
    for e in earlier[tested:]:
        if holds(where, _Context(state, e, e.parsed)):
            latest = e
    state.matched[key] = (len(earlier), latest)
    return latest


def _reads_event_only(condition: Condition) -> bool:
    """Whether a condition reads nothing but the event it is tested on and settings."""
    fields = referenced_fields(condition)
    return (
        not referenced_events(condition)
        and not _consent_scopes(condition)
        and all(f.startswith(("payload.", "actor.", "settings.")) for f in fields)
    )


_M = TypeVar("_M", bound=BaseModel)


def _request_problems(i: int, event: Event, received: set[str]) -> list[Problem]:
    """A request must be received before it is extended or answered (ids in ``received``,
    which this updates)."""
    if event.type == "subject_request_received":
        received.add(event.parsed.request_id)
    elif event.type in ("subject_request_answered", "subject_request_extended"):
        request_id = event.parsed.request_id
        if request_id not in received:
            return [
                Problem(
                    f"request {request_id!r} was never received in this case",
                    path=f"events[{i}].payload.request_id",
                    hint=did_you_mean(request_id, received),
                )
            ]
    return []


def _validated(model: type[_M], data: Any) -> _M:
    """``model.model_validate(data)``, its errors raised as an EventError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EventError(
            [
                Problem(str(e["msg"]).removeprefix("Value error, "), path=_loc(e["loc"]))
                for e in exc.errors(include_url=False)
            ]
        ) from None


def _loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


__all__ = ["CaseSession", "Engine"]
