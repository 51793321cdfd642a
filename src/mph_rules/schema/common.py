"""Building blocks shared by every pack section: provenance, open values, deadlines."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

from mph_rules.calendar import (
    Anchor,
    Counting,
    DurationError,
    check_duration_counting,
    parse_duration,
)
from mph_rules.schema.text import PackText, PackTextNonEmpty

ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


V2: dict[str, Any] = {"x-since-schema-version": 2}
"""`json_schema_extra` of every field the v2 vocabulary added (design.md v2)."""


class Model(BaseModel):
    """Every pack model refuses unknown keys and is immutable once loaded."""

    model_config = STRICT

    @model_serializer(mode="wrap")
    def _without_unused_v2(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Leave out v2 fields still at their default, so a v1 pack dumps (and hashes) exactly
        as it did before the v2 vocabulary existed."""
        data = handler(self)
        if not isinstance(data, dict):
            return data
        for name, info in type(self).model_fields.items():
            if info.json_schema_extra is V2 and getattr(self, name) == info.default:
                data.pop(info.alias or name, None)
                data.pop(name, None)
        return data


class Source(Model):
    """Where a rule comes from: a document of the pack, an article, a short quote."""

    document: str = Field(description="id of a document in pack.sources", examples=["pr"])
    article: str = Field(
        min_length=1, description="article, paragraph, bullet", examples=["art. 8(2)"]
    )
    quote: str = Field(
        min_length=1,
        description="short quote from the source, in its language",
        examples=["zo spoedig mogelijk"],
    )
    note: PackText | None = Field(
        default=None,
        description="reading of the text where it is unclear",
        examples=[("'zo spoedig mogelijk': the seed gives no number of days; none is invented.")],
    )

    def cite(self) -> str:
        return f"{self.document} {self.article}"


class Unspecified(Model):
    """A value the source leaves open; stated as such rather than invented."""

    unspecified: Literal[True] = Field(
        description="Always true: the value is open in the source.", examples=[True]
    )
    note: PackTextNonEmpty = Field(
        description="what the source says, and why no value is given",
        examples=["The seed gives no date."],
    )


class Conflict(Model):
    """The source contradicts itself here: the readings, the one encoded, and why."""

    readings: tuple[PackText, ...] = Field(
        min_length=2,
        description="The contradicting readings, at least two.",
        examples=[["6 months (IV art. 10)", "1 year (preamble)"]],
    )
    chosen: PackText = Field(description="The reading encoded.", examples=["6 months (IV art. 10)"])
    why: PackTextNonEmpty = Field(
        description="Why that reading.",
        examples=["IV art. 10 is the operative article"],
    )


class Rule(Model):
    """Anything with an id and a source citation."""

    id: str = Field(
        pattern=ID_PATTERN,
        description=(
            "Identifier: lower_snake_case, dots allowed. Unique within "
            "the pack; traces, tests and coverage cite rules by it."
        ),
        examples=["pr13_1_file_access"],
    )
    source: Source = Field(
        description=("Where this comes from: a document of `pack.sources`, article, quote."),
        examples=[
            {"document": "pr", "article": "art. 13(1)", "quote": "Toegang tot het bestand hebben"}
        ],
    )
    note: PackText | None = Field(
        default=None,
        description=("Free text: how an unclear source is read, or what the source leaves open."),
        examples=[("'zo spoedig mogelijk': the seed gives no number of days; none is invented.")],
    )
    conflict: Conflict | None = Field(
        default=None,
        description="the source is contradictory; the reading chosen and why",
        examples=[
            {
                "readings": ["6 months (IV art. 10)", "1 year (preamble)"],
                "chosen": "6 months (IV art. 10)",
                "why": "the operative article",
            }
        ],
    )
    overrides: tuple[str, ...] = Field(
        default=(),
        description="ids of baseline rules this rule replaces",
        examples=[["avg.inform_data_subject"]],
    )


class CoreKind(StrEnum):
    """Core data kinds every pack-specific category maps to (AVG art. 9 and 10, BSN, police)."""

    ORDINARY = "ordinary"
    SPECIAL = "special"
    CRIMINAL = "criminal"
    BSN = "bsn"
    POLICE = "police"
    SPECIAL_POLICE = "special_police"


class PartyType(StrEnum):
    MUNICIPALITY = "municipality"
    POLICE = "police"
    PUBLIC_PROSECUTOR = "public_prosecutor"
    HOUSING_CORPORATION = "housing_corporation"
    MENTAL_HEALTH = "mental_health"
    ADDICTION_CARE = "addiction_care"
    YOUTH_PROTECTION = "youth_protection"
    YOUTH_CARE = "youth_care"
    VEILIG_THUIS = "veilig_thuis"
    PROBATION = "probation"
    SOCIAL_WORK = "social_work"
    SOCIAL_CARE = "social_care"
    DISABILITY_CARE = "disability_care"
    HEALTH_CARE = "health_care"
    CHILD_PROTECTION_BOARD = "child_protection_board"
    DEBT_SUPPORT = "debt_support"
    EDUCATION = "education"
    JUSTICE = "justice"
    SUPERVISORY_AUTHORITY = "supervisory_authority"
    SAFETY_HOUSE = "safety_house"
    OTHER = "other"
    UNSPECIFIED = "unspecified"


OnViolation = Literal["deny", "flag"]
"""deny: the act is refused; flag: the act is allowed and a finding is raised (design.md v2)."""

ON_VIOLATION_FIELD_DOC = (
    "What a breach of this rule does: `deny` refuses the act; `flag` allows it and raises a "
    "finding (where the source asks for something before an act but does not forbid the act)."
)


class DurationFrom(Model):
    """A duration taken from a setting or from a field of the triggering event (v2)."""

    setting: str | None = Field(
        default=None,
        description="id of a `duration` setting whose value is the duration",
        examples=["retention_period"],
    )
    field: str | None = Field(
        default=None,
        description="a payload field of the triggering event holding an ISO 8601 duration",
        pattern=r"^payload\.[A-Za-z0-9_]+$",
        examples=["payload.term"],
    )

    @model_validator(mode="after")
    def _one(self) -> DurationFrom:
        if (self.setting is None) == (self.field is None):
            raise ValueError("duration_from needs exactly one of `setting` or `field`")
        return self


class Deadline(Model):
    """A deadline and the rule it is counted by (design.md: covenant, Atw, EU 1182/71, hours)."""

    duration: str | None = Field(
        default=None, description="ISO 8601 duration", examples=["P5D", "P4W", "P1M", "PT72H"]
    )
    duration_from: DurationFrom | None = Field(
        default=None,
        description="v2: the duration is the value of a setting or of an event field; "
        "`duration`, if also given, is used when the field is absent",
        examples=[{"setting": "answer_term"}, {"field": "payload.term"}],
        json_schema_extra=V2,
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
    anchor: Anchor = Field(
        default=Anchor.EVENT_DATE,
        description=(
            "The day the period runs from: the event day, the next day, "
            "the 1st of the next month or 1 January of the next year."
        ),
        examples=["event_date", "start_of_next_year"],
    )
    asap: StrictBool = Field(
        default=False, description="'zo spoedig mogelijk'; duration is the latest", examples=[True]
    )
    note: PackText | None = Field(
        default=None,
        description="How the deadline is read from the text.",
        examples=["'binnen vier weken': 28 calendar days"],
    )

    @field_validator("duration")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _complete(self) -> Deadline:
        if self.duration is None and not self.asap and self.duration_from is None:
            raise ValueError(
                "a deadline needs a duration, duration_from, or asap: true, or {unspecified: true}"
            )
        if self.duration is not None:
            try:
                check_duration_counting(parse_duration(self.duration), self.counting, self.anchor)
            except DurationError as exc:
                raise ValueError(str(exc)) from None
        return self


class EventRef(Model):
    """An event type, optionally narrowed by a condition on it."""

    event: str = Field(
        description="An event type: a core event or `<pack id>.<name>`.",
        examples=["case_registered"],
    )
    when: Condition | None = Field(
        default=None,
        description="Narrows the event: it counts only when this holds.",
        examples=[{"field": "payload.outcome", "equals": "declined"}],
    )
    within: str | None = Field(
        default=None,
        description="v2 window: the event counts only within this ISO 8601 period after the "
        "start of what it stops (`cancelled_by` of retention clocks and process deadlines)",
        examples=["P1Y"],
        json_schema_extra=V2,
    )

    @field_validator("within")
    @classmethod
    def _window_parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_duration(value)
            except DurationError as exc:
                raise ValueError(str(exc)) from None
        return value


from mph_rules.conditions import Condition  # noqa: E402

EventRef.model_rebuild()


def _open_or_given(value: object) -> str:
    if isinstance(value, Unspecified) or (isinstance(value, dict) and "unspecified" in value):
        return "Unspecified"
    return "Given"


def open_or(given: object) -> object:
    """``given | Unspecified``, told apart by the ``unspecified`` key so that an error is
    reported against the branch the author meant, not both."""
    return Annotated[
        Union[Annotated[given, Tag("Given")], Annotated[Unspecified, Tag("Unspecified")]],  # noqa: UP007
        Discriminator(_open_or_given),
    ]


if TYPE_CHECKING:
    DeadlineOrOpen = Deadline | Unspecified
    ConditionOrOpen = Condition | Unspecified
    TextOrOpen = str | Unspecified
else:
    DeadlineOrOpen = open_or(Deadline)
    ConditionOrOpen = open_or(Condition)
    TextOrOpen = open_or(PackText)
