"""The rights family: data subjects' requests (AVG art. 15-22) received, extended, answered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta

from mph_rules.calendar import Duration, WorkingDayCalendar
from mph_rules.decision import Verdict
from mph_rules.engine.family import RuleFamily, denied, fired
from mph_rules.engine.plan import Step
from mph_rules.engine.state import (
    CaseState,
    Context,
    Moment,
    OpenItem,
    day,
    deadline,
    duration,
)
from mph_rules.events import Event
from mph_rules.findings import actor_problem
from mph_rules.schema import Deadline, Unspecified

_REQUESTS = frozenset(
    {"subject_request_received", "subject_request_extended", "subject_request_answered"}
)


class Rights(RuleFamily):
    name = "rights"
    checks = _REQUESTS
    reacts_to = _REQUESTS

    def check(self, i: int, event: Event, state: CaseState, ctx: Context) -> Verdict:
        p = event.parsed
        if event.type == "subject_request_received":
            return self._received(event, p, state, ctx)
        req = state.requests.get(p.request_id)
        verb = "extend" if event.type == "subject_request_extended" else "answer"
        if req is None or req.done is not None:
            return self._not_open(p.request_id, verb, state)
        if event.type == "subject_request_extended":
            return self._extended(event, p, req)
        return self._answered(p, req)

    def _received(self, event: Event, p: Any, state: CaseState, ctx: Context) -> Verdict:
        cp = self.cp
        right = cp.rights.get(p.right)
        assert right is not None  # validate_case refuses a right the pack lacks
        state.request_rights.setdefault(p.request_id, p.right)
        if p.request_id in state.requests:
            return denied(cp, right.id, f"request {p.request_id!r} was already received")
        if right.form == "written" and p.form == "oral":
            return denied(cp, right.id, f"{right.id}: the request must be made in writing")
        problem = _representation(right, p, day(event.at), state)
        if problem is not None:
            return denied(cp, right.id, problem)
        if right.requires is not None and not self.holds(right.requires, ctx):
            return denied(cp, right.id, f"{right.id} requires {self.node(right.requires).text}")
        reason = f"{right.id}: {p.right.value} request {p.request_id} received"
        return fired(cp, (right.id,), reason)

    def _extended(self, event: Event, p: Any, req: OpenItem) -> Verdict:
        cp = self.cp
        right = req.right
        if not isinstance(right.extension, Deadline) or req.extended:
            return denied(cp, right.id, f"{right.id} allows no (further) extension")
        if req.due_at is not None and event.moment > req.due_at:
            reason = f"{right.id}: the extension came after the deadline {req.due}"
            return denied(cp, right.id, reason)
        reason = f"{right.id}: request {p.request_id} extended by {right.extension.duration}"
        return fired(cp, (right.id,), reason)

    def _not_open(self, request_id: str, verb: str, state: CaseState) -> Verdict:
        """A request that was refused at receipt or already answered: denied, citing the
        right it was made under."""
        right = self.cp.rights[state.request_rights[request_id]]
        return denied(self.cp, right.id, f"{right.id}: no open request {request_id!r} to {verb}")

    def _answered(self, p: Any, req: OpenItem) -> Verdict:
        cp = self.cp
        right = req.right
        if p.outcome != "granted":
            bad = [g for g in p.grounds if g not in right.refusal_grounds]
            if not p.grounds or bad:
                allowed = ", ".join(right.refusal_grounds) or "none"
                reason = (
                    f"{right.id}: a refusal must name grounds from ({allowed}); "
                    f"given {list(p.grounds)}"
                )
                return denied(cp, right.id, reason)
        reason = f"{right.id}: request {p.request_id} answered ({p.outcome})"
        return fired(cp, (right.id,), reason)

    # effects --------------------------------------------------------------------------------

    def reaches(self, step: Step) -> bool:
        return step.event_type in _REQUESTS

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        p = event.parsed
        if event.type == "subject_request_received":
            self._open(i, event, p, state)
        elif event.type == "subject_request_extended":
            req = state.requests[p.request_id]
            req.due, req.due_at = _extended_due(req.right, req.trigger_at, self.engine.working)
            req.extended = True
        elif event.type == "subject_request_answered":
            req = state.requests[p.request_id]
            role = p.handler or (event.actor.role if event.actor else None)
            if actor_problem(getattr(req.right, "actor", None), role, state.mandates) is not None:
                return  # v2: an answer by someone without a mandate leaves the request open
            req.done, req.outcome = i, p.outcome
            req.late = req.due_at is not None and event.moment > req.due_at
            book = state.book
            granted = p.outcome in ("granted", "partially_granted")
            if book is not None and granted and req.request.get("right") == "objection":
                # v2 AVG art. 21: an upheld objection stops processing of that subject's
                # data; a request naming nobody is the household's in a v2 pack. A case
                # that does not list the subject (v1) is left as it was.
                named = req.request.get("subject")
                whose: tuple[str, ...] = ()
                if named and named in state.subjects:
                    whose = (str(named),)
                elif not named and self.engine.pack.pack.schema_version >= 2:
                    whose = book.consent.concerned(None)
                for who in whose:
                    book.consent.uphold_objection(i, who, p.request_id, req.duty)

    def _open(self, i: int, event: Event, p: Any, state: CaseState) -> None:
        cp = self.cp
        right = cp.rights[p.right]
        when, when_at, counting = self.engine.due(right.deadline, event.at, p)
        req = OpenItem(
            id=f"{right.id}#{p.request_id}",
            duty=right.id,
            recipient="requester",
            informer=right.handler,
            about=f"{p.right.value} request {p.request_id}",
            trigger=i,
            due=when,
            due_at=when_at,
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


def _representation(right: Any, p: Any, when: dt.date, state: CaseState) -> str | None:
    """Who may exercise the right for a subject of this age (a minor, an incompetent adult)."""
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
    age = relativedelta(when, subject.birth_date).years
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


def _extended_due(
    right: Any, received: Moment, working: WorkingDayCalendar | None = None
) -> tuple[dt.date, dt.datetime]:
    """The whole period, original plus extension, counted from receipt (AVG art. 12(3):
    "met twee maanden worden verlengd" makes it three months from receipt)."""
    first, ext = duration(right.deadline.duration), duration(right.extension.duration)
    total = Duration(
        years=first.years + ext.years,
        months=first.months + ext.months,
        weeks=first.weeks + ext.weeks,
        days=first.days + ext.days,
        hours=first.hours + ext.hours,
        minutes=first.minutes + ext.minutes,
    )
    result = deadline(received, total, right.extension.counting, right.deadline.anchor, working)
    return result.due, result.due_at


__all__ = ["Rights"]
