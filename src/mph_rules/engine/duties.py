"""The duties family: information duties open notifications, events discharge them, a
waiver on a recognised ground closes one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mph_rules.decision import Notification, Verdict
from mph_rules.engine.family import RuleFamily, denied, fired
from mph_rules.engine.plan import Step
from mph_rules.engine.state import CaseState, Context, OpenItem, due
from mph_rules.events import Event
from mph_rules.schema import Deadline, InformationDuty, Unspecified


class Duties(RuleFamily):
    name = "duties"
    checks = frozenset({"information_duty_waived"})
    reacts_to = frozenset({"information_duty_waived", "notification_sent", "household_informed"})

    def check(self, i: int, event: Event, state: CaseState, ctx: Context) -> Verdict:
        """A waiver must name a ground of the duty, record what the duty requires, and find
        an open notification."""
        cp = self.cp
        p = event.parsed
        duty = cp.duties[p.duty]
        if p.ground not in duty.exception_grounds:
            allowed = ", ".join(duty.exception_grounds) or "none"
            reason = f"{p.ground!r} is not a ground on which {duty.id} may be waived ({allowed})"
            return denied(cp, duty.id, reason)
        missing = [f for f in duty.waiver_requires if getattr(p, f) is None]
        if missing:
            return denied(cp, duty.id, f"a waiver of {duty.id} must record {', '.join(missing)}")
        if not state.open_duties.get(duty.id):
            return denied(cp, duty.id, f"no open notification of {duty.id} to waive")
        reason = f"{duty.id} waived on ground {p.ground} ({cp.cite(p.ground)})"
        return fired(cp, (duty.id, p.ground), reason)

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        if event.type == "information_duty_waived":
            p = event.parsed
            target = state.open_duties[p.duty].pop(0)
            target.ground, target.reason = p.ground, p.reason
            target.done = i
        if step.fulfils:
            self._fulfil(i, event, state, ctx)
        for duty in step.duties:
            if duty.trigger.when is None or self.holds(duty.trigger.when, ctx):
                self._open(i, event, duty, state)

    def _fulfil(self, i: int, event: Event, state: CaseState, ctx: Context) -> None:
        """Discharge open notifications of the duties this event can fulfil (one event
        discharges every open notification of a duty it matches)."""
        cp = self.cp
        p = event.parsed
        for duty_id in list(state.open_duties):
            duty = cp.duties[duty_id]
            if not self._discharges(duty, event, p, ctx):
                continue
            for n in state.open_duties.pop(duty_id):
                n.done = i
                n.late = n.due_at is not None and event.moment > n.due_at
                self.trace(state, duty.id, "fired", f"notification {n.id} done", i)

    def _discharges(self, duty: InformationDuty, event: Event, p: Any, ctx: Context) -> bool:
        if event.type == "notification_sent":
            return bool(p.duty == duty.id)
        if event.type == "household_informed" and p.about == duty.about:
            return True
        return any(
            ref.event == event.type and (ref.when is None or self.holds(ref.when, ctx))
            for ref in duty.fulfilled_by
        )

    def _open(self, i: int, event: Event, duty: InformationDuty, state: CaseState) -> None:
        cp = self.cp
        when, when_at, counting = due(duty.deadline, event.at)
        n = state.counter[duty.id] = state.counter.get(duty.id, 0) + 1
        note = duty.deadline.note if isinstance(duty.deadline, Unspecified) else None
        opened = OpenItem(
            id=f"{duty.id}#{n}",
            duty=duty.id,
            recipient=duty.recipient,
            informer=duty.informer,
            about=duty.about,
            trigger=i,
            due=when,
            due_at=when_at,
            asap=isinstance(duty.deadline, Deadline) and duty.deadline.asap,
            counting=counting,
            source=cp.cite(duty.id) or "",
            origin=cp.origins.get(duty.id, ""),
            note=note,
        )
        state.notifications.append(opened)
        state.open_duties.setdefault(duty.id, []).append(opened)
        self.trace(state, duty.id, "fired", f"notification to {duty.recipient} required", i)

    # reporting ----------------------------------------------------------------------------

    @staticmethod
    def notification(n: OpenItem, cutoff: dt.datetime) -> Notification:
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
        )


__all__ = ["Duties"]
