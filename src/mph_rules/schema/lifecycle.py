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
from mph_rules.schema.text import PackText


class Phase(Rule):
    label: PackText = Field(
        description="Human-readable name, in the covenant's own words.",
        examples=["procesregisseur"],
    )
    accepts: tuple[str, ...] = Field(
        default=(),
        description="event types accepted in this phase without a transition",
        examples=[["household_heard", "hearing_waived"]],
    )
    terminal: StrictBool = Field(
        default=False,
        description="Cases end here (no transition out is expected).",
        examples=[True],
    )
    owner: str | None = Field(
        default=None,
        description="v2: the role that owns the case in this phase (casusregisseur); reported "
        "in the decision",
        examples=["case_director"],
        json_schema_extra=V2,
    )


class Transition(Rule):
    on: str = Field(description="event type", examples=["triage_decided"])
    from_: tuple[str, ...] = Field(
        alias="from",
        min_length=1,
        description="Phases the transition leaves.",
        examples=[["triage"]],
    )
    to: str = Field(description="The phase the case moves to.", examples=["expert_team"])
    when: Condition | None = Field(
        default=None,
        description=(
            "Condition under which the rule applies: "
            "all/any/not/field/occurred/consent. Omitted: always."
        ),
        examples=[{"field": "payload.outcome", "equals": "accepted"}],
    )
    by: tuple[str, ...] | None = Field(
        default=None, description="roles that may cause it", examples=[["triagist"]]
    )


class NotBefore(Model):
    """A waiting period: the event may not happen before `duration` has passed since `after`."""

    after: EventRef = Field(
        description="the event the waiting period runs from (its latest allowed occurrence)",
        examples=[{"event": "household_informed"}],
    )
    duration: str = Field(description="ISO 8601 waiting period", examples=["P2W", "P5D"])
    counting: Counting = Field(
        default=Counting.CALENDAR,
        description="how the period is counted",
        examples=["calendar", "working_days", "eu_1182_71"],
    )

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

    event: str = Field(description="The event type guarded.", examples=["plan_established"])
    when: Condition | None = Field(
        default=None,
        description=(
            "Condition under which the rule applies: "
            "all/any/not/field/occurred/consent. Omitted: always."
        ),
        examples=[{"field": "payload.outcome", "equals": "accepted"}],
    )
    require: Condition = Field(
        description="What must hold for the event to be allowed.",
        examples=[{"any": [{"occurred": "household_heard"}, {"occurred": "hearing_waived"}]}],
    )
    not_before: NotBefore | None = Field(
        default=None,
        description="v2: besides `require`, the event is not allowed before this waiting "
        "period has passed",
        examples=[{"after": {"event": "household_informed"}, "duration": "P2W"}],
        json_schema_extra=V2,
    )
    message: PackText = Field(
        description="Why the event is denied, as the user will read it.",
        examples=["no advice before the household was heard"],
    )
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

    label: PackText = Field(
        description="What must happen by when.", examples=["triage within 5 working days"]
    )
    start: EventRef = Field(
        description="The event that starts the deadline.", examples=[{"event": "case_registered"}]
    )
    until: EventRef = Field(
        description="The event that meets it.", examples=[{"event": "triage_decided"}]
    )
    deadline: DeadlineOrOpen = Field(
        description=(
            "The deadline: {duration, counting, anchor, asap} or {unspecified: true, note}."
        ),
        examples=[
            {"duration": "P4W", "counting": "calendar"},
            {"asap": True, "note": "zo spoedig mogelijk"},
        ],
    )
    responsible: str | None = Field(
        default=None, description="Role responsible for meeting it.", examples=["triagist"]
    )
    cancelled_by: tuple[EventRef, ...] = Field(
        default=(),
        description="v2: events after `start` that end the deadline without it being met or "
        "missed (e.g. the case is closed first); `within` limits the window",
        examples=[[{"event": "case_closed"}]],
        json_schema_extra=V2,
    )


class Lifecycle(Model):
    initial: str = Field(
        pattern=ID_PATTERN, description="The phase a case starts in.", examples=["registration"]
    )
    always_accepted: tuple[str, ...] = Field(
        default=(),
        description="Event types accepted in every phase.",
        examples=[["consent_given", "subject_request_received"]],
    )
    phases: tuple[Phase, ...] = Field(
        min_length=1,
        description="The phases of a case.",
        examples=[
            [
                {
                    "id": "triage",
                    "label": "Triage",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    transitions: tuple[Transition, ...] = Field(
        default=(),
        description=(
            "Phase changes caused by events; the first matching transition in file order fires."
        ),
        examples=[
            [
                {
                    "id": "t_register",
                    "on": "case_registered",
                    "from": ["registration"],
                    "to": "triage",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    deadlines: tuple[ProcessDeadline, ...] = Field(
        default=(),
        description="Process deadlines between two events.",
        examples=[
            [
                {
                    "id": "iv5_2_triage_deadline",
                    "label": "triage within 5 working days",
                    "start": {"event": "case_registered"},
                    "until": {"event": "triage_decided"},
                    "deadline": {"duration": "P5D", "counting": "working_days"},
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
