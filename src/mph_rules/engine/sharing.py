"""The sharing family: may one role provide data categories to another (``data_provided``)?

Each category is decided on its own; one denied category denies the provision. The rules
that can apply to a (category, from, to, phase) cell are found once and kept.
"""

from __future__ import annotations

from typing import Any

from mph_rules.decision import TraceEntry, Verdict
from mph_rules.engine.access import combine
from mph_rules.engine.family import RuleFamily
from mph_rules.engine.memo import Memo, tests_of
from mph_rules.engine.state import CaseState, Context, field_of
from mph_rules.events import Event
from mph_rules.schema import Effect, SharingRule

SharingCell = tuple[str, str, str, str]  # category, from role, to role, phase
_GROUP_CATEGORIES = 8  # provisions naming more categories are memoised per category only
_GROUPS = 4096  # provisions kept (distinct category lists are the caller's choice)


def _matches(allowed: Any, value: str) -> bool:
    return allowed == "*" or value in allowed


class Sharing(RuleFamily):
    name = "sharing"
    checks = frozenset({"data_provided"})
    reacts_to = checks

    def __init__(self, engine: Any, memo: Memo) -> None:
        super().__init__(engine)
        self.memo = memo
        # per cell: the rules for this giver and recipient (in pack order), with whether
        # each covers the phase
        self._cells: dict[SharingCell, tuple[tuple[SharingRule, bool], ...]] = {}
        self._prepared: dict[SharingCell, Any] = {}  # see _prepare
        self._groups: dict[Any, tuple[Any, tuple[Any, ...]] | None] = {}  # see _group

    def check(self, i: int, event: Event, state: CaseState, ctx: Context) -> Verdict:
        p = event.parsed
        return self.sharing(p.from_role, p.to_role, p.categories, state.phase, ctx)

    def sharing(
        self, from_role: str, to_role: str, categories: Any, phase: str, ctx: Context
    ) -> Verdict:
        """The combined verdict on every category. The combination depends on the context
        only through the outcomes of the leaf tests of its cells' rules and the purpose (as
        each cell does), so it is memoised whole under those: one key per provision instead
        of one per category. Where a cell cannot be memoised, each is decided on its own."""
        seen: dict[Any, bool] = {}  # test outcomes on this context, shared by its cells
        group = self._group(from_role, to_role, tuple(categories), phase)
        key = None
        if group is not None:
            purpose = field_of(ctx.payload, "purpose")
            if purpose is None or type(purpose) is str:
                try:
                    for test in group[1]:
                        seen[test] = bool(test(ctx))
                except Exception:  # an odd value: decided per cell, where it may raise
                    seen.clear()
                else:
                    key = (group[0], purpose, tuple(seen.values()))
                    found = self.memo.get(key)
                    if found is not None:
                        return found
        verdicts = [self.share_one(cat, from_role, to_role, phase, ctx, seen) for cat in categories]
        verdict = self.memo.combined(verdicts, combine)
        self.memo.put(key, verdict)
        return verdict

    def _group(
        self, from_role: str, to_role: str, categories: tuple[str, ...], phase: str
    ) -> tuple[Any, tuple[Any, ...]] | None:
        """Per provision (giver, recipient, categories, phase), once: its memo cell and the
        leaf tests of its cells' rules (each once, in order); None where a cell reads case
        history or the provision names many categories (a key's size stays fixed by the
        pack)."""
        name = (from_role, to_role, categories, phase)
        if name in self._groups:
            return self._groups[name]
        found: tuple[Any, tuple[Any, ...]] | None = None
        if len(categories) <= _GROUP_CATEGORIES:
            tests: dict[Any, None] = {}
            for cat in categories:
                cell = (cat, from_role, to_role, phase)
                prepared = self._prepared.get(cell)
                if prepared is None:
                    prepared = self._prepared[cell] = self._prepare(cell)
                if prepared[0] is not None:  # forbidden: a fixed verdict, no tests
                    continue
                rules = prepared[1]
                cell_tests = tests_of(self.node(r.when) for r, ok in rules if ok and r.when)
                if cell_tests is None:
                    break
                tests.update(dict.fromkeys(cell_tests))
            else:
                found = (("sharing*", name), tuple(tests))
        if len(self._groups) >= _GROUPS:
            self._groups.clear()
        self._groups[name] = found
        return found

    def _rules(self, cell: SharingCell) -> tuple[tuple[SharingRule, bool], ...]:
        found = self._cells.get(cell)
        if found is None:
            cat, from_role, to_role, phase = cell
            found = self._cells[cell] = tuple(
                (rule, _matches(rule.phases, phase))
                for rule in self.cp.sharing_index.get((cat, from_role), ())
                if _matches(rule.to_roles, to_role)
            )
        return found

    def _prepare(
        self, cell: SharingCell
    ) -> tuple[Verdict | None, tuple[tuple[SharingRule, bool], ...], tuple[str, SharingCell]]:
        """Per cell, once: the verdict if its category is forbidden (whatever the case), its
        rules, and its memo cell."""
        category = self.cp.categories.get(cell[0])
        forbidden = None
        if category is not None and category.forbidden:
            forbidden = self.memo.keep(_forbidden_shared(self.cp, category))
        return forbidden, self._rules(cell), ("sharing", cell)

    def share_one(
        self,
        cat: str,
        from_role: str,
        to_role: str,
        phase: str,
        ctx: Context,
        seen: dict[Any, bool] | None = None,
    ) -> Verdict:
        cp = self.cp
        cell = (cat, from_role, to_role, phase)
        prepared = self._prepared.get(cell)
        if prepared is None:
            prepared = self._prepared[cell] = self._prepare(cell)
        forbidden, rules, memo_cell = prepared
        if forbidden is not None:
            return forbidden
        purpose = field_of(ctx.payload, "purpose")
        key = self.memo.key(
            memo_cell,
            lambda: [self.node(r.when) for r, in_phase in rules if in_phase and r.when],
            ctx,
            purpose,
            seen,
        )
        memo = self.memo.get(key)
        if memo is not None:
            return memo
        trace: list[TraceEntry] = []
        allow: list[str] = []
        deny: list[str] = []
        for rule, in_phase in rules:
            cite, origin = cp.cite(rule.id), cp.origins.get(rule.id)
            if not in_phase:
                trace.append(
                    TraceEntry(rule.id, "not_applicable", f"not in phase {phase}", cite, origin)
                )
                continue
            if rule.purposes is not None and purpose not in rule.purposes:
                # v2: a provision outside the rule's purposes is not what it allows
                why = f"purpose {purpose!r} is not one of {list(rule.purposes)}"
                trace.append(TraceEntry(rule.id, "not_applicable", why, cite, origin))
                continue
            if rule.when is not None and not self.holds(rule.when, ctx):
                why = f"condition not met: {self.node(rule.when).text}"
                trace.append(TraceEntry(rule.id, "not_applicable", why, cite, origin))
                continue
            (deny if rule.effect is Effect.DENY else allow).append(rule.id)
            outcome = "denied" if rule.effect is Effect.DENY else "allowed"
            trace.append(
                TraceEntry(
                    rule.id, outcome, f"{outcome} {from_role} -> {to_role}: {cat}", cite, origin
                )
            )
        what = f"{from_role} -> {to_role}: {cat} in phase {phase}"
        if deny:
            reasons = tuple(f"{r} forbids {what}" for r in deny)
            verdict = Verdict(False, tuple(deny), reasons, tuple(trace))
        elif allow:
            reasons = tuple(f"{r} allows {what}" for r in allow)
            verdict = Verdict(True, tuple(allow), reasons, tuple(trace))
        else:
            reason = f"no rule allows {what} (default deny)"
            rule_id = "default_deny.sharing"
            cite = cp.cite(rule_id)
            trace.append(TraceEntry(rule_id, "default_deny", reason, cite, cp.origins.get(rule_id)))
            verdict = Verdict(False, (rule_id,) if cite else (), (reason,), tuple(trace))
        self.memo.put(key, verdict)
        return verdict


def _forbidden_shared(cp: Any, category: Any) -> Verdict:
    """A forbidden category may never be recorded, so it is never shared either, whatever a
    sharing rule allows (design.md, "A pack": forbidden ones may never be recorded or
    shared); the category's own source is the citation."""
    reason = f"{category.id} may never be recorded or shared ({category.label})"
    entry = TraceEntry(
        category.id, "denied", reason, category.source.cite(), cp.origins.get(category.id)
    )
    return Verdict(False, (category.id,), (reason,), (entry,))


__all__ = ["Sharing"]
