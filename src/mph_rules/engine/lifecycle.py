"""The lifecycle family: phases and transitions, preconditions, process deadlines, the
covenant's term, and which actions a case allows next."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mph_rules.decision import (
    AllowedAction,
    ProcessDeadlineStatus,
    new_allowed_action,
    new_deadline_status,
)
from mph_rules.engine.family import RuleFamily
from mph_rules.engine.plan import Step
from mph_rules.engine.state import CaseState, Context, day, within
from mph_rules.events import Event
from mph_rules.schema import Unspecified


class Lifecycle(RuleFamily):
    """Every event passes here first: is it accepted in the phase, does it move the case?"""

    name = "lifecycle"
    # every event passes the lifecycle; these have no other meaning than the phase they move
    # the case to, the deadlines they start or meet and the duties they trigger (all pack data)
    reacts_to = frozenset(
        {
            "triage_decided",
            "household_heard",
            "hearing_waived",
            "case_meeting_held",
            "plan_established",
            "escalated",
            "case_closed",
            "monitoring_ended",
            "party_joined",
            "party_left",
            "breach_detected",
        }
    )

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        eff = engine.pack.pack.effective
        self._valid_from = eff.valid_from if isinstance(eff.valid_from, dt.date) else None
        self._valid_until = eff.valid_until if isinstance(eff.valid_until, dt.date) else None
        self._blocking: dict[str, tuple[Any, ...]] = {}
        self._cancellers: frozenset[str] | None = None  # event types that cancel a deadline
        self._rows: dict[str, Any] = {}  # per phase, see _action_rows
        self._actions: dict[tuple[str, tuple[str | None, ...]], tuple[AllowedAction, ...]] = {}

    # may it happen ----------------------------------------------------------------------

    def transition(
        self,
        i: int,
        event: Event,
        state: CaseState,
        ctx: Context,
        step: Step,
        rules: list[str],
        reasons: list[str],
    ) -> tuple[bool, str | None]:
        """Whether the phase accepts the event, and the phase it moves the case to."""
        tried: list[str] = []
        for tr in step.transitions:
            role = event.actor.role if event.actor else None
            if tr.by is not None and role not in tr.by:
                why = f"{tr.id}: only {', '.join(tr.by)} may cause it (actor: {role})"
                tried.append(why)
                self.trace(state, tr.id, "not_applicable", why, i)
                continue
            if tr.when is not None and not self.holds(tr.when, ctx):
                why = f"{tr.id}: condition not met: {self.node(tr.when).text}"
                tried.append(why)
                self.trace(state, tr.id, "not_applicable", why, i)
                continue
            rules.append(tr.id)
            reasons.append(f"{tr.id}: {state.phase} -> {tr.to}")
            return True, tr.to
        if step.accepted:
            return True, None
        reason = f"{event.type} is not accepted in phase {state.phase}"
        if tried:
            reason += " (" + "; ".join(tried) + ")"
        reasons.append(reason)
        rules.extend(t.split(":")[0] for t in tried)
        self.trace(state, "lifecycle", "denied", reason, i, self.cp.cite(state.phase))
        return False, None

    def preconditions(
        self,
        i: int,
        event: Event,
        state: CaseState,
        ctx: Context,
        step: Step,
        rules: list[str],
        reasons: list[str],
    ) -> tuple[bool, str]:
        """Every precondition of the event type; a denied event lists only its deniers.

        v2: `not_before` adds a waiting period; `outcome: unspecified` makes a breach an
        open outcome (verdict word "unspecified"); `on_violation: flag` makes it a finding."""
        allowed = True
        word = ""
        for pre in step.preconditions:
            if pre.when is not None and not self.holds(pre.when, ctx):
                continue
            failed = None if self.holds(pre.require, ctx) else pre.message
            if failed is None and pre.not_before is not None:
                early = self.engine.findings.too_early(pre.not_before, event, state)
                failed = f"{pre.message}: {early}" if early is not None else None
            if failed is None:
                if allowed:
                    rules.append(pre.id)
                self.trace(state, pre.id, "fired", f"satisfied: {self.node(pre.require).text}", i)
            elif pre.outcome == "unspecified":
                word = "unspecified"
                rules.append(pre.id)
                reasons.append(f"{failed} (the source leaves the outcome open: {pre.note})")
                self.trace(state, pre.id, "unspecified", failed, i)
            elif pre.on_violation == "flag" and state.book is not None:
                rules.append(pre.id)
                reasons.append(f"{failed} (flagged, not refused)")
                state.book.flag("precondition_not_met", pre.id, failed, i)
                self.trace(state, pre.id, "flagged", failed, i)
            else:
                if allowed:
                    rules.clear()
                    reasons.clear()
                allowed = False
                rules.append(pre.id)
                reasons.append(failed)
                self.trace(state, pre.id, "denied", failed, i)
        return allowed, word

    def in_force(self, event: Event) -> bool:
        if self._valid_from is None and self._valid_until is None:
            return True
        when = event.moment.date()  # the Amsterdam day (a plain date is its own day)
        if self._valid_from is not None and when < self._valid_from:
            return False
        return self._valid_until is None or when <= self._valid_until

    def not_in_force(self, event: Event) -> str:
        eff = self.engine.pack.pack.effective
        until = eff.valid_until if isinstance(eff.valid_until, dt.date) else "open-ended"
        return (
            f"the covenant was not in force on {day(event.at)} (effective {eff.valid_from} "
            f"to {until}); evaluated as if it were"
        )

    # effects: process deadlines ---------------------------------------------------------

    def cancellers(self) -> frozenset[str]:
        """The event types some process deadline's `cancelled_by` names (built once)."""
        if self._cancellers is None:
            lifecycle = self.engine.pack.lifecycle
            deadlines = lifecycle.deadlines if lifecycle is not None else ()
            self._cancellers = frozenset(r.event for d in deadlines for r in d.cancelled_by)
        return self._cancellers

    def reaches(self, step: Step) -> bool:
        if step.deadlines_until or step.deadlines_start:
            return True
        return step.event_type in self.cancellers()

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        kind = event.type
        # only an event type some deadline's `cancelled_by` names can cancel one
        cancelling = state.open_deadlines.values() if kind in self.cancellers() else ()
        for entries in list(cancelling):
            for entry in entries:
                rule = entry["rule"]
                if (
                    entry["met"] is None
                    and entry.get("cancelled") is None
                    and any(
                        ref.event == kind
                        and (ref.when is None or self.holds(ref.when, ctx))
                        and within(ref, entry["start_at"], event.at)
                        for ref in rule.cancelled_by
                    )
                ):
                    # v2: the deadline no longer runs (e.g. the report was withdrawn)
                    entry["cancelled"] = i
                    self.trace(state, rule.id, "fired", f"cancelled by event {i} ({kind})", i)
        for dl in step.deadlines_until:
            if dl.until.when is None or self.holds(dl.until.when, ctx):
                for entry in state.open_deadlines.pop(dl.id, ()):
                    if entry["met"] is None and entry.get("cancelled") is None:
                        entry["met"] = i
                        entry["late"] = (
                            entry["due_at"] is not None and event.moment > entry["due_at"]
                        )
                        self.trace(state, dl.id, "fired", f"met by event {i} ({kind})", i)
        for dl in step.deadlines_start:
            if dl.start.when is None or self.holds(dl.start.when, ctx):
                when, when_at, counting = self.engine.due(dl.deadline, event.at, event.parsed)
                n = state.counter[dl.id] = state.counter.get(dl.id, 0) + 1
                entry = {
                    "rule": dl,
                    "id": f"{dl.id}#{n}",
                    "start": i,
                    "due": when,
                    "due_at": when_at,
                    "counting": counting,
                    "met": None,
                    "late": False,
                    "start_at": event.at,
                }
                state.deadlines.append(entry)
                state.open_deadlines.setdefault(dl.id, []).append(entry)
                self.trace(state, dl.id, "fired", f"started: due {when or 'unspecified'}", i)

    # reporting ----------------------------------------------------------------------------

    def deadline(self, d: dict[str, Any], cutoff: dt.datetime) -> ProcessDeadlineStatus:
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
        return new_deadline_status(  # positional, in the class's field order (faster)
            d["id"],
            rule.id,
            rule.label,
            d["start"],  # start_event
            status,
            d["due"],
            d["counting"],
            self.cp.cite(rule.id) or "",  # source
            d["met"],  # met_event
            rule.responsible,
            note,
            d["due_at"],
        )

    def allowed_actions(self, state: CaseState) -> tuple[AllowedAction, ...]:
        """What the case allows next. The rows depend on the case only through the phase and
        which preconditions already block, so they are built once per such pair and kept
        (a pure function of the two: a used engine answers as a fresh one)."""
        phase = state.phase
        rows = self._rows.get(phase)
        if rows is None:
            rows = self._rows[phase] = self._action_rows(phase)
        blocked = rows[3]  # every event type unblocked, unless a precondition says so
        if rows[4]:  # the event types with preconditions that can block
            ctx = Context(state, None, {})
            marks = list(blocked)
            for at, event_type in rows[4]:
                marks[at] = self._blocked(event_type, ctx)
            blocked = tuple(marks)
        key = (phase, blocked)
        found = self._actions.get(key)
        if found is None:
            found = self._actions[key] = self._build_actions(
                phase, rows, dict(zip(rows[0], blocked, strict=True))
            )
        return found

    def _action_rows(self, phase: str) -> tuple[Any, ...]:
        """Per phase: the event types in question, the transitions from the phase (in
        (event type) order), the event types accepted without one, a None per event type
        (none blocked), and (position, event type) of those a precondition can block."""
        cp = self.cp
        moves = tuple(
            (ev, tr)
            for (src, ev), trs in sorted(cp.transitions.items())
            if src == phase
            for tr in trs
        )
        seen = {ev for ev, _ in moves}
        accepted = tuple(ev for ev in sorted(cp.accepts.get(phase, frozenset())) if ev not in seen)
        events = tuple(dict.fromkeys([*(ev for ev, _ in moves), *accepted]))
        blockable = tuple((at, ev) for at, ev in enumerate(events) if self._blocking_of(ev))
        return events, moves, accepted, (None,) * len(events), blockable

    def _build_actions(
        self,
        phase: str,
        rows: tuple[Any, ...],
        blocked: dict[str, str | None],
    ) -> tuple[AllowedAction, ...]:
        out: list[AllowedAction] = []
        for ev, tr in rows[1]:
            roles: tuple[str, ...] | str = tr.by if tr.by is not None else "any"
            why = blocked[ev]
            reason = why or f"{tr.id}: moves the case to {tr.to}"
            out.append(new_allowed_action(ev, roles, why is None, reason, tr.id))
        for ev in rows[2]:
            why = blocked[ev]
            reason = why or f"accepted in phase {phase}"
            out.append(new_allowed_action(ev, "any", why is None, reason, phase))
        return tuple(out)

    def _blocked(self, event_type: str, ctx: Context) -> str | None:
        """A precondition that already fails on the case as it stands (one that tests the
        event's own payload can only be judged when the event comes, so it never blocks)."""
        for pre in self._blocking_of(event_type):
            if not self.holds(pre.require, ctx):
                return f"{pre.id}: {pre.message}"
        return None

    def _blocking_of(self, event_type: str) -> tuple[Any, ...]:
        """The preconditions of an event type that can block it before it comes (built once)."""
        blocking = self._blocking.get(event_type)
        if blocking is None:
            blocking = self._blocking[event_type] = tuple(
                pre
                for pre in self.cp.preconditions.get(event_type, ())
                if pre.when is None and not _reads_event(self.node(pre.require).reads)
            )
        return blocking


def _reads_event(reads: frozenset[tuple[str, str]]) -> bool:
    """Whether a condition reads the event being judged (its payload, subject or request)."""
    return any(
        kind == "field" and name.startswith(("payload.", "subject.", "request."))
        for kind, name in reads
    )


__all__ = ["Lifecycle"]
