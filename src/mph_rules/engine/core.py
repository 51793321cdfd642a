"""The engine: one compiled pack, its rule families, and the combination of their verdicts.

``Engine(pack).evaluate(case, as_of=...)`` replays the case's events in order. Per event the
lifecycle decides whether the phase accepts it, its preconditions are checked, then the family
that judges the event type (access, sharing, duties, rights) may deny it; deny wins. An allowed
event's effects are applied family by family (case, rights, duties, lifecycle, retention).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from mph_rules import __version__
from mph_rules.calendar import WORKING_DAYS_CALENDAR_SETTING, DurationError, WorkingDayCalendar
from mph_rules.case_input import fast_case
from mph_rules.casebook import index_case_model
from mph_rules.compile import CompiledPack, compile_pack
from mph_rules.decision import (
    ALLOWED,
    DENIED,
    CaseDecision,
    EventVerdict,
    IntakeVerdict,
    PackRef,
    TraceEntry,
    Verdict,
    new_case_decision,
    new_settled_event_verdict,
)
from mph_rules.engine.access import Access
from mph_rules.engine.case import CaseFacts
from mph_rules.engine.duties import Duties
from mph_rules.engine.family import RuleFamily
from mph_rules.engine.findings import DATA_EVENTS, UNSPECIFIED, Findings
from mph_rules.engine.lifecycle import Lifecycle
from mph_rules.engine.memo import Memo
from mph_rules.engine.plan import Frame, Plan, Step
from mph_rules.engine.point_query import context_parts, in_phase, query_state
from mph_rules.engine.records import Records
from mph_rules.engine.retention import Retention
from mph_rules.engine.rights import Rights
from mph_rules.engine.session import CaseSession
from mph_rules.engine.sharing import Sharing
from mph_rules.engine.state import (
    CaseState,
    Context,
    Moment,
    cutoff,
    due,
    duration,
    field_of,
    kept_fields,
    remember,
    validated,
)
from mph_rules.engine.validation import Validator, resolve_settings
from mph_rules.errors import EventError, Problem
from mph_rules.events import Case, Event
from mph_rules.schema import Deadline, Pack, Unspecified


class Engine:
    """Evaluates cases and point queries against one pack, compiled once."""

    def __init__(
        self, pack: Pack | CompiledPack, *, settings: Mapping[str, Any] | None = None
    ) -> None:
        self.compiled = pack if isinstance(pack, CompiledPack) else compile_pack(pack)
        self.pack = self.compiled.pack
        self.settings = resolve_settings(self.pack, settings or {})
        prov = self.pack.provenance
        self.ref = PackRef(
            self.pack.pack.id,
            self.pack.pack.version,
            prov.content_hash,
            __version__,
            dict(sorted(self.settings.items())),
        )
        self.plan = Plan(self.compiled)
        # per event type a condition tests: what `occurred` keeps of its events
        self.kept = kept_fields(self.pack, self.compiled.node)
        self.where_types = frozenset(self.kept)
        # v2 case model (issue 14): records, findings, open points, the werkdagen calendar
        self.casemodel = index_case_model(self.pack)
        self.working = WorkingDayCalendar(
            self.settings.get(WORKING_DAYS_CALENDAR_SETTING, self.casemodel.working_days_default)
        )
        lifecycle = self.pack.lifecycle
        self.owners = {ph.id: ph.owner for ph in (lifecycle.phases if lifecycle else ())}
        self.memo = memo = Memo()
        # the parts of an event's verdict that do not name the event (see CaseSession._apply),
        # one shared copy per distinct value: a pure intern table, invisible (equal values)
        self.verdict_shapes: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        # likewise the trace entries one event adds, their event index relative to the event
        self.trace_shapes: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        # such a tuple as the TraceEntry objects of the event at an index (the tuple is kept
        # with them, so its id is not reused): sessions asked for decisions share them
        self.trace_entries: dict[tuple[int, int], tuple[Any, tuple[TraceEntry, ...]]] = {}
        # the families' trace entries, one copy per distinct entry (see RuleFamily.trace)
        self.entries: dict[tuple[Any, ...], TraceEntry] = {}
        # deadlines whose duration a setting or an event field gives (see _with_duration)
        self._resolved: dict[tuple[int, str], tuple[Deadline, Deadline]] = {}
        self.lifecycle = Lifecycle(self)
        self.access = Access(self, memo)
        self.sharing = Sharing(self, memo)
        self.duties = Duties(self)
        self.rights = Rights(self)
        self.retention = Retention(self)
        self.case = CaseFacts(self)
        self.findings = Findings(self)
        self.records = Records(self)
        self.validator = Validator(self)
        self.families: tuple[RuleFamily, ...] = (
            self.lifecycle,
            self.access,
            self.sharing,
            self.duties,
            self.rights,
            self.retention,
            self.case,
            self.findings,
            self.records,
        )
        self._judges: dict[str, RuleFamily] = {
            kind: family for family in self.families for kind in family.checks
        }
        # the order effects are applied in (a trace lists them in this order)
        self._effects = (
            self.findings,
            self.case,
            self.rights,
            self.duties,
            self.lifecycle,
            self.retention,
            self.records,
        )
        # per (event type, phase), what applying such an event involves; bounded by types x
        # phases
        self._frames: dict[tuple[str, str], Frame] = {}
        # the event types Findings.guard can deny (it lets every other type pass unread)
        self._guarded = DATA_EVENTS | {"subject_request_answered"}
        effective = self.pack.pack.effective
        window = (effective.valid_from, effective.valid_until)
        self._always_in_force = not any(isinstance(end, dt.date) for end in window)

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
        cell = (role, category, phase, action)
        if purpose is None and session is None:
            # the most common queries: a verdict known for the cell, in one table
            access = self.access
            if context is None:
                answer = access.plain.get(cell)
                if answer is not None:
                    return answer
            else:
                # (the context's parts it reads, its verdict without them, the query)
                known = access.unread.get(cell)
                if known is not None:
                    given = context_parts(context)
                    return known[2](context, given) if given & known[0] else known[1]
        found = self.access.cell(cell)  # a fixed verdict, or the cell's closure
        if isinstance(found, Verdict):
            return found
        if found is None:
            self.validator.check_names(role=role, category=category, phase=phase)
            raise AssertionError("unreachable: an unknown name raises")
        if session is None:
            if context is None:
                return found.blank(purpose)
            return found.query(purpose, context)
        payload = dict((context or {}).get("payload", {}))
        if session is not None:
            payload = {"categories": [category], **payload}
            if purpose is not None:
                payload.setdefault("purpose", purpose)
        ctx = Context(self._query_state(phase, context, session), None, payload)
        return found.decide(purpose, ctx)

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
            self.validator.check_names(role=from_role, category=cat, phase=phase)
        self.validator.check_names(role=to_role)
        full = {
            "from_role": from_role,
            "to_role": to_role,
            "categories": list(cats),
            **dict(payload or {}),
        }
        state = (
            query_state(phase, context or {}, self.settings)  # read only: no case tables
            if session is None
            else self._query_state(phase, context, session)
        )
        return self.sharing.sharing(from_role, to_role, cats, phase, Context(state, None, full))

    def _query_state(
        self, phase: str, context: Mapping[str, Any] | None, session: CaseSession | None = None
    ) -> CaseState:
        """The case state a point query reads: the session's (v2, only read), else one
        built from ``context``."""
        if session is not None:
            if session.engine is not self:
                raise EventError(
                    [Problem("the session belongs to another engine", code="MPH-C007")]
                )
            return in_phase(session._state, phase)
        state = CaseState(phase, dict((context or {}).get("facts", {})), {}, self.settings)
        state.consents = {s: True for s in (context or {}).get("consents", ())}
        return state

    def check_intake(self, facts: Mapping[str, Any]) -> IntakeVerdict:
        """Does a household with these facts meet the intake criteria?"""
        intake = self.pack.intake
        if intake is None:
            return IntakeVerdict(True, (), (), (), ("the pack has no intake criteria",))
        ctx = Context(CaseState("", dict(facts), {}, self.settings), None, {})
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
            node = self.compiled.node(crit.condition)
            if node.holds(ctx):
                met.append(crit.id)
                reasons.append(f"{crit.id} ({kind}) met: {node.text}")
                trace.append(TraceEntry(crit.id, "fired", reasons[-1], cite))
            else:
                failed.append(crit.id)
                reasons.append(f"{crit.id} ({kind}) not met: {node.text}")
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
        limit = cutoff(as_of)
        events: Sequence[Event] = case.events  # in time order (validate_case checks it)
        if events and events[-1].moment > limit:
            events = [e for e in events if e.moment <= limit]
        session = CaseSession(self, case.id, case.facts, case.subjects)
        state = session._state
        state.whole_events = True  # the history reads the case's own events
        # CaseSession._apply per event, unrolled (the events are checked and in order), then
        # CaseSession.decision, whose checks hold here (no event after as_of, every verdict
        # whole, the whole trace in the state)
        apply = self.apply
        verdicts = tuple([apply(i, event, state) for i, event in enumerate(events)])
        return self.decide(state, case.id, as_of, verdicts, len(case.events) - len(events))

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

    def validate_case(self, case: Case | Mapping[str, Any]) -> Case:
        """Validate a case against the event vocabulary and this pack; reject it whole."""
        if not isinstance(case, Case):
            # one pydantic pass for a valid dict; anything else (and every error) as before
            case = fast_case(case) or validated(Case, case)
        private = case.__pydantic_private__
        assert private is not None
        checked = private.get("_checked") or (None, None)
        if checked[0] == self.ref.content_hash and checked[1] is case.events:
            return case
        self.validator.check_case(case)
        private["_checked"] = (self.ref.content_hash, case.events)
        return case

    def decide(
        self,
        state: CaseState,
        case_id: str,
        as_of: Moment,
        verdicts: tuple[EventVerdict, ...],
        ignored: int,
        trace: Sequence[TraceEntry] | None = None,
    ) -> CaseDecision:
        """``trace``: the case's trace where a live session keeps it apart from ``state``."""
        limit = cutoff(as_of)
        if trace is None:
            trace = state.trace
        records: tuple[Any, ...] = ()
        findings: tuple[Any, ...] = ()
        points: tuple[Any, ...] = ()
        if state.book is not None:
            records, late = state.book.record_statuses(limit)
            findings = (*state.book.findings, *late)
            points = state.book.open_points(trace, self.settings, verdicts)
        return new_case_decision(
            pack=self.ref,
            case_id=case_id,
            as_of=as_of,
            phase=state.phase,
            events=verdicts,
            allowed_actions=self.lifecycle.allowed_actions(state),
            access=self.access.role_access(state.phase),
            notifications=self.duties.notifications(state, limit),
            deadlines=tuple(self.lifecycle.deadline(d, limit) for d in state.deadlines),
            deletions=self.retention.deletions(state, limit),
            trace=tuple(trace),
            ignored_after_as_of=ignored,
            records=records,
            findings=findings,
            open_points=points,
            owner=self.owners.get(state.phase),
        )

    # v2 time helpers shared by the families ---------------------------------------------

    def due(
        self, deadline: Deadline | Unspecified, at: Moment, payload: Any = None
    ) -> tuple[dt.date | None, dt.datetime | None, str | None]:
        """Due date, moment and counting of a deadline from ``at``: v2 with its duration
        from a setting or an event field, and "werkdagen" on the pack's calendar."""
        if isinstance(deadline, Deadline) and deadline.duration_from is not None:
            text = self.duration_text(deadline.duration_from, deadline.duration, payload)
            if isinstance(text, str):
                deadline = self._with_duration(deadline, text)
        return due(deadline, at, self.working)

    def _with_duration(self, deadline: Deadline, text: str) -> Deadline:
        """``deadline`` with its duration resolved to ``text``: a pure function of the two,
        built once per pair and kept (bounded), so that ``due`` memoises it like any other
        deadline instead of meeting a fresh copy per event."""
        key = (id(deadline), text)
        found = self._resolved.get(key)
        if found is None or found[0] is not deadline:
            if len(self._resolved) >= 1024:
                self._resolved.clear()
            copy = deadline.model_copy(update={"duration": text, "duration_from": None})
            found = self._resolved[key] = (deadline, copy)
        return found[1]

    def duration_text(
        self, spec: Any, fallback: str | Unspecified | None, payload: Any
    ) -> str | Unspecified | None:
        """A v2 `duration_from`: the setting's value, or the event field's (if it parses)."""
        if spec.setting is not None:
            value = self.settings.get(spec.setting)
        else:
            value = field_of(payload, spec.field.split(".", 1)[1])
        if isinstance(value, str):
            try:
                duration(value)
            except DurationError:
                return fallback
            return value
        return fallback

    # one event ------------------------------------------------------------------------------

    def _frame(self, step: Step) -> Frame:
        """What applying an event of this step involves, decided once per (type, phase):
        the effect families (in their order) that can act on it, its judge, which of the
        optional parts of the event path apply, and what its history keeps."""
        kind = step.event_type
        return Frame(
            step,
            tuple(family for family in self._effects if family.reaches(step)),
            self._judges.get(kind),
            bool(step.transitions) or not step.accepted,
            kind in DATA_EVENTS,
            kind in self._guarded,
            kind == "subject_request_received",
            self.kept.get(kind),
        )

    def apply(
        self, i: int, event: Event, state: CaseState, step: Step | None = None
    ) -> EventVerdict:
        """Judge one event and, if allowed, apply its effects (``step``: the plan's step for
        the event's type and phase unless a caller narrows it)."""
        before = state.phase
        kind = event.type
        if step is None:
            frame = self._frames.get((kind, before))
            if frame is None:
                frame = self._frames[(kind, before)] = self._frame(self.plan.step(kind, before))
        else:  # a narrowed step (durable backend): decided afresh
            frame = self._frame(step)
        step = frame.step
        parsed = event.__pydantic_private__["_parsed"]  # type: ignore[index]  # Event.parsed
        ctx = Context(state, event, parsed)
        rules: list[str] = []
        reasons: list[str] = []
        life = self.lifecycle
        if frame.moves:
            allowed, target = life.transition(i, event, state, ctx, step, rules, reasons)
        else:  # accepted in the phase, no transition to try (what transition() answers)
            allowed, target = True, None
        if frame.receives_request:
            # known even when a precondition refuses the receipt, so that a later answer is
            # denied citing its right (_not_open) instead of failing on an unknown request
            state.request_rights.setdefault(parsed.request_id, parsed.right)
        word = ""  # v2: "unspecified" where a deciding rule leaves the outcome open
        if allowed and step.preconditions:
            allowed, word = life.preconditions(i, event, state, ctx, step, rules, reasons)
        judge = frame.judge
        if allowed and judge is not None:
            verdict = judge.check(i, event, state, ctx)
            if verdict is not None and frame.data:
                verdict = self.findings.matrix(i, event, state, ctx, verdict)
                if verdict.verdict == UNSPECIFIED:
                    word = UNSPECIFIED
            if verdict is not None:
                if not verdict.allowed:
                    rules.clear()
                    reasons.clear()
                rules.extend(verdict.rules)
                reasons.extend(verdict.reasons)
                state.trace.extend(self.memo.indexed(verdict, i))
                allowed = verdict.allowed
        if allowed and frame.guarded:
            allowed = self.findings.guard(i, event, state, rules, reasons)
        if target is not None:
            transition = f"{before} -> {target}"
            if allowed:
                life.trace(state, rules[0], "fired", transition, i)
            else:
                why = f"{transition} not taken: the event was denied"
                life.trace(state, "lifecycle", "not_applicable", why, i)
        if allowed:
            if target is not None:
                state.phase = target
            for family in frame.effects:
                family.apply(i, event, state, ctx, step)
            if state.whole_events:  # Engine.evaluate: the case holds its events anyway
                state.last[kind] = event
                if frame.keep is not None:
                    state.occurred.setdefault(kind, []).append(event)
            else:
                remember(state, event, frame.keep)
        else:
            word = ""
        in_force = self._always_in_force or life.in_force(event)
        if not in_force:
            why = life.not_in_force(event)
            reasons.append(why)
            life.trace(state, "pack.effective", "not_applicable", why, i, "pack effective")
        return new_settled_event_verdict(  # the word is always given (never "")
            i,
            kind,
            event.at,
            allowed,
            before,
            state.phase,
            tuple(rules),
            tuple(reasons),
            event.id,
            in_force,
            word or (ALLOWED if allowed else DENIED),  # what EventVerdict defaults it to
            event.subjects,
        )


__all__ = ["Engine"]
