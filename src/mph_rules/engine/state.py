"""The mutable state of one case while its events are replayed, the condition context over it,
and the time helpers every rule family shares. Local to one evaluation or session."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ValidationError

from mph_rules.calendar import (
    AMSTERDAM,
    Anchor,
    Counting,
    Duration,
    WorkingDayCalendar,
    compute_deadline,
    parse_duration,
)
from mph_rules.casebook import CaseBook
from mph_rules.conditions import MISSING, Node
from mph_rules.conditions.nodes import MODEL_TYPES, is_model
from mph_rules.decision import TraceEntry
from mph_rules.error_codes import validation_code
from mph_rules.errors import EventError, Problem
from mph_rules.events import Event
from mph_rules.schema import Deadline, RetentionClock, Unspecified

Moment = dt.date | dt.datetime

# Pure memo tables (same input, same output): a pack's durations are parsed once.
duration = functools.lru_cache(maxsize=1024)(parse_duration)


@functools.lru_cache(maxsize=65536)
def _deadline_memo(
    start: Moment,
    length: Duration,
    counting: Counting,
    anchor: Anchor,
    working: WorkingDayCalendar | None = None,
) -> Any:
    return compute_deadline(start, length, counting, anchor, working_days=working)


def deadline(
    start: Moment,
    length: Duration,
    counting: Counting,
    anchor: Anchor,
    working: WorkingDayCalendar | None = None,
) -> Any:
    """compute_deadline, memoised: a day-based deadline depends only on the Amsterdam day of
    its start, so events on the same day share one computation."""
    if counting is not Counting.ELAPSED_HOURS and isinstance(start, dt.datetime):
        start = start.astimezone(AMSTERDAM).date()
    elif counting is Counting.ELAPSED_HOURS and not isinstance(start, dt.datetime):
        # an hour deadline after an event known only by its date: count from the start of
        # that day (the earliest reading, so the deadline is never reported too late)
        start = dt.datetime.combine(start, dt.time.min, tzinfo=AMSTERDAM)
    if counting is not Counting.WORKING_DAYS:
        working = None  # v2: only "werkdagen" depend on the pack's holiday calendar
    return _deadline_memo(start, length, counting, anchor, working)


def instant(at: Moment, *, end_of_day: bool = False) -> dt.datetime:
    """A comparable aware moment; a plain date is the start (or end) of that Amsterdam day."""
    if isinstance(at, dt.datetime):
        return at.astimezone(AMSTERDAM)
    t = dt.time.max if end_of_day else dt.time.min
    return dt.datetime.combine(at, t, tzinfo=AMSTERDAM)


def day(at: Moment) -> dt.date:
    return at.astimezone(AMSTERDAM).date() if isinstance(at, dt.datetime) else at


def cutoff(as_of: Moment) -> dt.datetime:
    """``as_of`` as the last moment it covers (a date: the end of that day), checked."""
    if not isinstance(as_of, dt.date):
        raise EventError(
            [
                Problem(
                    f"as_of must be a date or a datetime with offset, found {as_of!r}",
                    code="MPH-A001",
                )
            ]
        )
    if isinstance(as_of, dt.datetime) and as_of.utcoffset() is None:
        raise EventError(
            [Problem("as_of needs a UTC offset, or give a plain date", code="MPH-A002")]
        )
    if not 2 <= as_of.year <= 9998:  # keep clear of datetime's limits when converting zones
        raise EventError(
            [Problem(f"as_of: expected a year from 2 to 9998, found {as_of}", code="MPH-A001")]
        )
    return instant(as_of, end_of_day=True)


def due(
    rule_deadline: Deadline | Unspecified, at: Moment, working: WorkingDayCalendar | None = None
) -> tuple[dt.date | None, dt.datetime | None, str | None]:
    """Due date, due moment and counting rule of a deadline started at ``at``."""
    if isinstance(rule_deadline, Unspecified) or rule_deadline.duration is None:
        # the member's value without the enum's descriptor (.value): this runs per event
        counting = rule_deadline.counting._value_ if isinstance(rule_deadline, Deadline) else None
        return None, None, counting
    key: tuple[int, dt.date, Any] | None = None
    if rule_deadline.counting is not Counting.ELAPSED_HOURS:
        # a day-based deadline depends only on the Amsterdam day it starts (see deadline())
        start = at.astimezone(AMSTERDAM).date() if isinstance(at, dt.datetime) else at
        calendar = working if rule_deadline.counting is Counting.WORKING_DAYS else None
        key = (id(rule_deadline), start, calendar)
        found = _DUE.get(key)
        if found is not None and found[0] is rule_deadline:
            return found[1]
    result = deadline(
        at, duration(rule_deadline.duration), rule_deadline.counting, rule_deadline.anchor, working
    )
    answer = result.due, result.due_at, rule_deadline.counting.value
    if key is not None:
        if len(_DUE) >= 4096:
            _DUE.clear()
        _DUE[key] = (rule_deadline, answer)  # the rule kept alive: its id is not reused
    return answer


# due(), memoised for day-based deadlines by (the deadline rule, start day, calendar): a pure
# function, so this table is invisible (keys hold the rule's identity, checked on a hit)
_DUE: dict[tuple[int, dt.date, Any], tuple[Any, tuple[Any, Any, str]]] = {}


@dataclass(slots=True)
class OpenItem:
    """A notification (or a subject request) being tracked while events are replayed
    (slots: several are built per case, and a slot is cheaper to set than a dict entry)."""

    id: str
    duty: str
    recipient: str
    informer: str
    about: str
    trigger: int
    due: dt.date | None
    due_at: dt.datetime | None
    asap: bool
    counting: str | None
    source: str
    origin: str
    note: str | None = None
    done: int | None = None
    late: bool = False
    ground: str | None = None
    reason: str | None = None
    outcome: str | None = None
    request_id: str | None = None
    right: Any = None
    trigger_at: Moment = dt.date.min
    extended: bool = False
    request: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None  # v2: the data subject of a per-subject duty
    missed_of: str | None = None  # v2 opened_by_missed: open once this deadline is missed
    addressee: str | None = None  # v2 representation: subject | legal_representative


@dataclass
class Clock:
    """A running retention clock of one scope."""

    rule: RetentionClock
    trigger: int
    anchor: dt.date | None
    date: dt.date | None
    steps: tuple[str, ...]
    cancelled_by: int | None = None
    subject: str | None = None  # v2: a per-subject clock
    started_at: Moment | None = None  # v2: for windows (`within`)


class Occurrence:
    """What a case keeps of an allowed event for later ``occurred`` conditions (the session
    memory part): when it happened (the list it is in says its type). Only for the event
    types some condition tests (``kept_fields``) does it keep more (``KeptOccurrence``), and
    then only the fields those conditions read, so a live session does not hold every event
    it was posted (issue 13: <= 20 KiB per session)."""

    __slots__ = ("at",)
    actor: Any = None
    subjects: tuple[str, ...] | None = None
    parsed: Any = None

    def __init__(self, event: Event) -> None:
        self.at = event.at

    @property
    def moment(self) -> dt.datetime:
        """As ``Event.moment``: an aware Europe/Amsterdam moment, a date its start of day."""
        at = self.at
        if isinstance(at, dt.datetime):
            return at.astimezone(AMSTERDAM)
        return dt.datetime.combine(at, dt.time.min, tzinfo=AMSTERDAM)


@dataclass(frozen=True, slots=True)
class Keep:
    """What the conditions testing one event type's earlier events read of them: these
    payload fields (None: the whole payload), these actor fields (None: the whole actor), and
    the event's subjects or not."""

    payload: tuple[str, ...] | None
    actor: tuple[str, ...] | None = ()
    subjects: bool = False


class KeptOccurrence(Occurrence):
    """An occurrence a condition is tested on: the fields of its payload and actor the pack's
    conditions read (as the condition would read them from the event: a missing field is
    ``MISSING``), its subjects if they are read. The values are the event's own; the field
    names are the type's ``Keep``, shared."""

    __slots__ = ("_actor", "_payload", "keep", "subjects")

    def __init__(self, event: Event, keep: Keep) -> None:
        self.at = event.at
        self.keep = keep
        parsed, actor = event.parsed, event.actor
        self._payload: Any = parsed if keep.payload is None else _values(parsed, keep.payload)
        self._actor: Any = (
            actor if keep.actor is None or actor is None else _values(actor, keep.actor)
        )
        self.subjects = event.subjects if keep.subjects else None

    @property
    def parsed(self) -> Any:
        names = self.keep.payload
        return self._payload if names is None else Fields(names, self._payload)

    @property
    def actor(self) -> Any:
        names, actor = self.keep.actor, self._actor
        return actor if names is None or actor is None else Fields(names, actor)


# an earlier event as the history holds it: an Occurrence (live sessions) or the Event itself
# (Engine.evaluate: the case holds its events anyway); both read alike for every condition
Past = Occurrence | Event


class Fields(Mapping[str, Any]):
    """The fields kept of an earlier event's payload or actor, read-only: the names (shared by
    every event of the type) and the event's own values, in a tuple."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: tuple[str, ...], values: tuple[Any, ...]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, name: str) -> Any:
        try:
            return self._values[self._names.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _values(value: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    """The first step of a field path into ``value``, as ``conditions.field_getter`` takes it,
    for each name: the same value, or ``MISSING`` where the condition would find none."""
    if type(value) is dict:
        return tuple(value.get(n, MISSING) for n in names)
    if isinstance(value, BaseModel):
        fields = value.__dict__
        return tuple(fields[n] if n in fields else getattr(value, n, MISSING) for n in names)
    if isinstance(value, Mapping):
        return tuple(value.get(n, MISSING) for n in names)
    return (MISSING,) * len(names)


def remember(state: CaseState, event: Event, keep: Keep | None) -> None:
    """Record an allowed event for ``occurred`` conditions: the latest of each type, and the
    whole history (what its conditions read of it) only of the types a condition tests (the
    others are only asked whether and when they last happened)."""
    if keep is not None:
        kept: Occurrence = KeptOccurrence(event, keep)
        state.occurred.setdefault(event.type, []).append(kept)
    else:
        kept = Occurrence(event)
    state.last[event.type] = kept


def tested_conditions(pack: Any) -> dict[str, list[Any]]:
    """Per event type, the conditions tested on its earlier events (an ``occurred ... where``,
    or an event reference with a ``when``: ``not_before``, ``duration_from``, ``cancelled_by``,
    ...), the types `latest_match` is asked about with a condition: found by visiting every
    field of the pack's models, so a condition in any section (present or future) is seen, not
    only those a list of sections names."""
    from mph_rules.conditions.model import Occurred
    from mph_rules.schema.common import EventRef

    found: dict[str, list[Any]] = {}
    stack: list[Any] = [pack]
    while stack:
        item = stack.pop()
        if isinstance(item, Occurred) and item.where is not None:
            found.setdefault(item.occurred, []).append(item.where)
        elif isinstance(item, EventRef) and item.when is not None:
            found.setdefault(item.event, []).append(item.when)
        if isinstance(item, BaseModel):
            stack.extend(item.__dict__.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def where_types(pack: Any) -> frozenset[str]:
    """The event types whose earlier events a condition tests (see ``tested_conditions``)."""
    return frozenset(tested_conditions(pack))


# the payload fields a context root other than ``payload`` reads (see Context.root)
_ROOT_FIELDS = {"subject": ("subject",), "request": ("request_id",)}
# what a consent test reads of the event (see Context.consent_missing)
_CONSENT_FIELDS = ("subjects", "categories", "to_role", "purpose")


def kept_fields(pack: Any, node: Any) -> dict[str, Keep]:
    """Per event type a condition tests, what of its events to keep: the union of the
    ``reads`` of the compiled conditions (``node``: condition -> Node) tested on it. A read
    this does not know (a whole payload, a new kind) keeps the whole payload and actor."""
    out: dict[str, Keep] = {}
    for event_type, conditions in tested_conditions(pack).items():
        payload: set[str] | None = set()
        actor: set[str] | None = set()
        subjects = False
        for kind, name in frozenset().union(*(node(c).reads for c in conditions)):
            head, _, rest = name.partition(".")
            first = rest.partition(".")[0]
            if kind in ("history", "earlier"):  # other events, or a nested condition's own
                continue
            if kind == "consent":
                subjects = True
                payload = None if payload is None else payload | set(_CONSENT_FIELDS)
            elif kind == "field" and head in ("facts", "settings"):
                continue
            elif kind == "field" and head == "payload" and first:
                payload = None if payload is None else payload | {first}
            elif kind == "field" and head == "actor" and first:
                actor = None if actor is None else actor | {first}
            elif kind == "field" and head in _ROOT_FIELDS:
                payload = None if payload is None else payload | set(_ROOT_FIELDS[head])
            else:
                payload = actor = None
        out[event_type] = Keep(
            None if payload is None else tuple(sorted(payload)),
            None if actor is None else tuple(sorted(actor)),
            subjects,
        )
    return out


@dataclass
class CaseState:
    """Everything the families know about one case; each family writes only its own part."""

    phase: str
    facts: dict[str, Any]
    subjects: dict[str, Any]
    settings: Mapping[str, Any] = field(default_factory=dict)
    # the latest allowed event of each type; every one only of the types a `where` tests
    last: dict[str, Past] = field(default_factory=dict)
    occurred: dict[str, list[Past]] = field(default_factory=dict)
    # per (event type, condition): how many earlier events were tested, and the latest that
    # matched (see latest_match); keeps `occurred ... where` linear in the case's length
    matched: dict[tuple[str, int], tuple[int, Past | None]] = field(default_factory=dict)
    consents: dict[str, bool] = field(default_factory=dict)
    notifications: list[OpenItem] = field(default_factory=list)
    open_duties: dict[str, list[OpenItem]] = field(default_factory=dict)
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    open_deadlines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    clocks: dict[str, Clock] = field(default_factory=dict)
    hold: tuple[int, str] | None = None
    holds_seen: list[tuple[int, int | None]] = field(default_factory=list)
    requests: dict[str, OpenItem] = field(default_factory=dict)
    request_rights: dict[str, Any] = field(default_factory=dict)
    trace: list[TraceEntry] = field(default_factory=list)
    counter: dict[str, int] = field(default_factory=dict)
    book: CaseBook | None = None  # v2: consent per subject, records, findings
    mandates: set[str] = field(default_factory=set)  # v2: roles given a mandate by an event
    # v2 waiver_before_open: per duty, waivers recorded before it opened (see Duties)
    prewaived: dict[str, list[Any]] = field(default_factory=dict)
    # Engine.evaluate: `last` and `occurred` hold the case's own Event objects (which read as
    # their occurrences would: see remember); a live session keeps occurrences instead
    whole_events: bool = False


class Context:
    """The condition context for one event (see conditions.ConditionContext)."""

    __slots__ = ("event", "payload", "state")

    def __init__(self, state: CaseState, event: Event | Occurrence | None, payload: Any) -> None:
        self.state = state
        self.event = event
        self.payload = payload

    def root(self, head: str) -> Any:
        if head == "payload":
            return self.payload
        if head == "facts":
            return self.state.facts
        if head == "settings":
            return self.state.settings
        if head == "actor":
            return self.event.actor if self.event is not None else None
        if head == "subject":
            return self._subject()
        if head == "request":
            request_id = field_of(self.payload, "request_id")
            req = self.state.requests.get(request_id) if request_id else None
            return req.request if req is not None else MISSING
        return MISSING

    def _subject(self) -> Any:
        """The event's subject (payload.subject) with its age on the event day."""
        subject_id = getattr(self.payload, "subject", None)
        if subject_id is None and isinstance(self.payload, Mapping):
            subject_id = self.payload.get("subject")
        subject = self.state.subjects.get(subject_id) if subject_id else None
        if subject is None or self.event is None:
            return MISSING
        info: dict[str, Any] = {"id": subject.id, "incompetent": subject.incompetent}
        if subject.birth_date is not None:
            info["age"] = relativedelta(day(self.event.at), subject.birth_date).years
        return info

    def occurred(self, event_type: str, where: Node | None, since: str | None = None) -> bool:
        latest = latest_match(self.state, event_type, where)
        if latest is None:
            return False
        if since is not None:
            # v2 `occurred ... since`: only a match not before the latest `since` event counts;
            # the latest match is enough to know (an earlier one cannot be later than it)
            mark = self.state.last.get(since)
            if mark is not None:
                return latest.moment >= mark.moment
        return True

    def has_consent(self, scope: str) -> bool:
        return self.consent_missing(scope) is None

    def consent_missing(self, scope: str) -> str | None:
        """None if consent for ``scope`` covers this event (v2: every subject it concerns,
        its categories, recipient and purpose), else why not."""
        book = self.state.book
        if book is None:
            return None if self.state.consents.get(scope, False) else f"no consent for {scope}"
        p = self.payload
        subjects = self.event.subjects if self.event is not None else field_of(p, "subjects")
        for category in field_of(p, "categories") or (None,):
            why = book.consent.missing(
                scope, subjects, category, field_of(p, "to_role"), field_of(p, "purpose")
            )
            if why is not None:
                return why
        return None


def latest_match(state: CaseState, event_type: str, where: Node | None) -> Past | None:
    """The latest earlier allowed event of this type that meets ``where``. Where ``where``
    reads only the earlier event itself (its payload and actor) and settings, whether an
    event meets it never changes, so each event is tested once per condition (the case's
    history only grows; ``matched`` remembers how far); otherwise (marked -1) every earlier
    event is tested afresh."""
    if where is None:
        return state.last.get(event_type)
    earlier = state.occurred.get(event_type, ())
    if not earlier:
        if event_type in state.last:  # its history was not kept: where_types missed a reader
            raise AssertionError(f"the history of {event_type!r} events is not kept")
        return None
    key = (event_type, id(where))
    test = where.holds
    tested, latest = state.matched.get(key) or (0 if reads_event_only(where) else -1, None)
    if tested < 0:
        state.matched[key] = (-1, None)
        for e in reversed(earlier):
            if test(Context(state, e, e.parsed)):
                return e
        return None
    for e in earlier[tested:]:
        if test(Context(state, e, e.parsed)):
            latest = e
    state.matched[key] = (len(earlier), latest)
    return latest


def reads_event_only(where: Node) -> bool:
    """Whether a compiled condition reads nothing but the event it is tested on and settings
    (no history, no consent, no facts, subject or request: those change as the case goes on)."""
    return all(
        kind == "field" and name.startswith(("payload.", "actor.", "settings."))
        for kind, name in where.reads
    )


def within(ref: Any, start: Moment | None, at: Moment) -> bool:
    """v2 windows: an event with `within` counts only that long after `start`."""
    if ref.within is None or start is None:
        return True
    end = day(start) + duration(ref.within).calendar_delta()
    return day(at) <= end


def field_of(payload: Any, name: str) -> Any:
    """A payload field or None (typed payload or mapping), without pydantic's slow miss path
    (and without an ABC ``isinstance`` per call: whether a type is a model is kept per type)."""
    kind = type(payload)
    if kind is dict:
        return payload.get(name)
    if kind in MODEL_TYPES or is_model(payload):
        return payload.__dict__.get(name)
    return payload.get(name) if isinstance(payload, Mapping) else None


_M = TypeVar("_M", bound=BaseModel)


def validated(model: type[_M], data: Any) -> _M:
    """``model.model_validate(data)``, its errors raised as an EventError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EventError(
            [
                Problem(
                    str(e["msg"]).removeprefix("Value error, "),
                    path=_loc(e["loc"]),
                    code=validation_code(e["type"]),
                )
                for e in exc.errors(include_url=False)
            ]
        ) from None


def _loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
