"""The retention family: retention clocks per scope, their cancellation, legal holds, and the
deletion date of each scope."""

from __future__ import annotations

import datetime as dt

from mph_rules.calendar import anchor_date
from mph_rules.decision import Deletion
from mph_rules.engine.family import RuleFamily
from mph_rules.engine.plan import Step
from mph_rules.engine.state import (
    CaseState,
    Clock,
    Context,
    Moment,
    day,
    deadline,
    duration,
)
from mph_rules.events import Event
from mph_rules.schema import EventRef, RetentionClock, Unspecified


class Retention(RuleFamily):
    name = "retention"
    reacts_to = frozenset({"legal_hold_started", "legal_hold_ended"})

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        kind = event.type
        if kind == "legal_hold_started":
            state.hold = (i, event.parsed.reason)
            state.holds_seen.append((i, None))
        elif kind == "legal_hold_ended" and state.hold is not None:
            state.hold = None
            start, _ = state.holds_seen[-1]
            state.holds_seen[-1] = (start, i)
        for clock in step.clocks_cancel:
            running = state.clocks.get(clock.scope)
            if running is not None and running.rule is clock and running.cancelled_by is None:
                refs = [r for r in clock.cancelled_by if r.event == kind]
                if any(r.when is None or self.holds(r.when, ctx) for r in refs):
                    running.cancelled_by = i
                    self.trace(state, clock.id, "fired", f"clock cancelled by {kind}", i)
        for clock in step.clocks_trigger:
            if clock.trigger.when is None or self.holds(clock.trigger.when, ctx):
                began: Moment = event.at
                note: str | None = None
                if clock.counted_from is not None:
                    began, note = self._counted_from(clock.counted_from, state, event)
                state.clocks[clock.scope] = _start(clock, i, began, note)
                self.trace(
                    state, clock.id, "fired", f"retention clock for {clock.scope} started", i
                )

    def _counted_from(self, ref: EventRef, state: CaseState, event: Event) -> tuple[Moment, str]:
        """The moment of the latest earlier allowed event ``ref`` names; the trigger if none."""
        for earlier in reversed(state.occurred.get(ref.event, ())):
            if ref.when is None or self.holds(ref.when, Context(state, earlier, earlier.parsed)):
                return earlier.at, f"counted from the {ref.event} event of {day(earlier.at)}"
        return event.at, f"no earlier {ref.event} event: counted from the trigger event"

    # reporting ----------------------------------------------------------------------------

    def deletions(self, state: CaseState, cutoff: dt.datetime) -> tuple[Deletion, ...]:
        return tuple(self._deletion(scope, state) for scope in self.cp.scopes)

    def _deletion(self, scope: str, state: CaseState) -> Deletion:
        cp = self.cp
        clock = state.clocks.get(scope)
        if clock is None or clock.cancelled_by is not None:
            starters = [
                f"{c.id} (on {c.trigger.event}, {cp.cite(c.id)})"
                for c in cp.clocks
                if c.scope == scope
            ]
            reason = "no retention clock is running; it starts with: " + "; ".join(starters)
            if clock is not None:
                reason = (
                    f"clock {clock.rule.id} was cancelled by event {clock.cancelled_by}; " + reason
                )
            return Deletion(scope, None, None, reason)
        rule = clock.rule
        exceptions = tuple(f"{e.id}: {e.label} ({e.source.cite()})" for e in rule.exceptions)
        if state.hold is not None:
            start, why = state.hold
            return Deletion(
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
            )
        if clock.date is None:
            note = rule.duration.note if isinstance(rule.duration, Unspecified) else ""
            return Deletion(
                scope,
                None,
                rule.id,
                f"{rule.id} started but its period is unspecified: {note}",
                cp.cite(rule.id),
                clock.trigger,
                clock.anchor,
                clock.steps,
                exceptions,
            )
        alert = None
        if rule.alert_before is not None:
            alert = clock.date - duration(rule.alert_before).calendar_delta()
        return Deletion(
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
        )


def _start(clock: RetentionClock, i: int, at: Moment, note: str | None) -> Clock:
    first = (note,) if note else ()
    if isinstance(clock.duration, Unspecified):
        return Clock(clock, i, None, None, (*first, f"period unspecified: {clock.duration.note}"))
    result = deadline(at, duration(clock.duration), clock.counting, clock.anchor)
    steps = (*first, *result.steps)
    return Clock(clock, i, anchor_date(day(at), clock.anchor), result.due, steps)


__all__ = ["Retention"]
