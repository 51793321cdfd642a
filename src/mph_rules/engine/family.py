"""What every rule family shares: the engine's compiled pack, compiled conditions, tracing.

A family compiles its part of the pack (through ``CompiledPack`` and the ``Plan``), judges the
event types it ``checks`` and applies the effects of those it ``reacts_to``. ``CaseSession``
runs, per event, lifecycle first, then the families' checks (deny wins), then their effects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from mph_rules.conditions import Condition, Node
from mph_rules.decision import Verdict, new_trace_entry, new_verdict
from mph_rules.engine.plan import Step
from mph_rules.engine.state import CaseState, Context
from mph_rules.events import Event

if TYPE_CHECKING:
    from mph_rules.compile import CompiledPack
    from mph_rules.engine.core import Engine


class RuleFamily:
    """Base of the rule families; subclasses set ``name``, ``checks`` and ``reacts_to``."""

    name: ClassVar[str]
    checks: ClassVar[frozenset[str]] = frozenset()  # core event types it may deny
    reacts_to: ClassVar[frozenset[str]] = frozenset()  # core event types with effects of its own

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def cp(self) -> CompiledPack:
        return self.engine.compiled

    def node(self, condition: Condition) -> Node:
        """The compiled form of one of the pack's conditions (built once per pack)."""
        return self.engine.compiled.node(condition)

    def holds(self, condition: Condition, ctx: Context) -> bool:
        compiled = self.engine.compiled
        found = compiled.nodes.get(id(condition))  # CompiledPack.node, without its call
        if found is not None and found[0] is condition:
            return found[1].holds(ctx)
        return compiled.node(condition).holds(ctx)

    def check(self, i: int, event: Event, state: CaseState, ctx: Context) -> Verdict | None:
        """May the event happen, as far as this family is concerned (None: no opinion)?"""
        return None

    def apply(self, i: int, event: Event, state: CaseState, ctx: Context, step: Step) -> None:
        """The effects of an allowed event."""

    def reaches(self, step: Step) -> bool:
        """Whether ``apply`` can have an effect for an event of this step: the engine skips the
        family for the others, so this may say yes where apply then does nothing, never no
        where it would act. A family whose apply reacts to more must widen it."""
        return True

    def trace(
        self,
        state: CaseState,
        rule: str,
        outcome: str,
        reason: str,
        event: int,
        source: str | None = None,
    ) -> None:
        """Add a trace entry. The entry is a pure function of its arguments and the pack, so
        one immutable copy per distinct entry is kept in the engine's bounded table and shared
        by the cases that trace the same (a cheaper dict look-up than building it)."""
        key = (rule, outcome, reason, source, event)
        table = self.engine.entries
        entry = table.get(key)
        if entry is None:
            cp = self.engine.compiled
            if len(table) >= ENTRIES:
                table.clear()
            entry = table[key] = new_trace_entry(
                rule, outcome, reason, source or cp.sources.get(rule), cp.origins.get(rule), event
            )
        state.trace.append(entry)


ENTRIES = 8192  # trace entries an engine keeps (see RuleFamily.trace)


def denied(cp: CompiledPack, rule_id: str, reason: str) -> Verdict:
    """A one-rule denial, cited."""
    entry = new_trace_entry(rule_id, "denied", reason, cp.cite(rule_id), cp.origins.get(rule_id))
    return new_verdict(False, (rule_id,), (reason,), (entry,))


def fired(cp: CompiledPack, rule_ids: tuple[str, ...], reason: str) -> Verdict:
    """A one-rule allowance, cited (the first id is the rule that fired)."""
    rule_id = rule_ids[0]
    entry = new_trace_entry(rule_id, "fired", reason, cp.cite(rule_id), cp.origins.get(rule_id))
    return new_verdict(True, rule_ids, (reason,), (entry,))


__all__ = ["ENTRIES", "RuleFamily", "denied", "fired"]
