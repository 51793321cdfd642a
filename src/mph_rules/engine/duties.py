"""The duties family: information duties open notifications, events discharge them, a
waiver on a recognised ground closes one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from mph_rules.consent import HOUSEHOLD
from mph_rules.decision import Notification, Verdict, new_notification
from mph_rules.engine.family import RuleFamily, denied, fired
from mph_rules.engine.plan import Step
from mph_rules.engine.state import CaseState, Context, OpenItem, field_of
from mph_rules.events import Event
from mph_rules.findings import actor_problem, informing_problems
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

    def reaches(self, step: Step) -> bool:
        return step.event_type == "information_duty_waived" or step.fulfils or bool(step.duties)

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        if event.type == "information_duty_waived":
            p = event.parsed
            waiting = state.open_duties[p.duty]
            targets = [waiting[0]]
            if event.subjects is not None and waiting[0].subject is not None:
                # v2: a waiver for some subjects waives their notifications only
                targets = [n for n in waiting if n.subject in event.subjects] or targets
            for target in targets:
                waiting.remove(target)
                target.ground, target.reason = p.ground, p.reason
                target.done = i
        if step.fulfils:
            self._fulfil(i, event, state, ctx)
        for duty in step.duties:
            if duty.trigger.when is None or self.holds(duty.trigger.when, ctx):
                self._open(i, event, duty, state)

    def _fulfil(self, i: int, event: Event, state: CaseState, ctx: Context) -> None:
        """Discharge open notifications of the duties this event can fulfil (one event
        discharges every open notification of a duty it matches). v2: only those of the
        subjects the act concerns, and only an act by an allowed actor, in the form and with
        the content the duty asks; otherwise a finding and the duty stays open."""
        cp = self.cp
        p = event.parsed
        book = state.book
        named = field_of(p, "subjects") or event.subjects
        concerned = set(named) if named else None
        for duty_id in list(state.open_duties):
            duty = cp.duties[duty_id]
            if not self._discharges(duty, event, p, ctx):
                continue
            role = event.actor.role if event.actor else None
            check_form = event.type != "notification_sent" or bool(
                field_of(p, "form") or field_of(p, "content")
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
                self.trace(state, duty.id, "not_applicable", why, i)
                continue
            keep: list[OpenItem] = []
            for n in state.open_duties.pop(duty_id):
                if n.subject is not None and concerned is not None and n.subject not in concerned:
                    keep.append(n)
                    continue
                n.done = i
                n.late = n.due_at is not None and event.moment > n.due_at
                self.trace(state, duty.id, "fired", f"notification {n.id} done", i)
            if keep:
                state.open_duties[duty_id] = keep

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
        when, when_at, counting = self.engine.due(duty.deadline, event.at, event.parsed)
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
                opened = OpenItem(
                    id=f"{duty.id}#{n}",
                    duty=duty.id,
                    recipient=recipient,
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
                    subject=subject,
                    missed_of=duty.opened_by_missed,
                )
                state.notifications.append(opened)
                state.open_duties.setdefault(duty.id, []).append(opened)
                who = f" about {subject}" if subject else ""
                why = f"notification to {recipient}{who} required"
                self.trace(state, duty.id, "fired", why, i)

    def notifications(self, state: CaseState, cutoff: dt.datetime) -> tuple[Notification, ...]:
        """Every notification as of ``cutoff``; a v2 `opened_by_missed` one only once the
        deadline it waits on (started by the same event) was missed, due from that date."""
        out = []
        for n in state.notifications:
            if n.missed_of is not None:
                opened = self._opened_by_missed(n, state, cutoff)
                if opened is None:
                    continue
                n = opened
            out.append(self.notification(n, cutoff))
        return tuple(out)

    def _opened_by_missed(
        self, n: OpenItem, state: CaseState, cutoff: dt.datetime
    ) -> OpenItem | None:
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
        duty = self.cp.duties[n.duty]
        when, when_at, counting = self.engine.due(
            duty.deadline, missed["due"] + dt.timedelta(days=1)
        )
        return dataclasses.replace(n, due=when, due_at=when_at, counting=counting)

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
        return new_notification(
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


__all__ = ["Duties"]
