"""The core event vocabulary shared by every pack, and the case an engine evaluates.

A case system serving several municipalities sends the same events whatever the pack
(design.md, "One event vocabulary"); a pack may add events only under its own prefix.
Payloads are typed and closed: an unknown field is an error, never ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from mph_rules.calendar import AMSTERDAM
from mph_rules.schema.rules import RightKind

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Payload(BaseModel):
    model_config = _STRICT


class CaseRegistered(Payload):
    reporter_role: str | None = None
    reporter_party: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)
    discussed_with_household: StrictBool | None = None
    not_discussed_reason: str | None = None


class TriageOutcome(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REFERRED_TO_REGULAR_CARE = "referred_to_regular_care"


class TriageDecided(Payload):
    outcome: TriageOutcome
    route: str | None = Field(
        default=None, description="pack-specific route, e.g. l_pga, own_approach, emergency"
    )
    reason: str | None = None


Form = Literal["oral", "written", "registered"]


Addressee = Literal["subject", "legal_representative"]
ADDRESSEE_DOC = (
    "v2: who was informed about the subjects: the subjects themselves or their legal "
    "representative (a duty's `representation` may ask for both)"
)


class HouseholdInformed(Payload):
    about: str
    how: Literal["oral", "written", "unspecified"] = "unspecified"
    subjects: tuple[str, ...] = ()
    addressee: Addressee = Field(default="subject", description=ADDRESSEE_DOC)
    form: Form | None = Field(default=None, description="v2: oral, written or registered")
    content: tuple[str, ...] = Field(
        default=(), description="v2: the content elements (ids) the act carried"
    )


class InformationDutyWaived(Payload):
    duty: str
    ground: str
    reason: str = Field(min_length=1)
    expected_until: dt.date | None = None
    review_at: dt.date | None = None
    conditions: str | None = None
    inform_how: str | None = None
    details: dict[str, StrictStr | dt.date] = Field(
        default_factory=dict,
        description="v2: the pack's own waiver fields, as the duty's waiver_requires names "
        "them (`details.<name>`)",
    )


class HouseholdHeard(Payload):
    view_recorded: StrictBool = True
    note: str | None = None


class HearingWaived(Payload):
    ground: str
    reason: str = Field(min_length=1)


class CaseMeetingHeld(Payload):
    participants: tuple[str, ...] = ()
    unanimous: StrictBool | None = None


class PlanEstablished(Payload):
    kind: str | None = None


class Escalated(Payload):
    to: str


class CaseClosed(Payload):
    outcome: Literal["goals_met", "referred", "stopped", "scaled_down", "other"] = "goals_met"


class Empty(Payload):
    pass


class CaseReregistered(Payload):
    reporter_role: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)


class DataProvided(Payload):
    from_role: str
    to_role: str
    from_party: str | None = None
    to_party: str | None = None
    categories: tuple[str, ...] = Field(min_length=1)
    basis: str | None = None
    necessary: StrictBool | None = None
    unavoidable: StrictBool | None = None
    other_source_available: StrictBool | None = None
    origin_party: str | None = None
    origin_consent: StrictBool | None = None
    purpose: str | None = Field(default=None, description="v2: what the provision is for")
    fields: tuple[str, ...] | None = Field(
        default=None, description="v2: the fields of the categories concerned; None: all"
    )


class DataRecorded(Payload):
    categories: tuple[str, ...] = Field(min_length=1)
    purpose: str | None = None
    record: str | None = Field(default=None, description="v2: the `records` id this discharges")
    fields: tuple[str, ...] | None = Field(
        default=None, description="v2: the fields of the categories concerned; None: all"
    )


class FileAccessed(Payload):
    categories: tuple[str, ...] = Field(min_length=1)
    purpose: str | None = None
    fields: tuple[str, ...] | None = Field(
        default=None, description="v2: the fields of the categories read; None: all"
    )


class ConsentEvent(Payload):
    """Consent (v2: scoped): for `subject` (None: the household), one `scope`, and where
    given, only these data `categories`, `recipients` (roles) and `purposes`. A withdrawal or
    refusal with `recipients` ends the consent for those recipients only."""

    scope: str
    subject: str | None = None
    given_by: Literal["subject", "legal_representative"] = "subject"
    categories: tuple[str, ...] | None = Field(default=None, description="v2: None: any")
    recipients: tuple[str, ...] | None = Field(default=None, description="v2: None: any")
    purposes: tuple[str, ...] | None = Field(default=None, description="v2: None: any")


class PartyChanged(Payload):
    party: str
    kind: Literal["accession", "withdrawal", "termination", "exclusion"]
    effective: dt.date | None = None


class SubjectRequestReceived(Payload):
    request_id: str
    right: RightKind
    subject: str | None = None
    requester: Literal["self", "legal_representative"] = "self"
    form: Literal["written", "oral", "electronic"] = "written"


class SubjectRequestExtended(Payload):
    request_id: str
    reason: str = Field(min_length=1)


class SubjectRequestAnswered(Payload):
    request_id: str
    outcome: Literal["granted", "partially_granted", "refused"]
    grounds: tuple[str, ...] = ()
    handler: str | None = Field(
        default=None, description="v2: the role that answered (default: the actor's role)"
    )
    form: Form | None = None


class BreachDetected(Payload):
    breach_id: str
    scope: str | None = None


class LegalHold(Payload):
    reason: str = Field(min_length=1)


class NotificationSent(Payload):
    duty: str
    to: str | None = None
    addressee: Addressee = Field(default="subject", description=ADDRESSEE_DOC)
    form: Form | None = Field(default=None, description="v2: oral, written or registered")
    content: tuple[str, ...] = Field(
        default=(), description="v2: the content elements (ids) the notification carried"
    )


@dataclass(frozen=True)
class CoreEvent:
    """One core event, declared once: its payload, the rule families with code of their own
    for it (every event also passes the lifecycle), the payload fields that name something the
    pack must define (checked on input, drawn from the pack by the hypothesis strategies), and
    a line for the docs. Adding a core event touches this table and the families it names."""

    payload: type[Payload]
    families: frozenset[str]
    references: tuple[tuple[str, str], ...] = ()  # (payload field, kind of pack id)
    summary: str = ""


def _core(
    payload: type[Payload], *families: str, refs: tuple[tuple[str, str], ...] = (), doc: str
) -> CoreEvent:
    return CoreEvent(payload, frozenset(families), refs, doc)


_LIFECYCLE = "lifecycle"

VOCABULARY: dict[str, CoreEvent] = {
    "case_registered": _core(
        CaseRegistered,
        "case",
        refs=(("reporter_role", "role"), ("reporter_party", "party")),
        doc="a report is registered; its facts become the case's facts",
    ),
    "triage_decided": _core(TriageDecided, _LIFECYCLE, doc="accepted, declined or referred"),
    "household_informed": _core(
        HouseholdInformed, "duties", doc="the household was informed (discharges duties)"
    ),
    "information_duty_waived": _core(
        InformationDutyWaived,
        "duties",
        refs=(("duty", "duty"), ("ground", "ground")),
        doc="an information duty is waived on an exception ground",
    ),
    "household_heard": _core(HouseholdHeard, _LIFECYCLE, doc="the household was heard"),
    "hearing_waived": _core(
        HearingWaived, _LIFECYCLE, refs=(("ground", "ground"),), doc="hearing waived on a ground"
    ),
    "case_meeting_held": _core(CaseMeetingHeld, _LIFECYCLE, doc="a case meeting took place"),
    "plan_established": _core(PlanEstablished, _LIFECYCLE, doc="a plan was established"),
    "escalated": _core(Escalated, _LIFECYCLE, doc="the case was escalated"),
    "case_closed": _core(CaseClosed, _LIFECYCLE, doc="the case was closed"),
    "monitoring_ended": _core(Empty, _LIFECYCLE, doc="monitoring after closure ended"),
    "case_reregistered": _core(
        CaseReregistered,
        "case",
        refs=(("reporter_role", "role"),),
        doc="a closed case is reported again",
    ),
    "data_provided": _core(
        DataProvided,
        "sharing",
        refs=(
            ("categories", "category"),
            ("from_role", "role"),
            ("to_role", "role"),
            ("from_party", "party"),
            ("to_party", "party"),
            ("origin_party", "party"),
        ),
        doc="one role provided data categories to another",
    ),
    "data_recorded": _core(
        DataRecorded, "access", refs=(("categories", "category"),), doc="data was recorded"
    ),
    "file_accessed": _core(
        FileAccessed, "access", refs=(("categories", "category"),), doc="the file was read"
    ),
    "consent_given": _core(ConsentEvent, "case", doc="consent given for a scope"),
    "consent_refused": _core(ConsentEvent, "case", doc="consent refused for a scope"),
    "consent_withdrawn": _core(ConsentEvent, "case", doc="consent withdrawn for a scope"),
    "party_joined": _core(PartyChanged, _LIFECYCLE, doc="a party joined the covenant"),
    "party_left": _core(PartyChanged, _LIFECYCLE, doc="a party left the covenant"),
    "subject_request_received": _core(
        SubjectRequestReceived, "rights", doc="a data subject's request was received"
    ),
    "subject_request_extended": _core(
        SubjectRequestExtended, "rights", doc="the answer period of a request was extended"
    ),
    "subject_request_answered": _core(
        SubjectRequestAnswered,
        "rights",
        refs=(("grounds", "ground"),),
        doc="a request was answered (granted, partially, refused)",
    ),
    "breach_detected": _core(BreachDetected, _LIFECYCLE, doc="a data breach was detected"),
    "legal_hold_started": _core(LegalHold, "retention", doc="deletion suspended"),
    "legal_hold_ended": _core(LegalHold, "retention", doc="deletion no longer suspended"),
    "notification_sent": _core(
        NotificationSent, "duties", refs=(("duty", "duty"),), doc="a notification was sent"
    ),
}

CORE_EVENTS: dict[str, type[Payload]] = {name: spec.payload for name, spec in VOCABULARY.items()}
_CORE_NAMES: dict[str, str] = {name: name for name in CORE_EVENTS}


def choices(model: type[BaseModel], name: str) -> tuple[Any, ...] | None:
    """The values a payload field admits when it is a Literal or an enumeration (for the
    hypothesis strategies: every value, ``referred_to_regular_care`` included)."""
    info = model.model_fields.get(name)
    if info is None:
        return None
    kind = info.annotation
    union = get_origin(kind) is not Literal and get_args(kind)
    args = [a for a in get_args(kind) if a is not type(None)] if union else [kind]
    out: list[Any] = []
    for arg in args:
        if get_origin(arg) is Literal:
            out.extend(get_args(arg))
        elif isinstance(arg, type) and issubclass(arg, Enum):
            out.extend(member.value for member in arg)
        else:
            return None
    return tuple(out)


class Actor(BaseModel):
    model_config = _STRICT
    role: str
    party: str | None = None


class Event(BaseModel):
    """One case event. ``at`` is a date or a timezone-aware moment (naive is refused)."""

    model_config = _STRICT
    type: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)?$")
    at: dt.datetime | dt.date
    id: str | None = None
    actor: Actor | None = None
    subjects: tuple[str, ...] | None = Field(
        default=None,
        description="v2: ids of the data subjects the event concerns (case.subjects); "
        "omitted: all of them",
    )
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _one_string(cls, value: str) -> str:
        """A core type as the vocabulary's own string: every session's verdicts, traces and
        history then share one copy instead of each holding its own (live session memory)."""
        return _CORE_NAMES.get(value, value)

    @field_validator("at", mode="before")
    @classmethod
    def _parse_moment(cls, value: Any) -> Any:
        """A date-only text is a date (not midnight): ISO 8601, strict. A number is refused
        (pydantic would read it as a Unix timestamp)."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"expected an ISO 8601 date or moment, found the number {value!r}")
        if isinstance(value, str):
            return moment_from_text(value)
        return value

    @field_validator("at")
    @classmethod
    def _aware(cls, value: dt.datetime | dt.date) -> dt.datetime | dt.date:
        return aware(value)

    _parsed: Any = PrivateAttr(default=None)
    _moment: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _typed_payload(self) -> Event:
        model = CORE_EVENTS.get(self.type)
        if model is not None:
            try:
                # model_validate without its wrapper, stored without pydantic's __setattr__
                # (the same two steps, on the path of every event)
                parsed = model.__pydantic_validator__.validate_python(self.payload)
                self.__pydantic_private__["_parsed"] = parsed  # type: ignore[index]
            except ValidationError as exc:
                raise ValueError(_payload_message(self.type, model, exc)) from None
        elif "." not in self.type:
            from mph_rules.suggestions import did_you_mean

            hint = did_you_mean(self.type, CORE_EVENTS) or "use a core event or '<pack id>.<name>'"
            raise ValueError(f"unknown event type {self.type!r}: {hint}")
        else:
            self._parsed = self.payload
        return self

    @property
    def moment(self) -> dt.datetime:
        """``at`` as an aware Europe/Amsterdam moment; a plain date is the start of that day."""
        private = self.__pydantic_private__
        assert private is not None
        at = self.at
        cached = private["_moment"]
        if cached is not None and cached[0] == at and type(cached[0]) is type(at):
            return cached[1]  # type: ignore[no-any-return]
        if isinstance(at, dt.datetime):
            moment = at.astimezone(AMSTERDAM)
        else:
            moment = dt.datetime.combine(at, dt.time.min, tzinfo=AMSTERDAM)
        private["_moment"] = (at, moment)  # keyed by `at`: a model_copy(update=) recomputes
        return moment

    @property
    def parsed(self) -> Any:
        """The payload as its typed model (core events) or the mapping (pack events)."""
        # read the private slot directly: pydantic's __getattr__ fallback is slow on a hot path
        return self.__pydantic_private__["_parsed"]  # type: ignore[index]


def _none_private(*names: str) -> Any:
    """A ``model_post_init`` that sets private attributes whose default is None.

    pydantic's generic one resolves and deep-copies each default on every instance: a third of
    the time of validating a case (two per event). Installed after the class is built, because
    pydantic wraps a ``model_post_init`` defined in the class body with its generic one."""

    def model_post_init(self: BaseModel, context: Any, /) -> None:
        if getattr(self, "__pydantic_private__", None) is None:
            object.__setattr__(self, "__pydantic_private__", dict.fromkeys(names))

    return model_post_init


setattr(Event, "model_post_init", _none_private("_parsed", "_moment"))  # noqa: B010


def moment_from_text(value: str) -> dt.date | dt.datetime:
    """An event's ``at`` given as text: ISO 8601; exactly a date (10 characters) is a date."""
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 date (2024-03-11) or moment "
            f"(2024-03-11T18:00:00+01:00), found {value!r}"
        ) from None


def aware(value: dt.datetime | dt.date) -> dt.datetime | dt.date:
    """``value`` if the calendar supports its year and, as a moment, it has a UTC offset."""
    check_supported_year(value)
    if isinstance(value, dt.datetime) and value.utcoffset() is None:
        raise ValueError(
            "a time needs a UTC offset (e.g. 2024-03-11T18:00:00+01:00); "
            "give a plain date if the time of day does not matter"
        )
    return value


def _payload_message(event_type: str, model: type[Payload], exc: ValidationError) -> str:
    """Payload errors as one line each, naming the field, with a did-you-mean for extras."""
    from mph_rules.suggestions import did_you_mean

    parts = []
    for err in exc.errors(include_url=False):
        where = "payload." + ".".join(str(x) for x in err["loc"])
        if err["type"] == "extra_forbidden":
            hint = did_you_mean(str(err["loc"][-1]), model.model_fields) or (
                "allowed: " + ", ".join(model.model_fields)
            )
            parts.append(f"{where}: unknown field for {event_type} ({hint})")
        elif err["type"] == "missing":
            parts.append(f"{where}: missing (required for {event_type})")
        else:
            parts.append(f"{where}: {err['msg']}, found {err.get('input')!r}")
    return "; ".join(parts)


# Dutch holiday data (the `holidays` package) starts in 1966; deadlines run up to centuries
# ahead. Dates outside this window are refused rather than computed wrongly or overflowing.
FIRST_YEAR, LAST_YEAR = 1966, 2199


def check_supported_year(value: dt.date) -> None:
    """ValueError for a date the calendar cannot count from (see FIRST_YEAR, LAST_YEAR)."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(
            f"dates from {FIRST_YEAR} to {LAST_YEAR} are supported (Dutch holiday data); "
            f"found {value.isoformat()}"
        )


class Subject(BaseModel):
    model_config = _STRICT
    id: str
    birth_date: dt.date | None = None
    incompetent: StrictBool = False


class Case(BaseModel):
    """A case as a case system sends it: facts, subjects and an ordered list of events."""

    model_config = _STRICT
    id: str
    facts: dict[str, Any] = Field(default_factory=dict)
    subjects: tuple[Subject, ...] = ()
    events: tuple[Event, ...] = ()

    # (pack content hash, the events tuple) this case was last checked against by an engine:
    # a case validated for the same pack is not validated again (a copy with other events is)
    _checked: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _subjects_consistent(self) -> Case:
        """Subject ids are unique; a birth date is a plausible one and not after an event
        that names that subject (its age there would be negative); a consent names a subject
        of the case (when the case lists subjects)."""
        problems = subject_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def subject_problems(case: Case, *, events: bool = True) -> list[str]:
    """What ``Case._subjects_consistent`` refuses, one line each (``events=False``: the
    caller knows no event payload names a subject, so only the subjects are checked)."""
    problems = []
    born: dict[str, dt.date] = {}
    for i, subject in enumerate(case.subjects):
        if subject.id in born or any(s.id == subject.id for s in case.subjects[:i]):
            problems.append(f"subjects[{i}].id: duplicate subject id {subject.id!r}")
        day = subject.birth_date
        if day is None:
            continue
        if day.year < FIRST_BIRTH_YEAR or day.year > LAST_YEAR:
            problems.append(
                f"subjects[{i}].birth_date: {day} is not a plausible birth date "
                f"(years {FIRST_BIRTH_YEAR} to {LAST_YEAR})"
            )
        else:
            born[subject.id] = day
    known = {s.id for s in case.subjects}
    if not known or not events:
        return problems  # no subject to be born after an event or to be consented for
    for i, event in enumerate(case.events):
        named = event.payload.get("subject")
        if not isinstance(named, str):
            continue
        if named in born and born[named] > _day_of(event.at):
            problems.append(
                f"events[{i}]: subject {named!r} is born on {born[named]}, after this event"
            )
        if named not in known and event.type.startswith("consent_"):
            problems.append(
                f"events[{i}].payload.subject: consent for unknown subject {named!r} "
                f"(subjects: {', '.join(sorted(known))})"
            )
    return problems


setattr(Case, "model_post_init", _none_private("_checked"))  # noqa: B010

FIRST_BIRTH_YEAR = 1870


def _day_of(at: dt.date) -> dt.date:
    return at.astimezone(AMSTERDAM).date() if isinstance(at, dt.datetime) else at
