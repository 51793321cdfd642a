"""The retention family: retention clocks per scope, their cancellation, legal holds, and the
deletion date of each scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mph_rules.calendar import WorkingDayCalendar, anchor_date
from mph_rules.consent import HOUSEHOLD
from mph_rules.decision import Deletion, new_deletion
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
    field_of,
    latest_match,
    within,
)
from mph_rules.events import Event
from mph_rules.schema import EventRef, RetentionClock, Unspecified


class Retention(RuleFamily):
    name = "retention"
    reacts_to = frozenset({"legal_hold_started", "legal_hold_ended"})

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self._idle: dict[str, Deletion] = {}  # per scope: the deletion when no clock ran
        self._idle_reason: dict[str, str] = {}  # per scope: why none runs (see _deletion_of)
        self._none_running: tuple[Deletion, ...] | None = None  # see deletions
        self._exceptions: dict[str, tuple[RetentionClock, tuple[str, ...]]] = {}

    def reaches(self, step: Step) -> bool:
        return (
            step.event_type in ("legal_hold_started", "legal_hold_ended", "case_reregistered")
            or bool(step.clocks_cancel)
            or bool(step.clocks_trigger)
        )

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
            for key in self._keys(state, clock.scope):
                running = state.clocks[key]
                if running.rule is not clock or running.cancelled_by is not None:
                    continue
                refs = [r for r in clock.cancelled_by if r.event == kind]
                if any(
                    (r.when is None or self.holds(r.when, ctx))
                    and within(r, running.started_at, event.at)
                    for r in refs
                ):
                    running.cancelled_by = i
                    self.trace(state, clock.id, "fired", f"clock cancelled by {kind}", i)
        if kind == "case_reregistered":
            self._reregistered(i, event, state)
        book = state.book
        for clock in step.clocks_trigger:
            if clock.trigger.when is None or self.holds(clock.trigger.when, ctx):
                began: Moment = event.at
                note: str | None = None
                if clock.counted_from is not None:
                    began, note = self._counted_from(clock.counted_from, state, event)
                keys: list[tuple[str, str | None]] = [(clock.scope, None)]
                if clock.per == "subject" and book is not None:
                    # v2: one clock per data subject the trigger concerns
                    keys = [
                        (f"{clock.scope}@{who}", who) if who != HOUSEHOLD else (clock.scope, None)
                        for who in book.consent.concerned(self._concerns(event, state))
                    ]
                for key, subject in keys:
                    current = state.clocks.get(key)
                    if (
                        clock.restart_within
                        and current is not None
                        and current.cancelled_by is None
                        and current.date is not None
                        and day(event.at) > current.date
                    ):
                        # v2: the clock had run out; a later trigger no longer restarts it
                        why = f"not restarted: {key} passed its deletion date {current.date}"
                        self.trace(state, clock.id, "not_applicable", why, i)
                        continue
                    started = self.start(clock, i, began, note, event.parsed)
                    started.subject, started.started_at = subject, event.at
                    state.clocks[key] = started
                    self.trace(state, clock.id, "fired", f"retention clock for {key} started", i)

    @staticmethod
    def _keys(state: CaseState, scope: str) -> list[str]:
        """The running clocks of a scope: the case's, and v2 per-subject ones (scope@id)."""
        prefix = scope + "@"
        return [k for k in state.clocks if k == scope or k.startswith(prefix)]

    def _reregistered(self, i: int, event: Event, state: CaseState) -> None:
        """v2 `on_reregistration`: what a re-registration does to a running clock."""
        settings = self.engine.settings
        for key, running in list(state.clocks.items()):
            rule = running.rule
            spec = rule.on_reregistration
            if spec is None or running.cancelled_by is not None:
                continue
            effect = spec if isinstance(spec, str) else str(settings.get(spec.setting, "keep"))
            if effect == "cancel":
                running.cancelled_by = i
                self.trace(state, rule.id, "fired", f"{key}: cancelled by re-registration", i)
            elif effect == "restart":
                started = self.start(rule, i, event.at, "restarted by re-registration")
                started.subject, started.started_at = running.subject, event.at
                state.clocks[key] = started
                self.trace(state, rule.id, "fired", f"{key}: restarted by re-registration", i)

    def start(
        self, clock: RetentionClock, i: int, at: Moment, note: str | None, payload: Any = None
    ) -> Clock:
        """A clock started at ``at`` (v2: its duration from a setting or an event field)."""
        if clock.duration_from is not None:
            text = self.engine.duration_text(clock.duration_from, clock.duration, payload)
            if isinstance(text, str) and text != clock.duration:
                clock = clock.model_copy(update={"duration": text})
        return _start(clock, i, at, note, self.engine.working)

    def past_deletion(self, event: Event, state: CaseState) -> tuple[str, str] | None:
        """v2 invariant: nothing in a scope is read, recorded or shared after its deletion
        date (outside a legal hold), save the fields that survive anonymisation. Only the
        data in the clock's scope: an event naming none of its `categories` is not refused."""
        if state.hold is not None or not state.clocks:
            return None
        when = day(event.at)
        passed = [
            clock
            for clock in state.clocks.values()
            if clock.date is not None and clock.cancelled_by is None and when > clock.date
        ]
        if not passed:
            return None  # (the usual case: what follows is only needed past a date)
        fields = set(field_of(event.parsed, "fields") or ())
        named = set(field_of(event.parsed, "categories") or ())
        book = state.book
        concerned = set(book.consent.concerned(event.subjects)) if book is not None else set()
        for clock in passed:
            if clock.subject is not None and clock.subject not in concerned:
                continue
            held = clock.rule.categories
            if held is not None and not named & set(held):
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
    def _concerns(event: Event, state: CaseState) -> tuple[str, ...] | None:
        """The subjects a trigger concerns: those it names; for the answer to a data subject's
        request that names none, the subject the request was made for (AVG art. 15-21: the
        rights concern "persoonsgegevens die op hem betrekking hebben"), so a granted erasure
        starts that subject's clock and not every subject's."""
        if event.subjects is not None or event.type != "subject_request_answered":
            return event.subjects
        request = state.requests.get(field_of(event.parsed, "request_id"))
        subject = (
            request.request.get("subject") if request is not None and request.request else None
        )
        return (subject,) if isinstance(subject, str) else None

    def _counted_from(self, ref: EventRef, state: CaseState, event: Event) -> tuple[Moment, str]:
        """The moment of the latest earlier allowed event ``ref`` names; the trigger if none."""
        where = self.node(ref.when) if ref.when is not None else None
        earlier = latest_match(state, ref.event, where)  # not a scan of the history
        if earlier is not None:
            return earlier.at, f"counted from the {ref.event} event of {day(earlier.at)}"
        return event.at, f"no earlier {ref.event} event: counted from the trigger event"

    # reporting ----------------------------------------------------------------------------

    def deletions(self, state: CaseState, cutoff: dt.datetime) -> tuple[Deletion, ...]:
        if not state.clocks:  # no clock ever started: every scope's idle deletion, kept
            if self._none_running is None:
                self._none_running = tuple(self._deletion(s, None, state) for s in self.cp.scopes)
            return self._none_running
        out = []
        for scope in self.cp.scopes:
            per_subject = [k for k in self._keys(state, scope) if k != scope]
            if scope in state.clocks or not per_subject:
                out.append(self._deletion(scope, state.clocks.get(scope), state))
            out.extend(self._deletion(scope, state.clocks[k], state) for k in per_subject)
        return tuple(out)

    def _deletion(self, scope: str, clock: Clock | None, state: CaseState) -> Deletion:
        if clock is None:
            # a pure function of the scope (and the pack): built once, handed out again
            idle = self._idle.get(scope)
            if idle is None:
                idle = self._idle[scope] = self._deletion_of(scope, None, state)
            return idle
        return self._deletion_of(scope, clock, state)

    def _exceptions_of(self, rule: RetentionClock) -> tuple[str, ...]:
        """The exceptions a deletion lists: a pure function of the clock rule, kept."""
        found = self._exceptions.get(rule.id)
        if found is None or found[0] is not rule:
            text = tuple(f"{e.id}: {e.label} ({e.source.cite()})" for e in rule.exceptions)
            found = self._exceptions[rule.id] = (rule, text)
        return found[1]

    def _deletion_of(self, scope: str, clock: Clock | None, state: CaseState) -> Deletion:
        cp = self.cp
        subject = clock.subject if clock is not None else None
        if clock is None or clock.cancelled_by is not None:
            reason = self._idle_reason.get(scope)
            if reason is None:  # a pure function of the scope (and the pack): built once
                starters = [
                    f"{c.id} (on {c.trigger.event}, {cp.cite(c.id)})"
                    for c in cp.clocks
                    if c.scope == scope
                ]
                reason = self._idle_reason[scope] = (
                    "no retention clock is running; it starts with: " + "; ".join(starters)
                )
            if clock is not None:
                reason = (
                    f"clock {clock.rule.id} was cancelled by event {clock.cancelled_by}; " + reason
                )
            return new_deletion(scope, None, None, reason, subject=subject)
        rule = clock.rule
        exceptions = self._exceptions_of(rule)
        if state.hold is not None:
            start, why = state.hold
            return new_deletion(
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
        if clock.date is None:
            note = rule.duration.note if isinstance(rule.duration, Unspecified) else ""
            return new_deletion(
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
        alert = None
        if rule.alert_before is not None:
            alert = clock.date - duration(rule.alert_before).calendar_delta()
        return new_deletion(
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


def _start(
    clock: RetentionClock,
    i: int,
    at: Moment,
    note: str | None,
    working: WorkingDayCalendar | None = None,
) -> Clock:
    first = (note,) if note else ()
    if isinstance(clock.duration, Unspecified):
        return Clock(clock, i, None, None, (*first, f"period unspecified: {clock.duration.note}"))
    result = deadline(at, duration(clock.duration), clock.counting, clock.anchor, working)
    steps = (*first, *result.steps)
    return Clock(clock, i, anchor_date(day(at), clock.anchor), result.due, steps)


__all__ = ["Retention"]
