"""Phases of a case, the transitions events cause, preconditions and process deadlines."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, model_validator

from mph_rules.calendar import Counting, DurationError, check_duration_counting, parse_duration
from mph_rules.conditions import Condition
from mph_rules.schema.common import (
    ID_PATTERN,
    ON_VIOLATION_FIELD_DOC,
    V2,
    DeadlineOrOpen,
    EventRef,
    Model,
    OnViolation,
    Rule,
)


class Phase(Rule):
    label: str
    accepts: tuple[str, ...] = Field(
        default=(), description="event types accepted in this phase without a transition"
    )
    terminal: StrictBool = False
    owner: str | None = Field(
        default=None,
        description="v2: the role that owns the case in this phase (casusregisseur); reported "
        "in the decision",
        examples=["case_director"],
        json_schema_extra=V2,
    )


class Transition(Rule):
    on: str = Field(description="event type")
    from_: tuple[str, ...] = Field(alias="from", min_length=1)
    to: str
    when: Condition | None = None
    by: tuple[str, ...] | None = Field(default=None, description="roles that may cause it")


class NotBefore(Model):
    """A waiting period: the event may not happen before `duration` has passed since `after`."""

    after: EventRef = Field(
        description="the event the waiting period runs from (its latest allowed occurrence)",
        examples=[{"event": "household_informed"}],
    )
    duration: str = Field(description="ISO 8601 waiting period", examples=["P2W", "P5D"])
    counting: Counting = Field(default=Counting.CALENDAR, description="how the period is counted")

    @model_validator(mode="after")
    def _countable(self) -> NotBefore:
        try:
            check_duration_counting(parse_duration(self.duration), self.counting)
        except DurationError as exc:
            raise ValueError(str(exc)) from None
        return self


class Precondition(Rule):
    """An event is denied unless `require` holds (e.g. no advice before the hearing).

    v2: `on_violation: flag` allows the event and raises a finding instead; `not_before` is a
    waiting period; `outcome: unspecified` says the source leaves open whether the event may
    happen when the requirement fails (the verdict is `unspecified`, an open point).
    """

    event: str
    when: Condition | None = None
    require: Condition
    not_before: NotBefore | None = Field(
        default=None,
        description="v2: besides `require`, the event is not allowed before this waiting "
        "period has passed",
        examples=[{"after": {"event": "household_informed"}, "duration": "P2W"}],
        json_schema_extra=V2,
    )
    message: str
    on_violation: OnViolation = Field(
        default="deny",
        description=ON_VIOLATION_FIELD_DOC,
        examples=["flag"],
        json_schema_extra=V2,
    )
    outcome: Literal["unspecified"] | None = Field(
        default=None,
        description="v2: `unspecified` where the source leaves the consequence of a breach open "
        "(explain in `note`); the verdict is `unspecified` and the decision lists an open point",
        examples=["unspecified"],
        json_schema_extra=V2,
    )

    @model_validator(mode="after")
    def _open_outcome_explained(self) -> Precondition:
        if self.outcome == "unspecified" and not self.note:
            raise ValueError(
                "`outcome: unspecified` needs a `note` saying what the source leaves open"
            )
        return self


class ProcessDeadline(Rule):
    """After `start`, `until` must happen within `deadline` (e.g. triage in 5 working days)."""

    label: str
    start: EventRef
    until: EventRef
    deadline: DeadlineOrOpen
    responsible: str | None = None
    cancelled_by: tuple[EventRef, ...] = Field(
        default=(),
        description="v2: events after `start` that end the deadline without it being met or "
        "missed (e.g. the case is closed first); `within` limits the window",
        examples=[[{"event": "case_closed"}]],
        json_schema_extra=V2,
    )


class Lifecycle(Model):
    initial: str = Field(pattern=ID_PATTERN)
    always_accepted: tuple[str, ...] = ()
    phases: tuple[Phase, ...] = Field(min_length=1)
    transitions: tuple[Transition, ...] = ()
    deadlines: tuple[ProcessDeadline, ...] = ()
