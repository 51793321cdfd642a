"""The compiled plan: per (event type, phase) the rules an event of that type can reach.

A ``Step`` is built once per (type, phase) and reused for every such event, so applying an
event never looks a rule up by name. The durable backend narrows a step to the rules its Rete
network matched and hands it to ``CaseSession.post``; it never swaps the engine's indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mph_rules.compile import CompiledPack
from mph_rules.schema import (
    InformationDuty,
    Precondition,
    ProcessDeadline,
    RetentionClock,
    Transition,
)

if TYPE_CHECKING:
    from mph_rules.engine.family import RuleFamily
    from mph_rules.engine.state import Keep


@dataclass(frozen=True, slots=True)
class Step:
    """What an event of ``event_type`` in ``phase`` can reach."""

    event_type: str
    phase: str
    transitions: tuple[Transition, ...]
    accepted: bool  # always accepted, or accepted in the phase without a transition
    preconditions: tuple[Precondition, ...]
    duties: tuple[InformationDuty, ...]  # duties this event type opens
    fulfils: bool  # may discharge open notifications
    deadlines_start: tuple[ProcessDeadline, ...]
    deadlines_until: tuple[ProcessDeadline, ...]
    clocks_cancel: tuple[RetentionClock, ...]
    clocks_trigger: tuple[RetentionClock, ...]


class Plan:
    """Steps of one compiled pack, built on first use and kept (bounded by types x phases)."""

    def __init__(self, compiled: CompiledPack) -> None:
        self.compiled = compiled
        self._steps: dict[tuple[str, str], Step] = {}

    def step(self, event_type: str, phase: str) -> Step:
        key = (event_type, phase)
        found = self._steps.get(key)
        if found is None:
            found = self._steps[key] = self._build(event_type, phase)
        return found

    def _build(self, kind: str, phase: str) -> Step:
        cp = self.compiled
        get: Any = dict.get
        return Step(
            event_type=kind,
            phase=phase,
            transitions=get(cp.transitions, (phase, kind), ()),
            accepted=kind in cp.always or kind in cp.accepts.get(phase, ()),
            preconditions=get(cp.preconditions, kind, ()),
            duties=get(cp.duties_by_trigger, kind, ()),
            fulfils=kind in cp.fulfilling_events,
            deadlines_start=get(cp.deadlines_by_start, kind, ()),
            deadlines_until=get(cp.deadlines_by_until, kind, ()),
            clocks_cancel=get(cp.clocks_by_cancel, kind, ()),
            clocks_trigger=get(cp.clocks_by_trigger, kind, ()),
        )


class Frame:
    """What applying an event of one (type, phase) involves (see ``Engine._frame``)."""

    __slots__ = ("data", "effects", "guarded", "judge", "keep", "moves", "receives_request", "step")

    def __init__(
        self,
        step: Step,
        effects: tuple[RuleFamily, ...],
        judge: RuleFamily | None,
        moves: bool,
        data: bool,
        guarded: bool,
        receives_request: bool,
        keep: Keep | None,
    ) -> None:
        self.step = step
        self.effects = effects  # the effect families that can act, in their order
        self.judge = judge  # the family that may deny the event type
        self.moves = moves  # transitions to try, or a phase that does not accept the type
        self.data = data  # access or sharing: the findings matrix applies
        self.guarded = guarded  # Findings.guard can deny it
        self.receives_request = receives_request
        self.keep = keep  # what the history keeps of it (None: only the latest moment)


__all__ = ["Frame", "Plan", "Step"]
