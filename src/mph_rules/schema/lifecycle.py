"""Phases of a case, the transitions events cause, preconditions and process deadlines."""

from __future__ import annotations

from pydantic import Field

from mph_rules.conditions import Condition
from mph_rules.schema.common import (
    ID_PATTERN,
    DeadlineOrOpen,
    EventRef,
    Model,
    Rule,
)


class Phase(Rule):
    label: str
    accepts: tuple[str, ...] = Field(
        default=(), description="event types accepted in this phase without a transition"
    )
    terminal: bool = False


class Transition(Rule):
    on: str = Field(description="event type")
    from_: tuple[str, ...] = Field(alias="from", min_length=1)
    to: str
    when: Condition | None = None
    by: tuple[str, ...] | None = Field(default=None, description="roles that may cause it")


class Precondition(Rule):
    """An event is denied unless `require` holds (e.g. no advice before the hearing)."""

    event: str
    when: Condition | None = None
    require: Condition
    message: str


class ProcessDeadline(Rule):
    """After `start`, `until` must happen within `deadline` (e.g. triage in 5 working days)."""

    label: str
    start: EventRef
    until: EventRef
    deadline: DeadlineOrOpen
    responsible: str | None = None


class Lifecycle(Model):
    initial: str = Field(pattern=ID_PATTERN)
    always_accepted: tuple[str, ...] = ()
    phases: tuple[Phase, ...] = Field(min_length=1)
    transitions: tuple[Transition, ...] = ()
    deadlines: tuple[ProcessDeadline, ...] = ()
