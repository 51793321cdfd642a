"""The engine: one compiled pack, its rule families, and the combination of their verdicts.

``Engine(pack).evaluate(case, as_of=...)`` replays the case's events in order. Per event the
lifecycle decides whether the phase accepts it, its preconditions are checked, then the family
that judges the event type (access, sharing, duties, rights) may deny it; deny wins. An allowed
event's effects are applied family by family (case, rights, duties, lifecycle, retention).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mph_rules import __version__
from mph_rules.compile import CompiledPack, compile_pack
from mph_rules.decision import (
    CaseDecision,
    EventVerdict,
    IntakeVerdict,
    PackRef,
    TraceEntry,
    Verdict,
)
from mph_rules.engine.access import Access
from mph_rules.engine.case import CaseFacts
from mph_rules.engine.duties import Duties
from mph_rules.engine.family import RuleFamily
from mph_rules.engine.lifecycle import Lifecycle
from mph_rules.engine.memo import Memo
from mph_rules.engine.plan import Plan, Step
from mph_rules.engine.retention import Retention
from mph_rules.engine.rights import Rights
from mph_rules.engine.session import CaseSession
from mph_rules.engine.sharing import Sharing
from mph_rules.engine.state import CaseState, Context, Moment, cutoff, validated
from mph_rules.engine.validation import Validator, resolve_settings
from mph_rules.events import Case, Event
from mph_rules.schema import Pack, Unspecified


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
        self.memo = memo = Memo()
        self.lifecycle = Lifecycle(self)
        self.access = Access(self, memo)
        self.sharing = Sharing(self, memo)
        self.duties = Duties(self)
        self.rights = Rights(self)
        self.retention = Retention(self)
        self.case = CaseFacts(self)
        self.validator = Validator(self)
        self.families: tuple[RuleFamily, ...] = (
            self.lifecycle,
            self.access,
            self.sharing,
            self.duties,
            self.rights,
            self.retention,
            self.case,
        )
        self._judges: dict[str, RuleFamily] = {
            kind: family for family in self.families for kind in family.checks
        }
        # the order effects are applied in (a trace lists them in this order)
        self._effects = (self.case, self.rights, self.duties, self.lifecycle, self.retention)

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
    ) -> Verdict:
        """May ``role`` read/write ``category`` in ``phase`` (for ``purpose``)? Default deny."""
        cell = (role, category, phase, action)
        fixed = self.compiled.fixed_access(cell)
        if fixed is not None:
            return fixed
        self.validator.check_names(role=role, category=category, phase=phase)
        ctx = Context(
            self._query_state(phase, context), None, dict((context or {}).get("payload", {}))
        )
        return self.access.access(cell, purpose, ctx)

    def check_sharing(
        self,
        from_role: str,
        to_role: str,
        categories: str | tuple[str, ...] | list[str],
        *,
        phase: str,
        payload: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """May ``from_role`` provide these categories to ``to_role`` in ``phase``?"""
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
        ctx = Context(self._query_state(phase, context), None, full)
        return self.sharing.sharing(from_role, to_role, cats, phase, ctx)

    def _query_state(self, phase: str, context: Mapping[str, Any] | None) -> CaseState:
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
        events = [e for e in case.events if e.moment <= limit]
        session = CaseSession(self, case.id, case.facts, case.subjects)
        for event in events:
            session._apply(event, None)
        return session.decision(as_of, ignored=len(case.events) - len(events))

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
            case = validated(Case, case)
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
    ) -> CaseDecision:
        limit = cutoff(as_of)
        return CaseDecision(
            pack=self.ref,
            case_id=case_id,
            as_of=as_of,
            phase=state.phase,
            events=verdicts,
            allowed_actions=self.lifecycle.allowed_actions(state),
            access=self.access.role_access(state.phase),
            notifications=tuple(self.duties.notification(n, limit) for n in state.notifications),
            deadlines=tuple(self.lifecycle.deadline(d, limit) for d in state.deadlines),
            deletions=self.retention.deletions(state, limit),
            trace=tuple(state.trace),
            ignored_after_as_of=ignored,
        )

    # one event ------------------------------------------------------------------------------

    def apply(
        self, i: int, event: Event, state: CaseState, step: Step | None = None
    ) -> EventVerdict:
        """Judge one event and, if allowed, apply its effects (``step``: the plan's step for
        the event's type and phase unless a caller narrows it)."""
        if step is None:
            step = self.plan.step(event.type, state.phase)
        before = state.phase
        ctx = Context(state, event, event.parsed)
        rules: list[str] = []
        reasons: list[str] = []
        life = self.lifecycle
        allowed, target = life.transition(i, event, state, ctx, step, rules, reasons)
        if allowed and step.preconditions:
            allowed = life.preconditions(i, state, ctx, step, rules, reasons)
        judge = self._judges.get(event.type)
        if allowed and judge is not None:
            verdict = judge.check(i, event, state, ctx)
            if verdict is not None:
                if not verdict.allowed:
                    rules.clear()
                    reasons.clear()
                rules.extend(verdict.rules)
                reasons.extend(verdict.reasons)
                state.trace.extend(self.memo.indexed(verdict, i))
                allowed = verdict.allowed
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
            for family in self._effects:
                family.apply(i, event, state, ctx, step)
            state.occurred.setdefault(event.type, []).append(event)
        in_force = life.in_force(event)
        if not in_force:
            why = life.not_in_force(event)
            reasons.append(why)
            life.trace(state, "pack.effective", "not_applicable", why, i, "pack effective")
        return EventVerdict(
            i,
            event.type,
            event.at,
            allowed,
            before,
            state.phase,
            tuple(rules),
            tuple(reasons),
            event.id,
            in_force,
        )


__all__ = ["Engine"]
