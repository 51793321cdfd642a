"""CaseSession: one case evaluated incrementally, events posted one by one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mph_rules.casebook import CaseBook
from mph_rules.consent import ConsentLedger
from mph_rules.decision import (
    CaseDecision,
    Consequences,
    DueItems,
    EventVerdict,
    TraceEntry,
    new_settled_event_verdict,
    new_trace_entry,
)
from mph_rules.engine.plan import Step
from mph_rules.engine.state import CaseState, Moment, OpenItem, cutoff, instant, validated
from mph_rules.engine.validation import request_problems, subject_problems
from mph_rules.errors import EventError, Problem
from mph_rules.events import Event

if TYPE_CHECKING:
    from mph_rules.engine.core import Engine


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
        self._state = CaseState(
            engine.compiled.initial, dict(facts), {s.id: s for s in subjects}, engine.settings
        )
        ledger = ConsentLedger(subjects=tuple(s.id for s in subjects))
        self._state.book = CaseBook(engine.casemodel, engine.compiled.cite, ledger)
        # per event its verdict, or (live posts) the verdict kept compact: see _apply
        self._verdicts: list[EventVerdict | Compact] = []
        # per posted event the trace entries it added, compact (see _apply); the evaluate
        # path leaves it empty and its trace in the state
        self._trace: list[tuple[tuple[Any, ...], ...]] = []
        self._last: dt.datetime | None = None
        self._open: list[OpenItem] = []  # notifications open after the last post
        self._seen = 0  # how many of the state's notifications _open accounts for

    @property
    def phase(self) -> str:
        return self._state.phase

    @property
    def verdicts(self) -> tuple[EventVerdict, ...]:
        return tuple(_expand(i, v) for i, v in enumerate(self._verdicts))

    def post(self, event: Event | Mapping[str, Any], *, step: Step | None = None) -> Consequences:
        """Apply one event; raise EventError (and change nothing) if it is malformed.

        ``step`` narrows the rules the event can reach (the durable backend passes the rules
        its network matched); by default the engine's plan for the event's type and phase."""
        if not isinstance(event, Event):
            event = validated(Event, event)
        engine = self.engine
        index = len(self._verdicts)
        problems = engine.validator.event_problems(index, event)
        problems += request_problems(index, event, set(self._state.request_rights))
        problems += subject_problems(index, event, set(self._state.subjects))
        if self._last is not None and event.moment < self._last:
            problems.append(
                Problem(
                    f"event at {event.at} is earlier than the last event posted",
                    hint="post events in time order",
                    code="MPH-C005",
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
        verdict = self._apply(event, step)
        limit = instant(event.at, end_of_day=not isinstance(event.at, dt.datetime))
        notification = engine.duties.notification
        opened = tuple(
            notification(n, limit) for n in state.notifications[before:] if n.missed_of is None
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
        deletions = tuple(d for d in engine.retention.deletions(state, limit) if d.scope in changed)
        findings = tuple(state.book.findings[findings_before:]) if state.book is not None else ()
        return Consequences(verdict, state.phase, opened, settled, deletions, findings)

    def _apply(self, event: Event, step: Step | None) -> EventVerdict:
        index = len(self._verdicts)
        state = self._state
        verdict = self.engine.apply(index, event, state, step)
        # the trace entries this event added, kept as one tuple (rule, outcome, reason,
        # source, origin, event index relative to this event) per entry: the same for
        # every event with the same outcome, so shared by the engine's sessions
        trace, state.trace = state.trace, []
        chunk = tuple(
            (t.rule, t.outcome, t.reason, t.source, t.origin, _relative(t.event, index))
            for t in trace
        )
        self._trace.append(_interned(self.engine.trace_shapes, chunk))
        # a live session keeps each verdict compact (issue 13: <= 20 KiB per session): what
        # names the event (its moment, id and subjects: the session's own values) and the
        # rest as one tuple the engine's sessions share, built again as an equal EventVerdict
        # when asked for (``verdicts``, ``decision``)
        shape = (
            verdict.type,
            verdict.allowed,
            verdict.phase_before,
            verdict.phase_after,
            verdict.rules,
            verdict.reasons,
            verdict.in_force,
            verdict.verdict,
        )
        shared = _interned(self.engine.verdict_shapes, shape)
        self._verdicts.append((shared, verdict.at, verdict.id, verdict.subjects))
        self._last = event.moment
        return verdict

    def decision(self, as_of: Moment, *, ignored: int = 0) -> CaseDecision:
        """The decision as of ``as_of``, which may not lie before an event already posted."""
        limit = cutoff(as_of)
        if self._last is not None and limit < self._last:
            raise EventError(
                [
                    Problem(
                        f"as_of {as_of} lies before the last event posted; use Engine.evaluate on "
                        "the events up to that moment",
                        code="MPH-C006",
                    )
                ]
            )
        return self.engine.decide(
            self._state, self.case_id, as_of, self.verdicts, ignored, self.trace
        )

    @property
    def trace(self) -> list[TraceEntry]:
        """The case's trace so far: the entries the posted events added, then the state's."""
        if not self._trace:
            return self._state.trace  # Engine.evaluate's session: the state holds it all
        known = self.engine.trace_entries
        out: list[TraceEntry] = []
        for i, chunk in enumerate(self._trace):
            found = known.get((id(chunk), i))
            if found is None or found[0] is not chunk:
                entries = tuple(
                    new_trace_entry(rule, outcome, reason, source, origin, _absolute(event, i))
                    for rule, outcome, reason, source, origin, event in chunk
                )
                if len(known) >= 4096:
                    known.clear()
                found = known[(id(chunk), i)] = (chunk, entries)
            out += found[1]
        out += self._state.trace
        return out

    def due(self, now: Moment) -> DueItems:
        """Open notifications and deadlines past due, and deletions whose date has come."""
        limit = cutoff(now)
        engine = self.engine
        state = self._state
        notification = engine.duties.notification
        notes = tuple(
            notification(n, limit)
            for items in state.open_duties.values()
            for n in items
            if n.due_at is not None and limit > n.due_at
        ) + tuple(
            notification(r, limit)
            for r in state.requests.values()
            if r.done is None and r.due_at is not None and limit > r.due_at
        )
        deadlines = tuple(
            engine.lifecycle.deadline(d, limit)
            for items in state.open_deadlines.values()
            for d in items
            if d["due_at"] is not None and limit > d["due_at"]
        )
        deletions = tuple(
            d
            for d in engine.retention.deletions(state, limit)
            if d.date is not None and d.date <= limit.date()
        )
        return DueItems(now, notes, deadlines, deletions)


# a verdict kept compact: (type, allowed, phase before, phase after, rules, reasons, in force,
# verdict word), the event's moment, id and subjects
Compact = tuple[tuple[Any, ...], Any, "str | None", "tuple[str, ...] | None"]


def _expand(index: int, kept: EventVerdict | Compact) -> EventVerdict:
    """The EventVerdict a session kept (as the engine built it, or compact)."""
    if type(kept) is not tuple:
        return kept  # type: ignore[return-value]
    shape, at, event_id, subjects = kept
    kind, allowed, before, after, rules, reasons, in_force, word = shape
    return new_settled_event_verdict(
        index, kind, at, allowed, before, after, rules, reasons, event_id, in_force, word, subjects
    )


def _relative(event: int | None, index: int) -> int | None:
    return None if event is None else event - index


def _absolute(event: int | None, index: int) -> int | None:
    return None if event is None else event + index


__all__ = ["CaseSession"]


_SHAPES = 4096  # entries an engine's table of shared verdict/trace shapes keeps


def _interned(table: dict[Any, Any], value: Any) -> Any:
    """The engine's one copy of an immutable ``value`` (equal values, one object shared by its
    sessions); the bounded table starts afresh when full, which changes no answer."""
    found = table.get(value)
    if found is None:
        if len(table) >= _SHAPES:
            table.clear()
        found = table[value] = value
    return found
