"""The access family: who may read and write which data category in which phase.

Reading a file (``file_accessed``) and recording data (``data_recorded``) are judged per
category against the access cells; deny wins, no applicable allow is default deny.
"""

from __future__ import annotations

from typing import Any

from mph_rules.compile import decide_access
from mph_rules.decision import RoleAccess, Verdict
from mph_rules.engine.family import RuleFamily
from mph_rules.engine.memo import Memo
from mph_rules.engine.state import CaseState, Context
from mph_rules.events import Event
from mph_rules.schema import Effect


def combine(verdicts: list[Verdict]) -> Verdict:
    """Several verdicts on one event: all must allow; a denial lists only the deniers."""
    if len(verdicts) == 1:
        return verdicts[0]
    allowed = all(v.allowed for v in verdicts)
    chosen = verdicts if allowed else [v for v in verdicts if not v.allowed]
    rules = tuple(dict.fromkeys(r for v in chosen for r in v.rules))
    reasons = tuple(r for v in chosen for r in v.reasons)
    trace = tuple(t for v in verdicts for t in v.trace)
    return Verdict(allowed, rules, reasons, trace)


class Access(RuleFamily):
    name = "access"
    checks = frozenset({"file_accessed", "data_recorded"})
    reacts_to = checks

    def __init__(self, engine: Any, memo: Memo) -> None:
        super().__init__(engine)
        self.memo = memo
        self._summary: dict[str, tuple[RoleAccess, ...]] = {}

    def check(self, i: int, event: Event, state: CaseState, ctx: Context) -> Verdict:
        p = event.parsed
        action = "read" if event.type == "file_accessed" else "write"
        role = event.actor.role if event.actor else ""
        seen: dict[Any, bool] = {}  # test outcomes on this event, shared by its cells
        verdicts = [
            self.access((role, cat, state.phase, action), p.purpose, ctx, seen)
            for cat in p.categories
        ]
        return self.memo.combined(verdicts, combine)

    def access(
        self,
        cell: tuple[str, str, str, str],
        purpose: str | None,
        ctx: Context,
        seen: dict[Any, bool] | None = None,
    ) -> Verdict:
        cp = self.cp
        fixed = cp.fixed_access(cell)
        if fixed is not None:
            return self.memo.keep(fixed)
        forbidden = cp.categories.get(cell[1])
        forbidden = forbidden if forbidden is not None and forbidden.forbidden else None
        rules = cp.access_cells.get(cell, ())
        key = self.memo.key(
            ("access", cell), lambda: [self._when(r) for r in rules], ctx, purpose, seen
        )
        memo = self.memo.get(key)
        if memo is not None:
            return memo

        def applies(rule: Any) -> tuple[bool, str]:
            if rule.purposes is not None and purpose not in rule.purposes:
                return False, f"purpose {purpose!r} is not one of {list(rule.purposes)}"
            if rule.when is not None and not self.holds(rule.when, ctx):
                return False, f"condition not met: {self.node(rule.when).text}"
            return True, ""

        verdict = decide_access(cell, rules, forbidden, cp.sources, cp.origins, applies)
        self.memo.put(key, verdict)
        return verdict

    def _when(self, rule: Any) -> Any:
        return self.node(rule.when) if rule.when is not None else None

    # reporting ----------------------------------------------------------------------------

    def role_access(self, phase: str) -> tuple[RoleAccess, ...]:
        rows = self._summary.get(phase)
        if rows is None:
            rows = self._summary[phase] = self._summarise(phase)
        return rows

    def _summarise(self, phase: str) -> tuple[RoleAccess, ...]:
        """Who may read and write what in a phase, whatever the case: rules whose condition
        reads only the engine's settings are decided here; others are left out."""
        cp = self.cp
        ctx = Context(CaseState(phase, {}, {}, self.engine.settings), None, {})
        out = []
        for role in sorted(cp.roles):
            found: dict[str, list[str]] = {"read": [], "write": []}
            for action, cats in found.items():
                for cat in cp.categories:
                    rules = cp.access_cells.get((role, cat, phase, action), ())
                    if action == "write" and cp.categories[cat].forbidden:
                        continue
                    if self._static_allow(rules, ctx):
                        cats.append(cat)
            if found["read"] or found["write"]:
                out.append(RoleAccess(role, tuple(found["read"]), tuple(found["write"])))
        return tuple(out)

    def _static_allow(self, rules: tuple[Any, ...], ctx: Context) -> bool:
        """Allowed whatever the case: every rule's condition reads only settings, no purpose,
        at least one applicable allow and no applicable deny."""
        allowed = False
        for rule in rules:
            if rule.purposes is not None:
                return False
            if rule.when is not None:
                node = self.node(rule.when)
                if not all(
                    kind == "field" and name.startswith("settings.") for kind, name in node.reads
                ):
                    return False
                if not node.holds(ctx):
                    continue
            if rule.effect is Effect.DENY:
                return False
            allowed = True
        return allowed


__all__ = ["Access", "combine"]
