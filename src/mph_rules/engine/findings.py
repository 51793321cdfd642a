"""The findings family (design.md v2): what may flag instead of refuse, and the v2 guards.

After the rule matrix has spoken: an upheld objection stops processing of that subject's
data; nothing in a scope is read, recorded or shared after its deletion date; an answer by
someone without a mandate does not settle a request. `on_violation: flag` rules turn a
refusal into a finding; `outcome: unspecified` rules make the verdict `unspecified`.
Mandate events are remembered here for the `actor` limits of duties and rights.
"""

from __future__ import annotations

from typing import Any

from mph_rules.conditions import consent_scopes
from mph_rules.decision import UNSPECIFIED, Verdict
from mph_rules.engine.family import RuleFamily
from mph_rules.engine.plan import Step
from mph_rules.engine.state import CaseState, Context, day, field_of, latest_match
from mph_rules.events import Event
from mph_rules.findings import actor_problem, flagged_verdict, waiting_period_unmet

DATA_EVENTS = frozenset({"file_accessed", "data_recorded", "data_provided"})


class Findings(RuleFamily):
    name = "findings"

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        pack = engine.pack
        matrix: list[Any] = [*pack.access, *pack.sharing]
        self.matrix_rules: dict[str, Any] = {r.id: r for r in matrix}
        limits = [d.actor for d in pack.information_duties] + [r.actor for r in pack.rights]
        self.mandate_events = {a.mandate.event: a.mandate for a in limits if a and a.mandate}
        # rule id -> the consent scopes its condition tests: a refusal names a withdrawn or
        # refused consent only where a rule it considered needed that consent
        scopes = {r.id: sorted(consent_scopes(r.when)) for r in matrix if r.when is not None}
        self.rule_scopes: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in scopes.items() if v}

    # may it happen --------------------------------------------------------------------------

    def too_early(self, not_before: Any, event: Event, state: CaseState) -> str | None:
        """`not_before` of a precondition: why the event is before its waiting period ends."""
        ref = not_before.after
        where = self.node(ref.when) if ref.when is not None else None
        latest = latest_match(state, ref.event, where)  # not a scan of the history
        earlier = [(day(latest.at), latest)] if latest is not None else []
        return waiting_period_unmet(
            not_before, earlier, day(event.at), lambda _: True, self.engine.working
        )

    def matrix(
        self, i: int, event: Event, state: CaseState, ctx: Context, verdict: Verdict
    ) -> Verdict:
        """An access or sharing verdict with `on_violation: flag` and `outcome: unspecified`
        applied, and, for a refusal, any consent the rules needed that was withdrawn."""
        verdict, flagged = self.engine.memo.derived("flagged", verdict, self._flagged)
        book = state.book
        if book is not None:
            for rule_id in flagged:
                book.flag("rule_breached", rule_id, "; ".join(verdict.reasons), i)
            if not verdict.allowed:
                extra = []
                scopes = self.rule_scopes
                needed = {s for t in verdict.trace for s in scopes.get(t.rule, ())}
                for scope in sorted(needed):
                    why = ctx.consent_missing(scope)
                    if why is not None and (" was withdrawn " in why or " was refused " in why):
                        extra.append(why)
                if extra:
                    verdict = Verdict(
                        False, verdict.rules, (*verdict.reasons, *extra), verdict.trace
                    )
        return verdict

    def _flagged(self, verdict: Verdict) -> tuple[Verdict, tuple[str, ...]]:
        found, flagged = flagged_verdict(verdict, self.matrix_rules)
        return found, tuple(flagged)

    def guard(
        self, i: int, event: Event, state: CaseState, rules: list[str], reasons: list[str]
    ) -> bool:
        """The v2 checks after the matrix; False (with the citing rule and reason) to deny."""
        book = state.book
        if book is None:
            return True
        kind = event.type
        denial: tuple[str, str] | None = None
        if kind in DATA_EVENTS:
            objection = book.consent.objected(event.subjects)
            if objection is not None:
                who = objection.subject or "the household"
                denial = (
                    objection.rule,
                    f"objection of {who} upheld (request {objection.request_id}, event "
                    f"{objection.event}): their data may no longer be processed",
                )
            else:
                denial = self.engine.retention.past_deletion(event, state)
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
        self.trace(state, rule_id, "denied", why, i)
        return False

    # effects ----------------------------------------------------------------------------------

    def reaches(self, step: Step) -> bool:
        return step.event_type in self.mandate_events

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        mandate = self.mandate_events.get(event.type)
        if mandate is not None and (mandate.when is None or self.holds(mandate.when, ctx)):
            # a mandate event lets a role discharge acts an `actor` limit reserves
            granted = field_of(event.parsed, "role") or (event.actor.role if event.actor else None)
            if granted:
                state.mandates.add(str(granted))


__all__ = ["DATA_EVENTS", "UNSPECIFIED", "Findings"]
