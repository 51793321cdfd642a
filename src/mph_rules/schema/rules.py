"""Intake, legal bases, information duties, access, sharing, retention and rights."""

from __future__ import annotations

import re
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
from mph_rules.schema.text import PackText, PackTextNonEmpty

Everything = Literal["*"]


class IntakeCriterion(Rule):
    label: PackText = Field(
        description="Human-readable name, in the covenant's own words.",
        examples=["procesregisseur"],
    )
    required: StrictBool = Field(
        description="hard criterion (must hold) or indicator (weighed)", examples=[True]
    )
    condition: ConditionOrOpen = Field(
        description="The condition over case facts, or {unspecified: true, note}.",
        examples=[{"field": "facts.life_domains", "count_at_least": 3}],
    )


class Intake(Model):
    decided_by: tuple[str, ...] = Field(
        description="Roles that decide on intake.", examples=[["triagist"]]
    )
    criteria: tuple[IntakeCriterion, ...] = Field(
        min_length=1,
        description="The criteria: required (must hold) or indicators (weighed).",
        examples=[
            [
                {
                    "id": "iv3_life_domains",
                    "label": "minimaal 3 leefgebieden",
                    "required": True,
                    "condition": {"field": "facts.life_domains", "count_at_least": 3},
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    note: PackText | None = Field(
        default=None,
        description="What the covenant leaves open about intake.",
        examples=["Whether the criteria are cumulative is not stated."],
    )


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
    party_types: tuple[PartyType, ...] | Literal["any"] = Field(
        description="Party types the basis applies to, or `any`.",
        examples=[["municipality"], "any"],
    )
    data_kinds: tuple[CoreKind, ...] = Field(
        min_length=1,
        description="Core data kinds the basis covers.",
        examples=[["ordinary"], ["special", "criminal"]],
    )
    ground: Ground = Field(
        description=(
            "AVG art. 6(1) ground; `unspecified` when the covenant names a law but no ground."
        ),
        examples=["public_task", "consent"],
    )
    law: PackText = Field(
        description="The law or article the basis rests on.",
        examples=["Wet maatschappelijke ondersteuning 2015"],
    )
    requires_consent: StrictBool = Field(
        default=False,
        description=(
            "The basis holds only with the subject's consent; lint checks"
            " that a rule relying on it checks the consent."
        ),
        examples=[True],
    )


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


class AgeRange(Model):
    """The ages a line applies to: ``age_from`` up to, not including, ``age_below``."""

    age_from: StrictInt | None = Field(
        default=None,
        ge=0,
        description="Lowest age (inclusive) this line applies to.",
        examples=[12],
    )
    age_below: StrictInt | None = Field(
        default=None,
        ge=1,
        description="Age (exclusive) from which this line no longer applies.",
        examples=[16],
    )


class InformedBy(AgeRange):
    """v2: who is informed about a subject of a given age (a line of `representation`)."""

    informed: tuple[Literal["subject", "legal_representative"], ...] = Field(
        min_length=1,
        description="Who is informed: the subject and/or the legal representative, each a "
        "notification of its own",
        examples=[["subject", "legal_representative"]],
    )
    note: PackText | None = Field(
        default=None,
        description="Free text: how an unclear source is read.",
        examples=["PR art. 9(5): the legal representative of a child under 16 as well"],
    )

    def covers(self, age: int) -> bool:
        return (self.age_from is None or age >= self.age_from) and (
            self.age_below is None or age < self.age_below
        )


class InformationDuty(Rule):
    label: PackText = Field(
        description="Human-readable name, in the covenant's own words.",
        examples=["procesregisseur"],
    )
    trigger: EventRef = Field(
        description="The event (optionally narrowed by `when`) that starts it.",
        examples=[
            {"event": "case_closed"},
            {"event": "triage_decided", "when": {"field": "payload.outcome", "equals": "declined"}},
        ],
    )
    informer: str = Field(description="role that informs", examples=["procesregisseur"])
    recipient: str = Field(description="role that is informed", examples=["household"])
    recipients: tuple[str, ...] = Field(
        default=(),
        description="v2: further roles to inform: one notification per recipient",
        examples=[["police", "housing_corporation"]],
        json_schema_extra=V2,
    )
    about: str = Field(
        description="matches household_informed.about / notification_sent.duty",
        examples=["registration"],
    )
    content: tuple[PackText, ...] = Field(
        default=(),
        description="What must be told.",
        examples=[["the registration", "the purpose of the processing"]],
    )
    required_content: tuple[str, ...] = Field(
        default=(),
        description="v2: content elements (ids) the informing act must carry in "
        "`payload.content`; an act missing one does not discharge the duty (a finding)",
        examples=[["purpose", "recipients", "rights"]],
        json_schema_extra=V2,
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
    fulfilled_by: tuple[EventRef, ...] = Field(
        default=(),
        description="events that discharge the duty (notification_sent always does)",
        examples=[
            [
                {
                    "event": "household_informed",
                    "when": {"field": "payload.about", "equals": "registration"},
                }
            ]
        ],
    )
    exception_grounds: tuple[str, ...] = Field(
        default=(),
        description=(
            "Exception grounds on which the duty may be waived (ids of `exception_grounds`)."
        ),
        examples=[["pr8_state_security", "pr8_criminal_offences"]],
    )
    record_required: StrictBool = Field(
        default=False,
        description="the decision and its reason must be recorded in the file",
        examples=[True],
    )
    form: tuple[str, ...] | Unspecified = Field(
        default=(),
        description=(
            "How the information is given (e.g. oral, written), or {unspecified: true, note}."
        ),
        examples=[["oral", "written"]],
    )
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
    waiver_requires: tuple[str, ...] = Field(
        default=(),
        description="fields an information_duty_waived event must carry: core fields "
        "(expected_until, review_at, conditions, inform_how) or, v2, the pack's own "
        "`details.<name>` (the waiver's `payload.details.<name>`; a waiver of this duty may "
        "carry only the details named here)",
        examples=[["review_at"], ["expected_until", "details.review_frequency"]],
    )
    waiver_before_open: StrictBool = Field(
        default=False,
        description="v2: a waiver may be recorded before the duty opens (the exception is "
        "known beforehand); the notifications the duty then opens for the subjects the "
        "waiver names are born waived",
        examples=[True],
        json_schema_extra=V2,
    )
    representation: tuple[InformedBy, ...] = Field(
        default=(),
        description="v2, with `per: subject`: who is informed about a subject of a given age "
        "(age at the trigger, from the subject's birth_date), e.g. under 16 the subject and "
        "the legal representative; each one is a notification of its own (`addressee`). The "
        "first line matching the age applies; none matching, or no birth date: the subject",
        examples=[[{"age_below": 16, "informed": ["subject", "legal_representative"]}]],
        json_schema_extra=V2,
    )

    @field_validator("waiver_requires")
    @classmethod
    def _waiver_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in WAIVER_FIELDS and not _DETAIL.fullmatch(name):
                raise ValueError(
                    f"waiver_requires: {name!r} is neither a field of information_duty_waived "
                    f"({', '.join(WAIVER_FIELDS)}) nor a pack's own `details.<name>`"
                )
        return value

    @property
    def waiver_details(self) -> frozenset[str]:
        """The pack's own waiver fields (``details.<name>``) of this duty."""
        return frozenset(
            n.split(".", 1)[1] for n in self.waiver_requires if n.startswith("details.")
        )

    @model_validator(mode="after")
    def _representation_per_subject(self) -> InformationDuty:
        if self.representation and self.per != "subject":
            raise ValueError("representation needs `per: subject` (an age is a subject's)")
        return self


WAIVER_FIELDS = ("expected_until", "review_at", "conditions", "inform_how")
_DETAIL = re.compile(r"details\.[a-z][a-z0-9_]*")


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
    roles: tuple[str, ...] = Field(
        min_length=1,
        description="Role ids the rule is about.",
        examples=[["chair", "projectsecretaris", "procesregisseur"]],
    )
    categories: tuple[str, ...] | Everything = Field(
        description="Data category ids, or `*` for every category.",
        examples=[["household_identity"], "*"],
    )
    phases: tuple[str, ...] | Everything = Field(
        default="*",
        description="Phase ids in which the rule applies, or `*` for every phase.",
        examples=[["triage", "expert_team"], "*"],
    )
    purposes: tuple[str, ...] | None = Field(
        default=None, description="null: any purpose", examples=[["screening"], None]
    )
    actions: tuple[Action, ...] = Field(
        min_length=1,
        description="read (file_accessed) and/or write (data_recorded).",
        examples=[["read"], ["read", "write"]],
    )
    effect: Effect = Field(
        default=Effect.ALLOW,
        description=("allow or deny; a deny that applies always wins over an allow."),
        examples=["allow", "deny"],
    )
    when: Condition | None = Field(
        default=None,
        description=(
            "Condition under which the rule applies: "
            "all/any/not/field/occurred/consent. Omitted: always."
        ),
        examples=[{"field": "payload.outcome", "equals": "accepted"}],
    )
    legal_bases: tuple[str, ...] = Field(
        default=(),
        description=(
            "Ids of the legal bases this rule relies on; omitted: "
            "`mph-rules lint` derives them from the role's party types "
            "and the categories' kinds."
        ),
        examples=[["pr6_1_municipality"]],
    )
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
    from_roles: tuple[str, ...] | Everything = Field(
        description="Roles that provide the data, or `*`.", examples=[["reporter"], "*"]
    )
    to_roles: tuple[str, ...] | Everything = Field(
        description="Roles that receive the data, or `*`.",
        examples=[["triagist", "projectsecretaris"], "*"],
    )
    categories: tuple[str, ...] | Everything = Field(
        description="Data category ids, or `*` for every category.",
        examples=[["household_identity"], "*"],
    )
    phases: tuple[str, ...] | Everything = Field(
        default="*",
        description="Phase ids in which the rule applies, or `*` for every phase.",
        examples=[["triage", "expert_team"], "*"],
    )
    purposes: tuple[str, ...] | None = Field(
        default=None,
        description="v2: purposes the provision may serve (`payload.purpose`); null: any",
        examples=[["coordinated_support"]],
        json_schema_extra=V2,
    )
    effect: Effect = Field(
        default=Effect.ALLOW,
        description=("allow or deny; a deny that applies always wins over an allow."),
        examples=["allow", "deny"],
    )
    when: Condition | None = Field(
        default=None,
        description=(
            "Condition under which the rule applies: "
            "all/any/not/field/occurred/consent. Omitted: always."
        ),
        examples=[{"field": "payload.outcome", "equals": "accepted"}],
    )
    legal_bases: tuple[str, ...] = Field(
        default=(),
        description=(
            "Ids of the legal bases this rule relies on; omitted: "
            "`mph-rules lint` derives them from the role's party types "
            "and the categories' kinds."
        ),
        examples=[["pr6_1_municipality"]],
    )
    label: PackText | None = Field(
        default=None,
        description="What the rule allows or forbids, in a sentence.",
        examples=["the reporter provides the household's data"],
    )
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
    id: str = Field(
        description=(
            "Identifier: lower_snake_case, dots allowed. Unique within "
            "the pack; traces, tests and coverage cite rules by it."
        ),
        examples=["pr15_3_anonymised"],
    )
    label: PackText = Field(
        description="What may be kept and on what condition.",
        examples=["kept longer, stripped of identifying features"],
    )
    source: Source = Field(
        description=("Where this comes from: a document of `pack.sources`, article, quote."),
        examples=[
            {"document": "pr", "article": "art. 13(1)", "quote": "Toegang tot het bestand hebben"}
        ],
    )


class RetentionClock(Rule):
    label: PackText = Field(
        description="What the clock does, in a sentence.",
        examples=["five years from 1 January after closure"],
    )
    trigger: EventRef = Field(
        description="The event (optionally narrowed by `when`) that starts it.",
        examples=[
            {"event": "case_closed"},
            {"event": "triage_decided", "when": {"field": "payload.outcome", "equals": "declined"}},
        ],
    )
    anchor: Anchor = Field(
        default=Anchor.EVENT_DATE,
        description=(
            "The day the period runs from: the event day, the next day, "
            "the 1st of the next month or 1 January of the next year."
        ),
        examples=["event_date", "start_of_next_year"],
    )
    duration: str | Unspecified = Field(
        description=("ISO 8601 period until deletion, or {unspecified: true, note}."),
        examples=["P5Y", "P1Y"],
    )
    counting: Counting = Field(
        default=Counting.CALENDAR,
        description=(
            "How the deadline is counted: calendar (contractual), "
            "working_days (Mon-Fri less public holidays), "
            "working_days_statutory (the same with the Atw holiday list),"
            " atw (Algemene termijnenwet), eu_1182_71 (EU law, the AVG), "
            "elapsed_hours."
        ),
        examples=["calendar", "working_days", "eu_1182_71"],
    )
    scope: str = Field(
        description="the data deleted when the clock runs out", examples=["case_file"]
    )
    cancelled_by: tuple[EventRef, ...] = Field(
        default=(),
        description="Events that stop a running clock.",
        examples=[[{"event": "case_reregistered"}]],
    )
    exceptions: tuple[RetentionException, ...] = Field(
        default=(),
        description=("Data that may be kept longer (e.g. anonymised), with their source."),
        examples=[
            [
                {
                    "id": "pr15_3_anonymised",
                    "label": "kept anonymised for research",
                    "source": {
                        "document": "pr",
                        "article": "art. 13(1)",
                        "quote": "Toegang tot het bestand hebben",
                    },
                }
            ]
        ],
    )
    counted_from: EventRef | None = Field(
        default=None,
        description="count from the latest earlier event of this type instead of the trigger",
        examples=[{"event": "case_registered"}],
    )
    alert_before: str | None = Field(
        default=None,
        description="ISO 8601 period before deletion when an alert is due",
        examples=["P2M"],
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
    categories: tuple[str, ...] | None = Field(
        default=None,
        description="v2: the data categories the scope holds; after the deletion date only a "
        "read, recording or provision naming one of them is refused. Absent: the scope holds "
        "all of the case's data; `[]`: none that events name (a log or list kept apart)",
        examples=[["police_incidents"], []],
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


class Representation(AgeRange):
    """Who exercises a right for a subject of a given age (e.g. under 12: the representative)."""

    requires_incompetence: StrictBool = Field(
        default=False,
        description=("Applies only when the subject is incompetent (wilsonbekwaam)."),
        examples=[True],
    )
    exercised_by: tuple[Literal["subject", "legal_representative"], ...] = Field(
        min_length=1,
        description=("Who may make the request: subject and/or legal_representative."),
        examples=[["subject", "legal_representative"]],
    )
    note: PackText | None = Field(
        default=None,
        description=("Free text: how an unclear source is read, or what the source leaves open."),
        examples=[("'zo spoedig mogelijk': the seed gives no number of days; none is invented.")],
    )


class Right(Rule):
    right: RightKind = Field(
        description=(
            "Which right: access, rectification, erasure, restriction, "
            "objection, portability, own_statement."
        ),
        examples=["access"],
    )
    label: PackText = Field(
        description="Human-readable name, in the covenant's own words.",
        examples=["procesregisseur"],
    )
    handler: str = Field(description="Role that handles the request.", examples=["controller"])
    deadline: DeadlineOrOpen = Field(
        description="Response deadline from receipt of the request.",
        examples=[{"duration": "P4W", "counting": "calendar"}],
    )
    extension: DeadlineOrOpen | None = Field(
        default=None,
        description=(
            "Extension of the deadline (after subject_request_extended), "
            "or {unspecified: true, note}."
        ),
        examples=[{"duration": "P2M", "counting": "eu_1182_71"}],
    )
    form: Literal["written", "any"] | Unspecified = Field(
        default="any",
        description=("Form of the request: written or any, or {unspecified: true, note}."),
        examples=["written", "any"],
    )
    refusal_grounds: tuple[str, ...] = Field(
        default=(),
        description="Exception ground ids a refusal must name.",
        examples=[["pr8_state_security"]],
    )
    requires: Condition | None = Field(
        default=None,
        description=("A condition for the request to be allowed (e.g. inzage first)."),
        examples=[{"occurred": "subject_request_answered"}],
    )
    representation: tuple[Representation, ...] = Field(
        default=(),
        description="Who exercises the right for a subject of a given age.",
        examples=[
            [
                {"age_below": 12, "exercised_by": ["legal_representative"]},
                {"age_from": 12, "exercised_by": ["subject"]},
            ]
        ],
    )
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

    label: PackText = Field(
        description="Human-readable name, in the covenant's own words.",
        examples=["procesregisseur"],
    )
    what: PackText = Field(
        description="what must be written down, in the covenant's words",
        examples=["de reden om de betrokkene niet te informeren"],
    )
    by: str | None = Field(
        default=None,
        description="the role that must write it down",
        examples=["case_director"],
    )
    trigger: EventRef = Field(
        description="the event that makes the record required",
        examples=[
            {"event": "case_closed"},
            {"event": "triage_decided", "when": {"field": "payload.outcome", "equals": "declined"}},
        ],
    )
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

    label: PackText = Field(
        description="Human-readable name, in the covenant's own words.",
        examples=["procesregisseur"],
    )
    type: Literal["choice", "bool", "duration", "int", "text"] = Field(
        default="choice",
        description="Value type: choice, bool, int, duration or text.",
        examples=["choice", "bool"],
    )
    choices: tuple[str, ...] = Field(
        default=(),
        description="The allowed values of a choice setting.",
        examples=[["long", "short"]],
    )
    default: str | bool | int = Field(
        description="The default value, which must fit the type.", examples=["long", True, 5]
    )
    justification: PackTextNonEmpty = Field(
        description="why this default",
        examples=["the covenant text (art. 15(1)) names five years"],
    )

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
