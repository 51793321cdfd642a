"""The duties family: information duties open notifications, events discharge them, a
waiver on a recognised ground closes one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta

from mph_rules.consent import HOUSEHOLD
from mph_rules.decision import Notification, Verdict, new_notification
from mph_rules.engine.family import RuleFamily, denied, fired
from mph_rules.engine.plan import Step
from mph_rules.engine.state import CaseState, Context, OpenItem, day, field_of
from mph_rules.events import Event
from mph_rules.findings import actor_problem, informing_problems
from mph_rules.schema import Deadline, InformationDuty, Unspecified


@dataclass
class PreWaiver:
    """v2 `waiver_before_open`: a waiver recorded before its duty opened. It waives the
    notifications the duty opens for its subjects (None: all), each subject at one trigger."""

    event: int
    subjects: tuple[str, ...] | None
    ground: str
    reason: str
    used: dict[str | None, int] = field(default_factory=dict)  # subject -> trigger event


def _waived_in_advance(waivers: Any, subject: str | None, trigger: int) -> PreWaiver | None:
    for w in waivers:
        covers = w.subjects is None or (subject is not None and subject in w.subjects)
        if covers and w.used.setdefault(subject, trigger) == trigger:
            return w  # type: ignore[no-any-return]
    return None


def _waivable(waiting: list[OpenItem] | None, subjects: tuple[str, ...] | None) -> list[OpenItem]:
    """The open notifications a waiver waives: the first one open; v2, of a per-subject duty,
    those of the subjects the waiver names (none if none of theirs is open)."""
    if not waiting:
        return []
    if subjects is not None and waiting[0].subject is not None:
        return [n for n in waiting if n.subject in subjects]
    return [waiting[0]]


def _absent(payload: Any, name: str) -> bool:
    """Whether a waiver lacks a field its duty requires (core, or the pack's `details.x`)."""
    if name.startswith("details."):
        return payload.details.get(name.split(".", 1)[1]) in (None, "")
    return getattr(payload, name) is None


# see Duties._fixed
Due = tuple[dt.date | None, dt.datetime | None, str | None]
Fixed = tuple[str, str, bool, str | None, Due | None]


class Duties(RuleFamily):
    name = "duties"
    checks = frozenset({"information_duty_waived"})
    reacts_to = frozenset({"information_duty_waived", "notification_sent", "household_informed"})

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self._constants: dict[str, tuple[InformationDuty, Fixed]] = {}
        self._fulfilled: dict[str, frozenset[str]] = {}  # see _candidates

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
        missing = [f for f in duty.waiver_requires if _absent(p, f)]
        if missing:
            return denied(cp, duty.id, f"a waiver of {duty.id} must record {', '.join(missing)}")
        if not _waivable(state.open_duties.get(duty.id), event.subjects):
            if duty.waiver_before_open:
                who = ", ".join(event.subjects) if event.subjects is not None else "every subject"
                reason = (
                    f"{duty.id} waived before it opens on ground {p.ground} "
                    f"({cp.cite(p.ground)}): its notifications for {who} open waived"
                )
                return fired(cp, (duty.id, p.ground), reason)
            whose = f" for {', '.join(event.subjects)}" if event.subjects is not None else ""
            return denied(cp, duty.id, f"no open notification of {duty.id}{whose} to waive")
        reason = f"{duty.id} waived on ground {p.ground} ({cp.cite(p.ground)})"
        return fired(cp, (duty.id, p.ground), reason)

    def reaches(self, step: Step) -> bool:
        return step.event_type == "information_duty_waived" or step.fulfils or bool(step.duties)

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        if event.type == "information_duty_waived":
            self._waive(i, event, state)
        if step.fulfils:
            self._fulfil(i, event, state, ctx)
        for duty in step.duties:
            if duty.trigger.when is None or self.holds(duty.trigger.when, ctx):
                self._open(i, event, duty, state)

    @staticmethod
    def _waive(i: int, event: Event, state: CaseState) -> None:
        p = event.parsed
        waiting = state.open_duties.get(p.duty) or []
        targets = _waivable(waiting, event.subjects)
        if not targets:  # v2 waiver_before_open (the check allowed it): kept for later
            advance = PreWaiver(i, event.subjects, p.ground, p.reason)
            state.prewaived.setdefault(p.duty, []).append(advance)
            return
        for target in targets:
            waiting.remove(target)
            target.ground, target.reason = p.ground, p.reason
            target.done = i

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
        candidates = self._candidates(event.type)
        for duty_id in list(state.open_duties):
            if candidates is not None and duty_id not in candidates:
                continue  # (what _discharges answers for it: no reference names the type)
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
            addressee = field_of(p, "addressee") or "subject"
            for n in state.open_duties.pop(duty_id):
                if n.subject is not None and concerned is not None and n.subject not in concerned:
                    keep.append(n)
                    continue
                if n.addressee is not None and n.addressee != addressee:
                    keep.append(n)  # v2: informing the child is not informing the parent
                    continue
                n.done = i
                n.late = n.due_at is not None and event.moment > n.due_at
                self.trace(state, duty.id, "fired", f"notification {n.id} done", i)
            if keep:
                state.open_duties[duty_id] = keep

    def _candidates(self, kind: str) -> frozenset[str] | None:
        """The duties an event of this type can discharge through their `fulfilled_by` (None:
        any duty, for the types that discharge by payload: `notification_sent`,
        `household_informed`); built once per type."""
        if kind in ("notification_sent", "household_informed"):
            return None
        found = self._fulfilled.get(kind)
        if found is None:
            found = self._fulfilled[kind] = frozenset(
                duty.id
                for duty in self.cp.duties.values()
                if any(ref.event == kind for ref in duty.fulfilled_by)
            )
        return found

    def _discharges(self, duty: InformationDuty, event: Event, p: Any, ctx: Context) -> bool:
        if event.type == "notification_sent":
            return bool(p.duty == duty.id)
        if event.type == "household_informed" and p.about == duty.about:
            return True
        for ref in duty.fulfilled_by:  # a loop: no generator per open duty
            if ref.event == event.type and (ref.when is None or self.holds(ref.when, ctx)):
                return True
        return False

    def _fixed(self, duty: InformationDuty) -> Fixed:
        """What every notification of a duty carries whatever the case (source, origin,
        asap, the deadline's note, the due answer of a deadline without a duration): a pure
        function of the duty, built once."""
        found = self._constants.get(duty.id)
        if found is None or found[0] is not duty:
            cp = self.cp
            deadline = duty.deadline
            found = self._constants[duty.id] = (
                duty,
                (
                    cp.cite(duty.id) or "",
                    cp.origins.get(duty.id, ""),
                    isinstance(deadline, Deadline) and deadline.asap,
                    # a plain str, as "; ".join made it (a two-language note stays English)
                    str(deadline.note)
                    if isinstance(deadline, Unspecified) and deadline.note
                    else None,
                    # the due answer where it cannot depend on the event (no duration)
                    self.engine.due(deadline, dt.date.min)
                    if isinstance(deadline, Unspecified)
                    or (deadline.duration is None and deadline.duration_from is None)
                    else None,
                ),
            )
        return found[1]

    def _open(self, i: int, event: Event, duty: InformationDuty, state: CaseState) -> None:
        source, origin, asap, note, fixed_due = self._fixed(duty)
        when, when_at, counting = fixed_due or self.engine.due(
            duty.deadline, event.at, event.parsed
        )
        subjects: list[str | None] = [None]
        if duty.per == "subject" and state.book is not None:
            # v2: one notification per data subject the trigger concerns
            subjects = [
                s if s != HOUSEHOLD else None for s in state.book.consent.concerned(event.subjects)
            ]
        if duty.representation:
            addressees = self._addressees(duty, subjects, event, state)
        else:  # (what _addressees answers without representation rules)
            addressees = [(s, None, None) for s in subjects]
        prewaived = state.prewaived.get(duty.id) if state.prewaived else None
        for recipient in (duty.recipient, *duty.recipients):
            for subject, addressee, age_note in addressees:
                n = state.counter[duty.id] = state.counter.get(duty.id, 0) + 1
                advance = _waived_in_advance(prewaived, subject, i) if prewaived else None
                opened = OpenItem(  # the first 13 fields by position (cheaper), in order
                    f"{duty.id}#{n}",  # id
                    duty.id,
                    recipient,
                    duty.informer,
                    duty.about,
                    i,  # trigger
                    when,  # due
                    when_at,  # due_at
                    asap,
                    counting,
                    source,
                    origin,
                    f"{note}; {age_note}" if note and age_note else note or age_note or None,
                    subject=subject,
                    missed_of=duty.opened_by_missed,
                    addressee=addressee,
                )
                state.notifications.append(opened)
                who = f" about {subject}" if subject else ""
                who += f" (to the {addressee.replace('_', ' ')})" if addressee else ""
                if advance is not None:
                    opened.ground, opened.reason = advance.ground, advance.reason
                    opened.done = advance.event
                    why = f"notification to {recipient}{who} waived by event {advance.event}"
                    self.trace(state, duty.id, "fired", why, i)
                    continue
                state.open_duties.setdefault(duty.id, []).append(opened)
                why = f"notification to {recipient}{who} required"
                self.trace(state, duty.id, "fired", why, i)

    @staticmethod
    def _addressees(
        duty: InformationDuty, subjects: list[str | None], event: Event, state: CaseState
    ) -> list[tuple[str | None, str | None, str | None]]:
        """(subject, addressee, note) per notification to open. v2 `representation`: by the
        subject's age at the trigger, the subject and/or the legal representative, each a
        notification of its own; without a birth date the age rules cannot apply (said in
        the note) and the subject is informed."""
        if not duty.representation:
            return [(s, None, None) for s in subjects]
        out: list[tuple[str | None, str | None, str | None]] = []
        for subject in subjects:
            person = state.subjects.get(subject) if subject is not None else None
            born = person.birth_date if person is not None else None
            if born is None:
                note = f"no birth date for {subject or 'the household'}: age rules not applied"
                out.append((subject, "subject", note))
                continue
            age = relativedelta(day(event.at), born).years
            line = next((r for r in duty.representation if r.covers(age)), None)
            informed = line.informed if line is not None else ("subject",)
            out.extend((subject, who, None) for who in informed)
        return out

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
        return new_notification(  # positional, in Notification's field order (faster)
            n.id,
            n.duty,
            n.recipient,
            n.informer,
            n.about,
            n.trigger,  # trigger_event
            status,
            n.due,
            n.due_at,
            n.asap,
            n.counting,
            n.source,
            n.origin,
            n.done,  # done_event
            n.late,
            n.ground,
            n.reason,
            n.outcome,
            n.note,
            n.subject,
            n.addressee,
        )


__all__ = ["Duties"]
