"""Intake, legal bases, information duties, access, sharing, retention and rights."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from mph_rules.calendar import (
    WORKING_DAYS_CALENDAR_SETTING,
    Anchor,
    Counting,
    DurationError,
    WorkingDayCalendar,
    check_duration_counting,
    parse_duration,
)
from mph_rules.conditions import Condition
from mph_rules.schema.common import (
    ON_VIOLATION_FIELD_DOC,
    V2,
    ConditionOrOpen,
    CoreKind,
    DeadlineOrOpen,
    DurationFrom,
    EventRef,
    Model,
    OnViolation,
    PartyType,
    Rule,
    Unspecified,
)

Everything = Literal["*"]


class IntakeCriterion(Rule):
    label: str
    required: StrictBool = Field(description="hard criterion (must hold) or indicator (weighed)")
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
    requires_consent: StrictBool = False


Per = Literal["case", "subject"]
PER_DOC = (
    "v2: `case` (one for the whole case) or `subject` (one per data subject the triggering "
    "event concerns, each with its own status, due date, waiver and representative)"
)
Form = Literal["oral", "written", "registered"]


class ActorLimit(Model):
    """Who may perform a discharging act (v2): roles, or a role holding a mandate.

    An act by anyone else does not discharge the duty or answer the request; `on_violation`
    says whether the act itself is refused (`deny`) or allowed with a finding (`flag`).
    """

    roles: tuple[str, ...] = Field(
        default=(),
        description="roles that may perform the act (empty: any role holding a mandate)",
        examples=[["privacy_officer"]],
    )
    mandate: EventRef | None = Field(
        default=None,
        description="a role may also act after an earlier event of this type granted it a "
        "mandate (its `payload.role`, or the event's actor role when the payload has none)",
        examples=[{"event": "hilversum.mandate_granted"}],
    )
    on_violation: OnViolation = Field(
        default="flag",
        description=ON_VIOLATION_FIELD_DOC,
        examples=["deny"],
        json_schema_extra=V2,
    )


class InformationDuty(Rule):
    label: str
    trigger: EventRef
    informer: str = Field(description="role that informs")
    recipient: str = Field(description="role that is informed")
    recipients: tuple[str, ...] = Field(
        default=(),
        description="v2: further roles to inform: one notification per recipient",
        examples=[["police", "housing_corporation"]],
        json_schema_extra=V2,
    )
    about: str = Field(description="matches household_informed.about / notification_sent.duty")
    content: tuple[str, ...] = ()
    required_content: tuple[str, ...] = Field(
        default=(),
        description="v2: content elements (ids) the informing act must carry in "
        "`payload.content`; an act missing one does not discharge the duty (a finding)",
        examples=[["purpose", "recipients", "rights"]],
        json_schema_extra=V2,
    )
    deadline: DeadlineOrOpen
    fulfilled_by: tuple[EventRef, ...] = Field(
        default=(), description="events that discharge the duty (notification_sent always does)"
    )
    exception_grounds: tuple[str, ...] = ()
    record_required: StrictBool = Field(
        default=False, description="the decision and its reason must be recorded in the file"
    )
    form: tuple[str, ...] | Unspecified = ()
    actor: ActorLimit | None = Field(
        default=None,
        description="v2: who may discharge the duty",
        examples=[{"roles": ["case_director"]}],
        json_schema_extra=V2,
    )
    per: Per = Field(
        default="case", description=PER_DOC, examples=["subject"], json_schema_extra=V2
    )
    opened_by_missed: str | None = Field(
        default=None,
        description="v2: the duty opens only when this process deadline or duty (id), started "
        "by the same trigger, is missed; its deadline then runs from the missed due date",
        examples=["triage_in_time"],
        json_schema_extra=V2,
    )
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


OUTCOME_DOC = (
    "v2: `unspecified` where the source leaves the outcome open (say what in `note`): when the "
    "rule applies the verdict is `unspecified` and the decision lists an open point"
)


class AccessRule(Rule):
    roles: tuple[str, ...] = Field(min_length=1)
    categories: tuple[str, ...] | Everything
    phases: tuple[str, ...] | Everything = "*"
    purposes: tuple[str, ...] | None = Field(default=None, description="null: any purpose")
    actions: tuple[Action, ...] = Field(min_length=1)
    effect: Effect = Effect.ALLOW
    when: Condition | None = None
    legal_bases: tuple[str, ...] = ()
    on_violation: OnViolation = Field(
        default="deny",
        description="v2, for `effect: deny` rules: " + ON_VIOLATION_FIELD_DOC,
        examples=["flag"],
        json_schema_extra=V2,
    )
    outcome: Literal["unspecified"] | None = Field(
        default=None,
        description=OUTCOME_DOC,
        examples=["unspecified"],
        json_schema_extra=V2,
    )


class SharingRule(Rule):
    from_roles: tuple[str, ...] | Everything
    to_roles: tuple[str, ...] | Everything
    categories: tuple[str, ...] | Everything
    phases: tuple[str, ...] | Everything = "*"
    purposes: tuple[str, ...] | None = Field(
        default=None,
        description="v2: purposes the provision may serve (`payload.purpose`); null: any",
        examples=[["coordinated_support"]],
        json_schema_extra=V2,
    )
    effect: Effect = Effect.ALLOW
    when: Condition | None = None
    legal_bases: tuple[str, ...] = ()
    label: str | None = None
    on_violation: OnViolation = Field(
        default="deny",
        description="v2, for `effect: deny` rules: " + ON_VIOLATION_FIELD_DOC,
        examples=["flag"],
        json_schema_extra=V2,
    )
    outcome: Literal["unspecified"] | None = Field(
        default=None,
        description=OUTCOME_DOC,
        examples=["unspecified"],
        json_schema_extra=V2,
    )


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
    duration_from: DurationFrom | None = Field(
        default=None,
        description="v2: take the duration from a setting or a field of the trigger event; "
        "`duration` is the fallback when the field is absent",
        examples=[{"setting": "retention_after_closure"}],
        json_schema_extra=V2,
    )
    restart_within: StrictBool = Field(
        default=False,
        description="v2: a later trigger restarts the clock only while it still runs; after "
        "the deletion date the trigger starts nothing (the data is gone)",
        examples=[True],
        json_schema_extra=V2,
    )
    on_reregistration: Literal["restart", "keep", "cancel"] | SettingRef | None = Field(
        default=None,
        description="v2: what `case_reregistered` does to a running clock: restart it, keep "
        "it, or cancel it; `{setting: id}` where the source is silent",
        examples=["keep", {"setting": "reregistration_restarts_retention"}],
        json_schema_extra=V2,
    )
    surviving_fields: tuple[str, ...] = Field(
        default=(),
        description="v2 field-level anonymisation: fields of the scope that survive the "
        "deletion date (anonymised statistics); all others are deleted",
        examples=[["postcode_area", "problem_domains"]],
        json_schema_extra=V2,
    )
    per: Per = Field(
        default="case",
        description="v2: `subject`: one clock per data subject the trigger concerns",
        examples=["subject"],
        json_schema_extra=V2,
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

    age_from: StrictInt | None = Field(default=None, ge=0)
    age_below: StrictInt | None = Field(default=None, ge=1)
    requires_incompetence: StrictBool = False
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
    actor: ActorLimit | None = Field(
        default=None,
        description="v2: who may answer the request (roles, or mandates given by an event); "
        "an answer by anyone else does not settle it",
        examples=[
            {"roles": ["privacy_officer"], "mandate": {"event": "hilversum.mandate_granted"}}
        ],
        json_schema_extra=V2,
    )


class SettingRef(Model):
    """A value taken from a pack setting (v2)."""

    setting: str = Field(description="id of a pack setting", examples=["reregistration_effect"])


class RecordDuty(Rule):
    """Something the covenant says must be written down (v2 `records` section).

    The record is required when `trigger` happens (per case or per subject) and is done by a
    `data_recorded` event with `payload.record: <id>` or by one of `discharged_by`; it is
    `missing` once `deadline` has passed without it (or at once, for `deadline` omitted, when a
    `before` event happens first). A missing record is a finding, never a refusal: the
    covenant asks for the record, it does not forbid the act.
    """

    label: str
    what: str = Field(
        description="what must be written down, in the covenant's words",
        examples=["de reden om de betrokkene niet te informeren"],
    )
    by: str | None = Field(
        default=None,
        description="the role that must write it down",
        examples=["case_director"],
    )
    trigger: EventRef = Field(description="the event that makes the record required")
    deadline: DeadlineOrOpen | None = Field(
        default=None,
        description="by when; omitted: before `before` happens, or open",
        examples=[{"duration": "P5D", "counting": "working_days"}],
    )
    before: tuple[EventRef, ...] = Field(
        default=(),
        description="events that must not happen before the record is made (a finding if they do)",
        examples=[[{"event": "case_closed"}]],
    )
    discharged_by: tuple[EventRef, ...] = Field(
        default=(),
        description="pack or core events that count as the record (besides data_recorded with "
        "`payload.record`)",
        examples=[[{"event": "hilversum.register_entry_made"}]],
    )
    per: Per = Field(default="case", description=PER_DOC, examples=["subject"])


from mph_rules.schema.common import Source  # noqa: E402

RetentionException.model_rebuild()
RetentionClock.model_rebuild()


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
        if self.id == WORKING_DAYS_CALENDAR_SETTING:
            known = {c.value for c in WorkingDayCalendar}
            if self.type != "choice" or not set(self.choices) <= known:
                raise ValueError(
                    f"setting {self.id} chooses the holiday list of `counting: working_days`: "
                    f"expected type choice with choices from {sorted(known)}, found "
                    f"{self.type} {list(self.choices)}"
                )
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
