"""Intake, legal bases, information duties, access, sharing, retention and rights."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from mph_rules.calendar import (
    Anchor,
    Counting,
    DurationError,
    check_duration_counting,
    parse_duration,
)
from mph_rules.conditions import Condition
from mph_rules.schema.common import (
    ConditionOrOpen,
    CoreKind,
    DeadlineOrOpen,
    EventRef,
    Model,
    PartyType,
    Rule,
    Unspecified,
)

Everything = Literal["*"]


class IntakeCriterion(Rule):
    label: str
    required: bool = Field(description="hard criterion (must hold) or indicator (weighed)")
    condition: ConditionOrOpen


class Intake(Model):
    decided_by: tuple[str, ...]
    criteria: tuple[IntakeCriterion, ...] = Field(min_length=1)
    note: str | None = None


class Ground(StrEnum):
    """AVG art. 6(1) grounds, plus consent where the covenant demands it on top."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"
    UNSPECIFIED = "unspecified"


class LegalBasis(Rule):
    party_types: tuple[PartyType, ...] | Literal["any"]
    data_kinds: tuple[CoreKind, ...] = Field(min_length=1)
    ground: Ground
    law: str
    requires_consent: bool = False


class InformationDuty(Rule):
    label: str
    trigger: EventRef
    informer: str = Field(description="role that informs")
    recipient: str = Field(description="role that is informed")
    about: str = Field(description="matches household_informed.about / notification_sent.duty")
    content: tuple[str, ...] = ()
    deadline: DeadlineOrOpen
    fulfilled_by: tuple[EventRef, ...] = Field(
        default=(), description="events that discharge the duty (notification_sent always does)"
    )
    exception_grounds: tuple[str, ...] = ()
    record_required: bool = Field(
        default=False, description="the decision and its reason must be recorded in the file"
    )
    form: tuple[str, ...] | Unspecified = ()
    waiver_requires: tuple[WaiverField, ...] = Field(
        default=(), description="fields an information_duty_waived event must carry"
    )


WaiverField = Literal["expected_until", "review_at", "conditions", "inform_how"]


class Effect(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


class AccessRule(Rule):
    roles: tuple[str, ...] = Field(min_length=1)
    categories: tuple[str, ...] | Everything
    phases: tuple[str, ...] | Everything = "*"
    purposes: tuple[str, ...] | None = Field(default=None, description="null: any purpose")
    actions: tuple[Action, ...] = Field(min_length=1)
    effect: Effect = Effect.ALLOW
    when: Condition | None = None
    legal_bases: tuple[str, ...] = ()


class SharingRule(Rule):
    from_roles: tuple[str, ...] | Everything
    to_roles: tuple[str, ...] | Everything
    categories: tuple[str, ...] | Everything
    phases: tuple[str, ...] | Everything = "*"
    effect: Effect = Effect.ALLOW
    when: Condition | None = None
    legal_bases: tuple[str, ...] = ()
    label: str | None = None


class RetentionException(Model):
    id: str
    label: str
    source: Source


class RetentionClock(Rule):
    label: str
    trigger: EventRef
    anchor: Anchor = Anchor.EVENT_DATE
    duration: str | Unspecified
    counting: Counting = Counting.CALENDAR
    scope: str = Field(description="the data deleted when the clock runs out")
    cancelled_by: tuple[EventRef, ...] = ()
    exceptions: tuple[RetentionException, ...] = ()
    counted_from: EventRef | None = Field(
        default=None,
        description="count from the latest earlier event of this type instead of the trigger",
    )
    alert_before: str | None = Field(
        default=None, description="ISO 8601 period before deletion when an alert is due"
    )

    @field_validator("alert_before")
    @classmethod
    def _alert_parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_duration(value)
            except DurationError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("duration")
    @classmethod
    def _parses(cls, value: str | Unspecified) -> str | Unspecified:
        if isinstance(value, str):
            try:
                parse_duration(value)
            except DurationError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _countable(self) -> RetentionClock:
        if isinstance(self.duration, str):
            try:
                check_duration_counting(parse_duration(self.duration), self.counting, self.anchor)
            except DurationError as exc:
                raise ValueError(str(exc)) from None
        return self


class RightKind(StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    PORTABILITY = "portability"
    OWN_STATEMENT = "own_statement"


class Representation(Model):
    """Who exercises a right for a subject of a given age (e.g. under 12: the representative)."""

    age_from: int | None = Field(default=None, ge=0)
    age_below: int | None = Field(default=None, ge=1)
    requires_incompetence: bool = False
    exercised_by: tuple[Literal["subject", "legal_representative"], ...] = Field(min_length=1)
    note: str | None = None


class Right(Rule):
    right: RightKind
    label: str
    handler: str
    deadline: DeadlineOrOpen
    extension: DeadlineOrOpen | None = None
    form: Literal["written", "any"] | Unspecified = "any"
    refusal_grounds: tuple[str, ...] = ()
    requires: Condition | None = None
    representation: tuple[Representation, ...] = ()


from mph_rules.schema.common import Source  # noqa: E402

RetentionException.model_rebuild()


class Setting(Rule):
    """A value the covenant leaves to the user (a parameter), with a justified default."""

    label: str
    type: Literal["choice", "bool", "duration", "int", "text"] = "choice"
    choices: tuple[str, ...] = ()
    default: str | bool | int
    justification: str = Field(min_length=1, description="why this default")

    @model_validator(mode="after")
    def _default_fits(self) -> Setting:
        check_setting_value(self, self.default)
        return self


def check_setting_value(setting: Setting, value: object) -> object:
    """The value converted to the setting's type, or ValueError saying what was expected."""
    kind = setting.type
    if kind == "choice":
        if value not in setting.choices:
            raise ValueError(
                f"setting {setting.id}: expected one of {list(setting.choices)}, found {value!r}"
            )
        return value
    if kind == "bool":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ValueError(f"setting {setting.id}: expected true or false, found {value!r}")
        return value
    if kind == "int":
        try:
            return int(str(value))
        except ValueError:
            raise ValueError(
                f"setting {setting.id}: expected a whole number, found {value!r}"
            ) from None
    if kind == "duration":
        try:
            parse_duration(str(value))
        except DurationError as exc:
            raise ValueError(f"setting {setting.id}: {exc}") from None
        return str(value)
    return str(value)
