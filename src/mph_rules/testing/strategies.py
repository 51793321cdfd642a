"""Hypothesis strategies generated from a compiled pack, for compliance testers.

A tester proves properties of *their* pack without reading the engine: every strategy here
reads the pack (roles, categories, phases, the events each phase accepts, transitions and the
values their ``when`` conditions test) and produces plain data a case system would send::

    engine = Engine(load_pack("hilversum"))

    @given(strategies.cases(engine))
    def test_my_property(case): ...

Cases are plain dicts (ISO text for dates) so a failing example prints as readable, copyable
input. Sequences respect the lifecycle: each next event is one the case's current phase
accepts (by ``accepts``, ``always_accepted`` or a transition out of it), timestamps never go
backwards, and the gaps between them land on leap days, year ends, Dutch public holidays,
weekends and daylight-saving changes. The phase is tracked by posting each generated event to a
``CaseSession``, so conditions and preconditions are read the way the engine reads them.
Shrinking moves toward short cases, small gaps, the first transition of each phase (the
"happy path") and absent optional fields.

``flawed_cases`` produces deliberately broken input for negative tests: unknown roles,
categories and event types, out-of-order, impossible (2023-02-29) and timezone-naive
timestamps (all must raise ``EventError``), forbidden categories and events a phase does not
accept (must be denied).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any, Literal

from dateutil.relativedelta import relativedelta
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from mph_rules.calendar import AMSTERDAM, nl_public_holidays
from mph_rules.compile import CompiledPack
from mph_rules.conditions import AllOf, AnyOf, Condition, ConsentGiven, FieldTest, Occurred, walk
from mph_rules.engine import CaseSession, Engine
from mph_rules.events import CORE_EVENTS, Event, Payload, choices
from mph_rules.schema import Deadline, Pack, Unspecified

__all__ = [
    "FIRST_DAY",
    "FLAWS",
    "LAST_DAY",
    "Flawed",
    "Vocabulary",
    "access_queries",
    "as_of_dates",
    "cases",
    "days",
    "engines",
    "events",
    "facts",
    "flawed_cases",
    "instant",
    "moments",
    "next_events",
    "parse_moment",
    "payloads",
    "point_queries",
    "sharing_queries",
    "subjects",
    "vocabulary",
]

Moment = dt.date | dt.datetime
PackLike = Engine | CompiledPack

# Holiday data starts in 1966 (calendar._FIRST_YEAR); generated cases stay well inside it, and
# well before the year 9999 so that deadlines of decades still fit in a date.
FIRST_DAY = dt.date(1990, 1, 1)
LAST_DAY = dt.date(2090, 12, 31)

# Events whose payload refers to something earlier in the same case.
_FOLLOW_UPS = ("subject_request_extended", "subject_request_answered")


# --- what a pack lets a case say ---------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """Everything a generated case may name, read off one compiled pack."""

    compiled: CompiledPack
    pack_id: str
    roles: tuple[str, ...]
    role_parties: dict[str, tuple[str, ...]]
    parties: tuple[str, ...]
    categories: tuple[str, ...]
    forbidden: tuple[str, ...]
    phases: tuple[str, ...]
    initial: str
    moves: dict[str, tuple[tuple[str, tuple[str, ...] | None], ...]]
    leaves: dict[str, frozenset[str]]
    grounds: tuple[str, ...]
    duty_grounds: dict[str, tuple[str, ...]]
    duty_abouts: tuple[str, ...]
    waiver_fields: dict[str, tuple[str, ...]]
    rights: tuple[str, ...]
    refusal_grounds: dict[str, tuple[str, ...]]
    extendable: frozenset[str]
    scopes: tuple[str, ...]
    purposes: tuple[str, ...]
    access_roles: tuple[str, ...]
    access_categories: tuple[str, ...]
    sharing_from: tuple[str, ...]
    sharing_to: tuple[str, ...]
    sharing_categories: tuple[str, ...]
    custom_events: tuple[str, ...]
    payload_hints: dict[str, dict[str, tuple[Any, ...]]]
    fact_hints: dict[str, tuple[Any, ...]]
    actor_hints: dict[str, tuple[str, ...]]
    first_day: dt.date
    last_day: dt.date
    prerequisites: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = field(default_factory=dict)
    settings: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def accepted(self, phase: str) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
        """(event type, roles that may cause it or None) accepted in ``phase``, transitions
        first (in file order) so that shrinking follows the lifecycle's main path."""
        return self.moves.get(phase, ())


_VOCABULARIES: dict[int, tuple[CompiledPack, Vocabulary]] = {}


def vocabulary(pack: PackLike) -> Vocabulary:
    """The vocabulary of a pack (memoised per compiled pack)."""
    compiled = _compiled(pack)
    cached = _VOCABULARIES.get(id(compiled))
    if cached is not None and cached[0] is compiled:
        return cached[1]
    vocab = _build_vocabulary(compiled)
    if len(_VOCABULARIES) > 64:
        _VOCABULARIES.clear()
    _VOCABULARIES[id(compiled)] = (compiled, vocab)
    return vocab


def _compiled(pack: PackLike) -> CompiledPack:
    return pack.compiled if isinstance(pack, Engine) else pack


def _engine(pack: PackLike) -> Engine:
    return pack if isinstance(pack, Engine) else Engine(pack)


def _build_vocabulary(cp: CompiledPack) -> Vocabulary:
    pack = cp.pack
    party_types = {p.id: p.type.value for p in pack.parties}
    role_parties: dict[str, tuple[str, ...]] = {}
    for role in pack.roles:
        if role.party_types == "any":
            role_parties[role.id] = tuple(sorted(party_types))
        else:
            wanted = {t.value for t in role.party_types}
            role_parties[role.id] = tuple(sorted(p for p, t in party_types.items() if t in wanted))
    moves: dict[str, tuple[tuple[str, tuple[str, ...] | None], ...]] = {}
    lifecycle = pack.lifecycle
    for phase in cp.phases:
        out: list[tuple[str, tuple[str, ...] | None]] = []
        seen: set[str] = set()
        for tr in lifecycle.transitions if lifecycle else ():
            if phase in tr.from_ and (tr.on, tr.by) not in out:
                out.append((tr.on, tr.by))
                seen.add(tr.on)
        for ev in sorted(cp.accepts.get(phase, frozenset()) | cp.always):
            if ev not in seen:
                out.append((ev, None))
                seen.add(ev)
        moves[phase] = tuple(out)
    allowed_cats = tuple(c for c, cat in cp.categories.items() if not cat.forbidden)
    forbidden = tuple(c for c, cat in cp.categories.items() if cat.forbidden)
    hints = _Hints()
    _collect_hints(pack, hints)
    scopes = tuple(sorted(set(hints.consent_scopes) | {"general"}))
    purposes = tuple(
        sorted(
            {p for rule in pack.access for p in (rule.purposes or ())}
            | {p for rule in pack.sharing for p in (rule.purposes or ())}
        )
    )
    access_roles = tuple(sorted({r for rule in pack.access for r in rule.roles}))
    access_cats = tuple(
        sorted(
            {
                c
                for rule in pack.access
                for c in (allowed_cats if rule.categories == "*" else rule.categories)
                if c in allowed_cats
            }
        )
    )
    sharing_from = tuple(
        sorted({r for s in pack.sharing if s.from_roles != "*" for r in s.from_roles})
    )
    sharing_to = tuple(sorted({r for s in pack.sharing if s.to_roles != "*" for r in s.to_roles}))
    sharing_cats = tuple(
        sorted(
            {
                c
                for s in pack.sharing
                for c in (allowed_cats if s.categories == "*" else s.categories)
                if c in allowed_cats
            }
        )
    )
    eff = pack.pack.effective
    first = eff.valid_from if isinstance(eff.valid_from, dt.date) else dt.date(2016, 1, 1)
    last = eff.valid_until if isinstance(eff.valid_until, dt.date) else first.replace(year=2035)
    first = min(max(first, FIRST_DAY), LAST_DAY)
    last = min(max(last, first), LAST_DAY)
    settings: dict[str, tuple[Any, ...]] = {}
    for s in pack.settings:
        if s.type == "choice":
            settings[s.id] = tuple(s.choices)
        elif s.type == "bool":
            settings[s.id] = (False, True)
    return Vocabulary(
        compiled=cp,
        pack_id=pack.pack.id,
        roles=tuple(sorted(cp.roles)),
        role_parties=role_parties,
        parties=tuple(sorted(cp.parties)),
        categories=allowed_cats,
        forbidden=forbidden,
        phases=cp.phases,
        initial=cp.initial,
        moves=moves,
        leaves={
            phase: frozenset(ev for (src, ev) in cp.transitions if src == phase)
            for phase in cp.phases
        },
        grounds=tuple(sorted(cp.grounds)),
        duty_grounds={d.id: tuple(d.exception_grounds) for d in pack.information_duties},
        duty_abouts=tuple(sorted({d.about for d in pack.information_duties})),
        waiver_fields={d.id: tuple(d.waiver_requires) for d in pack.information_duties},
        rights=tuple(sorted(r.value for r in cp.rights)),
        refusal_grounds={k.value: tuple(r.refusal_grounds) for k, r in cp.rights.items()},
        extendable=frozenset(
            k.value for k, r in cp.rights.items() if isinstance(r.extension, Deadline)
        ),
        scopes=scopes,
        purposes=purposes,
        access_roles=access_roles,
        access_categories=access_cats,
        sharing_from=sharing_from,
        sharing_to=sharing_to,
        sharing_categories=sharing_cats,
        custom_events=tuple(sorted(e.type for e in pack.events)),
        payload_hints={k: {f: tuple(v) for f, v in d.items()} for k, d in hints.payload.items()},
        fact_hints={k: tuple(v) for k, v in hints.facts.items()},
        actor_hints={
            ev: tuple(r for r in roles if r in cp.roles) for ev, roles in hints.actor_roles.items()
        },
        first_day=first,
        last_day=last,
        prerequisites=_prerequisites(pack),
        settings=settings,
    )


def _prerequisites(pack: Pack) -> dict[str, tuple[tuple[str, dict[str, Any]], ...]]:
    """Earlier events a precondition requires (``occurred: X where ...``), with a payload
    meeting the ``where``: one way (the first branch of each ``any``) to satisfy it."""
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def needs(cond: Condition | None) -> list[tuple[str, dict[str, Any]]]:
        if isinstance(cond, AllOf):
            return [n for part in cond.all for n in needs(part)]
        if isinstance(cond, AnyOf):
            return needs(cond.any[0])
        if isinstance(cond, Occurred):
            payload: dict[str, Any] = {}
            tests = cond.where.all if isinstance(cond.where, AllOf) else (cond.where,)
            for test in tests:
                if isinstance(test, FieldTest) and test.field.count(".") == 1:
                    head, name = test.field.split(".")
                    values = _test_values(test)
                    if head == "payload" and values:
                        payload[name] = values[0]
            return [(cond.occurred, payload)]
        return []

    for pre in pack.preconditions:
        for item in needs(pre.require):
            if item not in out.setdefault(pre.event, []):
                out[pre.event].append(item)
    return {k: tuple(v) for k, v in out.items()}


# --- values the pack's conditions test ---------------------------------------------------


@dataclass
class _Hints:
    payload: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    facts: dict[str, list[Any]] = field(default_factory=dict)
    consent_scopes: list[str] = field(default_factory=list)
    actor_roles: dict[str, list[str]] = field(default_factory=dict)

    def add(self, table: dict[str, list[Any]], key: str, values: Iterable[Any]) -> None:
        bucket = table.setdefault(key, [])
        for v in values:
            if v not in bucket:
                bucket.append(v)


def _test_values(test: FieldTest) -> list[Any]:
    """Values that make ``test`` true, and one on each side of a threshold."""
    if test.equals is not None:
        return [test.equals]
    if test.in_ is not None:
        return list(test.in_)
    if test.at_least is not None:
        return [test.at_least, test.at_least + 1, test.at_least - 1]
    if test.at_most is not None:
        return [test.at_most, test.at_most - 1, test.at_most + 1]
    if test.count_at_least is not None:
        n = max(test.count_at_least, 0)
        return [[f"item_{i}" for i in range(k)] for k in (n, n + 1, max(n - 1, 0))]
    if test.contains is not None:
        return [[test.contains]]
    if test.contains_any is not None:
        return [[v] for v in test.contains_any]
    return []


def _walk(condition: Condition | None, event: str, hints: _Hints) -> None:
    """Collect the values a condition tests, per event it reads from (``conditions.walk``:
    the nodes of an ``occurred``'s ``where`` read the earlier event)."""
    for node, reads_from in walk(condition, event):
        if isinstance(node, FieldTest):
            _hint(node, reads_from or event, hints)
        elif isinstance(node, ConsentGiven):
            hints.consent_scopes.append(node.consent)


def _hint(condition: FieldTest, event: str, hints: _Hints) -> None:
    head, _, rest = condition.field.partition(".")
    values = _test_values(condition)
    if head == "payload" and rest:
        if rest.startswith("facts.") and rest.count(".") == 1:
            hints.add(hints.facts, rest.split(".")[1], values)
        table = hints.payload.setdefault(event, {})
        hints.add(table, rest, values)
        if rest == "scope":
            hints.consent_scopes += [v for v in values if isinstance(v, str)]
    elif head == "facts" and rest and "." not in rest:
        hints.add(hints.facts, rest, values)
    elif head == "actor" and rest == "role":
        hints.add(hints.actor_roles, event, [v for v in values if isinstance(v, str)])


def _collect_hints(pack: Pack, hints: _Hints) -> None:
    lifecycle = pack.lifecycle
    if lifecycle is not None:
        for tr in lifecycle.transitions:
            _walk(tr.when, tr.on, hints)
        for dl in lifecycle.deadlines:
            _walk(dl.start.when, dl.start.event, hints)
            _walk(dl.until.when, dl.until.event, hints)
    for pre in pack.preconditions:
        _walk(pre.when, pre.event, hints)
        _walk(pre.require, pre.event, hints)
    for duty in pack.information_duties:
        _walk(duty.trigger.when, duty.trigger.event, hints)
        for ref in duty.fulfilled_by:
            _walk(ref.when, ref.event, hints)
    for clock in pack.retention:
        _walk(clock.trigger.when, clock.trigger.event, hints)
        for ref in clock.cancelled_by:
            _walk(ref.when, ref.event, hints)
        if clock.counted_from is not None:
            _walk(clock.counted_from.when, clock.counted_from.event, hints)
    for rule in pack.access:
        _walk(rule.when, "file_accessed", hints)
        _walk(rule.when, "data_recorded", hints)
    for sharing in pack.sharing:
        _walk(sharing.when, "data_provided", hints)
    for right in pack.rights:
        _walk(right.requires, "subject_request_received", hints)
    if pack.intake is not None:
        for crit in pack.intake.criteria:
            if not isinstance(crit.condition, Unspecified):
                _walk(crit.condition, "*", hints)


# --- dates and moments --------------------------------------------------------------------

_GAPS = (
    "same_day",
    "next_day",
    "days",
    "year_end",
    "new_year",
    "leap_day",
    "holiday",
    "weekend",
    "dst_change",
    "months",
    "years",
)
_GAP_AMOUNTS = {"days": (2, 45), "months": (1, 18), "years": (1, 6)}


def instant(at: Moment, *, end_of_day: bool = False) -> dt.datetime:
    """The moment the engine orders events by: a plain date is the start of that day in
    Amsterdam (the end of it for an ``as_of``), a moment is converted to Amsterdam time."""
    if isinstance(at, dt.datetime):
        return at.astimezone(AMSTERDAM)
    return dt.datetime.combine(at, dt.time.max if end_of_day else dt.time.min, tzinfo=AMSTERDAM)


def parse_moment(text: str | Moment) -> Moment:
    """An event's ``at`` as the engine reads it (ISO date, or moment with an offset)."""
    if not isinstance(text, str):
        return text
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _next_leap_day(day: dt.date) -> dt.date:
    year = day.year if (day.month, day.day) <= (2, 29) else day.year + 1
    while not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        year += 1
    return dt.date(year, 2, 29)


def _next_holiday(day: dt.date) -> dt.date:
    for year in (day.year, day.year + 1):
        later = sorted(d for d in nl_public_holidays(year, statutory=True) if d > day)
        if later:
            return later[0]
    return day + dt.timedelta(days=1)  # pragma: no cover - every year has holidays


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def _next_dst_change(day: dt.date) -> dt.date:
    candidates = [_last_sunday(y, m) for y in (day.year, day.year + 1) for m in (3, 10)]
    return min(c for c in candidates if c > day)


def _gap_day(kind: str, day: dt.date, amount: int) -> dt.date:
    if kind == "same_day":
        return day
    if kind == "next_day":
        return day + dt.timedelta(days=1)
    if kind == "days":
        return day + dt.timedelta(days=amount)
    if kind == "year_end":
        end = dt.date(day.year, 12, 31)
        return end if end > day else dt.date(day.year + 1, 12, 31)
    if kind == "new_year":
        return dt.date(day.year + 1, 1, 1)
    if kind == "leap_day":
        return _next_leap_day(day)
    if kind == "holiday":
        return _next_holiday(day)
    if kind == "weekend":
        return day + dt.timedelta(days=(5 - day.weekday()) % 7 or 7)
    if kind == "dst_change":
        return _next_dst_change(day)
    if kind == "months":
        result: dt.date = day + relativedelta(months=amount)
        return result
    years: dt.date = day + relativedelta(years=amount)
    return years


@lru_cache(maxsize=64)
def _interesting_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Year ends, leap days and Dutch holidays within [first, last], for start dates."""
    out: list[dt.date] = []
    for year in range(first.year, min(last.year, first.year + 12) + 1):
        out += [dt.date(year, 1, 1), dt.date(year, 12, 31)]
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            out.append(dt.date(year, 2, 29))
        out += list(nl_public_holidays(year, statutory=True))
    return sorted(d for d in set(out) if first <= d <= last)


def days(first: dt.date = FIRST_DAY, last: dt.date = LAST_DAY) -> st.SearchStrategy[dt.date]:
    """Days in [first, last], often a year end, a leap day or a Dutch public holiday."""
    interesting = _interesting_days(first, last)
    plain = st.dates(min_value=first, max_value=last)
    return st.one_of(st.sampled_from(interesting), plain) if interesting else plain


_OFFSETS = (
    None,  # Europe/Amsterdam local time (+01:00 or +02:00)
    dt.timedelta(0),
    dt.timedelta(hours=-5),
    dt.timedelta(hours=5, minutes=30),
    dt.timedelta(hours=14),
)


def _render(at: Moment, utc_z: bool) -> str:
    text = at.isoformat()
    if utc_z and text.endswith("+00:00"):
        return text[:-6] + "Z"
    return text


@st.composite
def _moment_after(
    draw: st.DrawFn, last: dt.datetime | None, first: dt.date, end: dt.date
) -> tuple[str, dt.datetime]:
    """The next ``at`` (ISO text) at or after ``last``, and its instant."""
    if last is None:
        day = draw(days(first, end))
    else:
        kind = draw(st.sampled_from(_GAPS))
        low, high = _GAP_AMOUNTS.get(kind, (1, 1))
        amount = draw(st.integers(min_value=low, max_value=high))
        day = min(max(_gap_day(kind, last.date(), amount), last.date()), LAST_DAY)
    as_date = draw(st.booleans())
    at: Moment
    if as_date and (last is None or instant(day) >= last):
        at = day
        return day.isoformat(), instant(day)
    hour = draw(st.integers(min_value=0, max_value=23))
    minute = draw(st.sampled_from((0, 30, 59)))
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AMSTERDAM)
    local = local.astimezone(AMSTERDAM)  # normalise times inside a DST gap
    if last is not None and local < last:
        local = last
    offset = draw(st.sampled_from(_OFFSETS))
    at = local if offset is None else local.astimezone(dt.timezone(offset))
    return _render(at, offset == dt.timedelta(0) and draw(st.booleans())), local


def moments(first: dt.date = FIRST_DAY, last: dt.date = LAST_DAY) -> st.SearchStrategy[str]:
    """One ``at`` value: an ISO date or a moment with a UTC offset (never naive)."""
    return _moment_after(None, first, last).map(lambda pair: pair[0])


# --- facts, subjects, settings ------------------------------------------------------------


def facts(pack: PackLike) -> st.SearchStrategy[dict[str, Any]]:
    """Case facts using the names and thresholds the pack's conditions test: half of them
    pinned so every test holds (e.g. all intake criteria met), half drawn freely."""
    vocab = vocabulary(pack)
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, values in sorted(vocab.fact_hints.items()):
        optional[name] = _one_of_values(values, st.booleans())
    pinned = {name: values[0] for name, values in sorted(vocab.fact_hints.items()) if values}
    return st.one_of(st.fixed_dictionaries({}, optional=optional), st.just(pinned))


def subjects(max_size: int = 3) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Household members with birth dates (some born on 29 February), ids s1, s2, ..."""
    birth = st.one_of(
        st.sampled_from([dt.date(2008, 2, 29), dt.date(2012, 2, 29), dt.date(2016, 2, 29)]),
        st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2024, 12, 31)),
    )

    def build(items: list[tuple[dt.date | None, bool]]) -> list[dict[str, Any]]:
        out = []
        for i, (born, incompetent) in enumerate(items, start=1):
            person: dict[str, Any] = {"id": f"s{i}"}
            if born is not None:
                person["birth_date"] = born.isoformat()
            if incompetent:
                person["incompetent"] = True
            out.append(person)
        return out

    item = st.tuples(st.one_of(birth, st.none()), st.booleans())
    return st.lists(item, max_size=max_size).map(build)


def engines(pack: PackLike | Pack) -> st.SearchStrategy[Engine]:
    """Engines on one compiled pack with each choice/bool setting drawn from its values."""
    compiled = pack.compiled if isinstance(pack, Engine) else pack
    if isinstance(compiled, Pack):
        compiled = Engine(compiled).compiled
    vocab = vocabulary(compiled)
    if not vocab.settings:
        return st.just(pack if isinstance(pack, Engine) else Engine(compiled))
    fixed = {k: st.sampled_from(v) for k, v in sorted(vocab.settings.items())}
    return st.fixed_dictionaries(fixed).map(lambda s: Engine(compiled, settings=s))


# --- payloads -------------------------------------------------------------------------------

_TEXT = st.sampled_from(
    ("vastgelegd in het dossier", "veiligheid van het kind", "zie verslag", "x", "ä ø — ✓")
)


def _one_of_values(
    values: Sequence[Any], fallback: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(list(values)), fallback) if values else fallback


def _names(values: Sequence[str], *, min_size: int = 1) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(list(values)), min_size=min_size, max_size=3, unique=True)


@lru_cache(maxsize=256)
def _adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any] | None:
    info = model.model_fields.get(name)
    if info is None:
        return None
    form: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    return TypeAdapter(form)


def _valid_for(model: type[BaseModel], name: str, values: Iterable[Any]) -> list[Any]:
    adapter = _adapter(model, name)
    if adapter is None:
        return []
    out = []
    for value in values:
        try:
            adapter.validate_python(value)
        except ValidationError:
            continue
        out.append(value)
    return out


@dataclass
class _Tracker:
    """What the generated case has opened so far, so follow-ups name real things."""

    open_duties: dict[str, str] = field(default_factory=dict)  # notification id -> duty
    open_requests: dict[str, str] = field(default_factory=dict)  # request id -> right
    extended: set[str] = field(default_factory=set)
    requests: int = 0
    breaches: int = 0
    subject_ids: tuple[str, ...] = ()


def _hint_values(
    vocab: Vocabulary,
    event: str,
    model: type[BaseModel],
    name: str,
    known: Sequence[str] | None = None,
) -> list[Any]:
    """Values of payload field ``name`` the pack's conditions test, that the event accepts."""
    values = list(vocab.payload_hints.get(event, {}).get(name, ()))
    values += [v for v in vocab.payload_hints.get("*", {}).get(name, ()) if v not in values]
    values = _valid_for(model, name, values)
    if known is not None:
        values = [v for v in values if v in known]
    return values


@st.composite
def _payload(draw: st.DrawFn, vocab: Vocabulary, event: str, tracker: _Tracker) -> dict[str, Any]:
    """Payload of one event of type ``event``.

    Half the payloads are *pinned*: every field a condition of the pack tests takes the first
    value that makes that test true (so transitions and preconditions are met and cases move
    through the lifecycle); the others draw freely, optional fields often absent. Shrinking
    goes to pinned payloads.
    """
    pinned = draw(st.sampled_from((False, True)))
    model = CORE_EVENTS.get(event)
    if model is None:
        table = {k: v for k, v in vocab.payload_hints.get(event, {}).items() if "." not in k}
        if pinned:
            return {name: values[0] for name, values in sorted(table.items()) if values}
        optional = {name: st.sampled_from(v) for name, v in sorted(table.items()) if v}
        return draw(st.fixed_dictionaries({}, optional=optional))
    if event == "information_duty_waived":
        return _waiver(draw, vocab, tracker)
    if event == "subject_request_answered":
        return _answer(draw, vocab, tracker)
    required, optional, fixed = _core_fields(vocab, event, model, tracker, pinned)
    required |= {k: v for k, v in optional.items() if k in fixed}
    optional = {k: v for k, v in optional.items() if k not in fixed}
    return draw(st.fixed_dictionaries(required, optional=optional))


def _core_fields(
    vocab: Vocabulary, event: str, model: type[Payload], tr: _Tracker, pinned: bool = False
) -> tuple[dict[str, st.SearchStrategy[Any]], dict[str, st.SearchStrategy[Any]], set[str]]:
    """Required and optional field strategies, and the fields pinned to a hinted value."""
    fixed: set[str] = set()

    def h(
        name: str, fallback: st.SearchStrategy[Any], known: Sequence[str] | None = None
    ) -> st.SearchStrategy[Any]:
        values = _hint_values(vocab, event, model, name, known)
        if pinned and values:
            fixed.add(name)
            return st.just(values[0])
        return _one_of_values(values, fallback)

    def one_of(name: str) -> st.SearchStrategy[Any]:
        """Every value the payload model admits (declared once, in events.py)."""
        return st.sampled_from(choices(model, name) or ())

    roles, parties, cats = vocab.roles, vocab.parties, vocab.categories
    role = st.sampled_from(roles) if roles else st.just("unknown")
    party = st.sampled_from(parties) if parties else st.none()
    subject = st.sampled_from(tr.subject_ids) if tr.subject_ids else st.none()
    when = st.dates(min_value=vocab.first_day, max_value=LAST_DAY).map(dt.date.isoformat)
    req: dict[str, st.SearchStrategy[Any]] = {}
    opt: dict[str, st.SearchStrategy[Any]] = {}
    if event in ("case_registered", "case_reregistered"):
        opt["reporter_role"] = h("reporter_role", role, roles)
        if pinned and vocab.fact_hints:
            fixed.add("facts")
            opt["facts"] = st.just({k: v[0] for k, v in sorted(vocab.fact_hints.items()) if v})
        else:
            opt["facts"] = facts(vocab.compiled)
        if event == "case_registered":
            opt["reporter_party"] = h("reporter_party", party, parties)
            opt["discussed_with_household"] = h("discussed_with_household", st.booleans())
            opt["not_discussed_reason"] = h("not_discussed_reason", _TEXT)
    elif event == "triage_decided":
        req["outcome"] = h("outcome", one_of("outcome"))
        opt["route"] = h("route", _TEXT)
        opt["reason"] = _TEXT
    elif event == "household_informed":
        req["about"] = h("about", st.sampled_from([*vocab.duty_abouts, "registration"]))
        opt["how"] = one_of("how")
        if tr.subject_ids:
            opt["subjects"] = st.lists(st.sampled_from(tr.subject_ids), max_size=2, unique=True)
    elif event in ("household_heard",):
        opt["view_recorded"] = st.booleans()
        opt["note"] = _TEXT
    elif event == "hearing_waived":
        grounds = vocab.grounds or ("none",)
        req["ground"] = h("ground", st.sampled_from(grounds), vocab.grounds)
        req["reason"] = _TEXT
    elif event == "case_meeting_held":
        opt["participants"] = h("participants", _names(roles, min_size=0))
        opt["unanimous"] = st.booleans()
    elif event == "plan_established":
        opt["kind"] = h("kind", _TEXT)
    elif event == "escalated":
        req["to"] = h("to", _TEXT)
    elif event == "case_closed":
        opt["outcome"] = h("outcome", one_of("outcome"))
    elif event == "data_provided":
        from_roles = vocab.sharing_from or roles
        to_roles = vocab.sharing_to or roles
        req["from_role"] = h("from_role", _prefer(from_roles, roles), roles)
        req["to_role"] = h("to_role", _prefer(to_roles, roles), roles)
        req["categories"] = h("categories", _categories(vocab.sharing_categories, cats))
        for name in ("from_party", "to_party", "origin_party"):
            opt[name] = h(name, party, parties)
        opt["basis"] = h("basis", st.sampled_from(["consent", "legal_obligation", "public_task"]))
        for name in ("necessary", "unavoidable", "other_source_available", "origin_consent"):
            opt[name] = h(name, st.booleans())
        opt["purpose"] = h("purpose", st.sampled_from(vocab.purposes) if vocab.purposes else _TEXT)
    elif event in ("data_recorded", "file_accessed"):
        req["categories"] = h("categories", _categories(vocab.access_categories, cats))
        opt["purpose"] = h("purpose", st.sampled_from(vocab.purposes) if vocab.purposes else _TEXT)
    elif event in ("consent_given", "consent_refused", "consent_withdrawn"):
        req["scope"] = h("scope", st.sampled_from(vocab.scopes))
        opt["subject"] = subject
        opt["given_by"] = one_of("given_by")
        if event == "consent_given":
            # v2 scoped consent: only some recipients, purposes, categories
            opt["recipients"] = _names(vocab.sharing_to or roles)
            if vocab.purposes:
                opt["purposes"] = _names(vocab.purposes)
            opt["categories"] = _names(cats or ("unknown",))
    elif event in ("party_joined", "party_left"):
        req["party"] = h("party", party if parties else st.just("unknown"), parties)
        req["kind"] = h("kind", one_of("kind"))
        opt["effective"] = when
    elif event == "subject_request_received":
        req["request_id"] = st.just(f"r{tr.requests + 1}")
        req["right"] = h("right", st.sampled_from(vocab.rights), vocab.rights)
        opt["subject"] = subject
        opt["requester"] = h("requester", one_of("requester"))
        opt["form"] = one_of("form")
    elif event == "subject_request_extended":
        req["request_id"] = st.sampled_from(sorted(tr.open_requests))
        req["reason"] = _TEXT
    elif event == "breach_detected":
        req["breach_id"] = st.just(f"b{tr.breaches + 1}")
        opt["scope"] = _TEXT
    elif event in ("legal_hold_started", "legal_hold_ended"):
        req["reason"] = _TEXT
    elif event == "notification_sent":
        duties = sorted(set(tr.open_duties.values())) or sorted(vocab.duty_grounds)
        req["duty"] = st.sampled_from(duties)
        opt["to"] = role
    return req, opt, fixed


def _prefer(preferred: Sequence[str], everything: Sequence[str]) -> st.SearchStrategy[str]:
    if preferred and set(preferred) != set(everything):
        return st.one_of(st.sampled_from(list(preferred)), st.sampled_from(list(everything)))
    return st.sampled_from(list(everything) or ["unknown"])


def _categories(preferred: Sequence[str], everything: Sequence[str]) -> Any:
    if not everything:
        return st.just(["unknown"])
    if preferred and set(preferred) != set(everything):
        return st.one_of(_names(preferred), _names(everything))
    return _names(everything)


def _waiver(draw: st.DrawFn, vocab: Vocabulary, tr: _Tracker) -> dict[str, Any]:
    """A waiver of an open duty on one of its grounds, carrying the fields the duty demands."""
    duties = sorted(set(tr.open_duties.values())) or sorted(vocab.duty_grounds)
    duty = draw(st.sampled_from(duties))
    own = vocab.duty_grounds.get(duty, ())
    ground = draw(_prefer(own, vocab.grounds) if vocab.grounds else st.just("none"))
    payload: dict[str, Any] = {"duty": duty, "ground": ground, "reason": draw(_TEXT)}
    day = dt.date(2030, 1, 1).isoformat()
    for name in ("expected_until", "review_at", "conditions", "inform_how"):
        if name in vocab.waiver_fields.get(duty, ()) or draw(st.booleans()):
            payload[name] = day if name in ("expected_until", "review_at") else draw(_TEXT)
    # v2: the pack's own waiver fields (details.<name>) the duty names
    details = {
        name.split(".", 1)[1]: draw(_TEXT)
        for name in vocab.waiver_fields.get(duty, ())
        if name.startswith("details.")
    }
    if details:
        payload["details"] = details
    return payload


def _answer(draw: st.DrawFn, vocab: Vocabulary, tr: _Tracker) -> dict[str, Any]:
    """An answer to an open request; a refusal names grounds its right permits."""
    request = draw(st.sampled_from(sorted(tr.open_requests)))
    outcome = draw(st.sampled_from(["granted", "partially_granted", "refused"]))
    payload: dict[str, Any] = {"request_id": request, "outcome": outcome}
    own = vocab.refusal_grounds.get(tr.open_requests[request], ())
    if outcome != "granted" and (own or vocab.grounds):
        payload["grounds"] = draw(_names(own or vocab.grounds))
    return payload


# --- events and cases -----------------------------------------------------------------------


def _actor(
    vocab: Vocabulary, by: tuple[str, ...] | None, event: str
) -> st.SearchStrategy[dict[str, Any]]:
    roles = by if by else vocab.roles
    if not roles:
        return st.just({"role": "unknown"})
    hinted = [r for r in vocab.actor_hints.get(event, ()) if r in roles]
    return _actor_with_party(vocab, _prefer(hinted, roles))


@st.composite
def _actor_with_party(
    draw: st.DrawFn, vocab: Vocabulary, roles: st.SearchStrategy[str]
) -> dict[str, Any]:
    role = draw(roles)
    actor: dict[str, Any] = {"role": role}
    parties: tuple[str, ...] = vocab.role_parties.get(role, ())
    with_party: bool = bool(parties) and draw(st.booleans())
    if with_party:
        actor["party"] = draw(st.sampled_from(parties))
    return actor


def _access_actor(vocab: Vocabulary, event: str) -> st.SearchStrategy[dict[str, Any]]:
    if vocab.access_roles:
        return _prefer(vocab.access_roles, vocab.roles).map(lambda r: {"role": r})
    return _actor(vocab, None, event)


@st.composite
def _event(
    draw: st.DrawFn, vocab: Vocabulary, event: str, by: tuple[str, ...] | None, tr: _Tracker
) -> dict[str, Any]:
    payload = draw(_payload(vocab, event, tr))
    if event in ("file_accessed", "data_recorded") and by is None:
        actor = draw(_access_actor(vocab, event))
    else:
        actor = draw(_actor(vocab, by, event))
    out: dict[str, Any] = {"type": event, "at": "", "actor": actor}
    if payload:
        out["payload"] = payload
    concerns: bool = draw(st.booleans())
    if tr.subject_ids and concerns:
        # v2: the data subjects the event concerns (omitted: all of them)
        out["subjects"] = draw(st.lists(st.sampled_from(tr.subject_ids), min_size=1, unique=True))
    return out


def _usable(event: str, tr: _Tracker, vocab: Vocabulary) -> bool:
    if event in _FOLLOW_UPS:
        if event == "subject_request_extended":
            return any(
                right in vocab.extendable and rid not in tr.extended
                for rid, right in tr.open_requests.items()
            )
        return bool(tr.open_requests)
    if event == "subject_request_received":
        return bool(vocab.rights)
    if event in ("information_duty_waived", "notification_sent"):
        return bool(vocab.duty_grounds)
    if event == "party_joined" or event == "party_left":
        return bool(vocab.parties)
    return not (event == "hearing_waived" and not vocab.grounds)


@dataclass
class _Run:
    """A case being generated, with the session that tracks its phase."""

    engine: Engine
    case: dict[str, Any]
    session: CaseSession
    tracker: _Tracker
    last: dt.datetime | None = None


def _start(engine: Engine, case: Mapping[str, Any]) -> _Run:
    subject_list = list(case.get("subjects", ()))
    session = engine.session(
        str(case.get("id", "case-1")), facts=dict(case.get("facts", {})), subjects=subject_list
    )
    run = _Run(
        engine,
        {**case, "events": []},
        session,
        _Tracker(subject_ids=tuple(str(s["id"]) for s in subject_list)),
    )
    for ev in case.get("events", ()):
        _post(run, dict(ev))
    return run


def _post(run: _Run, event: dict[str, Any]) -> None:
    """Post ``event`` to the session and remember what it opened and settled."""
    consequences = run.session.post(event)
    tr = run.tracker
    payload = event.get("payload", {})
    allowed = consequences.verdict.allowed
    duties = run.engine.compiled.duties
    for n in consequences.opened:
        if n.duty in duties:
            tr.open_duties[n.id] = n.duty
    for settled in consequences.settled:
        tr.open_duties.pop(settled, None)
    kind = event["type"]
    if kind == "subject_request_received":
        tr.requests += 1
        if allowed:
            tr.open_requests[payload["request_id"]] = payload["right"]
    elif kind == "subject_request_answered" and allowed:
        tr.open_requests.pop(payload["request_id"], None)
    elif kind == "subject_request_extended" and allowed:
        tr.extended.add(payload["request_id"])
    elif kind == "breach_detected":
        tr.breaches += 1
    run.last = instant(parse_moment(event["at"]))
    run.case["events"].append(event)


def _happened(run: _Run, event: str, payload: Mapping[str, Any]) -> bool:
    return any(
        e["type"] == event and all(e.get("payload", {}).get(k) == v for k, v in payload.items())
        for e in run.case["events"]
    )


def _well_formed(body: Mapping[str, Any]) -> bool:
    try:
        Event.model_validate({**body, "at": "2024-01-01"})
    except ValidationError:
        return False
    return True


@st.composite
def _step(draw: st.DrawFn, run: _Run) -> bool:
    """Draw one more accepted event and post it; False when nothing can follow."""
    vocab = vocabulary(run.engine.compiled)
    phase = run.session.phase
    moves = [m for m in vocab.accepted(phase) if _usable(m[0], run.tracker, vocab)]
    if not moves:
        return False
    leaving = [m for m in moves if m[0] in vocab.leaves.get(phase, ())]
    leave = bool(leaving) and draw(st.sampled_from(("leave", "any"))) == "leave"
    if leave:
        moves = leaving  # half the steps try to move on: cases get through the lifecycle
    event, by = draw(st.sampled_from(moves))
    accepted = {m[0] for m in vocab.accepted(phase)}
    missing = [
        (ev, payload)
        for ev, payload in vocab.prerequisites.get(event, ())
        if ev in accepted and not _happened(run, ev, payload)
    ]
    prepared = None
    prepare: bool = leave and bool(missing) and draw(st.booleans())
    if prepare:
        # a precondition needs an earlier event (e.g. informed before registration): do it
        event, extra = draw(st.sampled_from(missing))
        prepared = draw(_event(vocab, event, None, run.tracker))
        prepared["payload"] = {**prepared.get("payload", {}), **extra}
        if not _well_formed(prepared):
            prepared = None
    body = prepared or draw(_event(vocab, event, by, run.tracker))
    at, _ = draw(_moment_after(run.last, vocab.first_day, vocab.last_day))
    body["at"] = at
    _post(run, body)
    return True


@st.composite
def _cases(draw: st.DrawFn, pack: PackLike, min_events: int, max_events: int) -> dict[str, Any]:
    engine = _engine(pack)
    case: dict[str, Any] = {"id": "case-1"}
    case_facts = draw(facts(engine.compiled))
    if case_facts:
        case["facts"] = case_facts
    people = draw(subjects())
    if people:
        case["subjects"] = people
    run = _start(engine, case)
    n = draw(st.integers(min_value=min_events, max_value=max_events))
    for _ in range(n):
        if not draw(_step(run)):
            break
    return run.case


def cases(
    pack: PackLike, *, min_events: int = 0, max_events: int = 12
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid cases (plain dicts) whose events respect the pack's lifecycle.

    Pass the Engine the test evaluates with (its settings steer conditions); a CompiledPack
    gets an Engine with default settings. Each event is one the current phase accepts, at or
    after the one before; the result never raises EventError. Events may still be denied
    (a default-deny sharing, an unmet precondition): that is the engine's answer to test.
    """
    return _cases(pack, min_events, max_events)


@st.composite
def _next(draw: st.DrawFn, pack: PackLike, case: Mapping[str, Any], n: int) -> list[dict[str, Any]]:
    run = _start(_engine(pack), case)
    before = len(run.case["events"])
    for _ in range(n):
        if not draw(_step(run)):
            break
    return list(run.case["events"][before:])


def next_events(
    pack: PackLike, case: Mapping[str, Any], *, max_events: int = 1
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Up to ``max_events`` valid events that may follow ``case`` (in its final phase, at or
    after its last event). Empty when nothing can follow."""
    return _next(pack, case, max_events)


@st.composite
def _single(draw: st.DrawFn, pack: PackLike, phase: str | None) -> dict[str, Any]:
    vocab = vocabulary(_compiled(pack))
    current = phase or vocab.initial
    tracker = _Tracker()
    moves = [m for m in vocab.accepted(current) if _usable(m[0], tracker, vocab)]
    if not moves:
        raise ValueError(f"phase {current!r} accepts no event that can be generated alone")
    event, by = draw(st.sampled_from(moves))
    body = draw(_event(vocab, event, by, tracker))
    body["at"] = draw(moments(vocab.first_day, vocab.last_day))
    return body


def payloads(pack: PackLike, event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    """A payload of ``event_type`` (any core event or one of the pack's own), as if the case
    had one subject, one open request and one open notification to refer to."""
    vocab = vocabulary(pack)
    right = vocab.rights[0] if vocab.rights else "access"
    duty = sorted(vocab.duty_grounds)[0] if vocab.duty_grounds else "none"
    tracker = _Tracker(
        open_duties={f"{duty}#1": duty},
        open_requests={"r1": right},
        requests=1,
        subject_ids=("s1",),
    )
    return _payload(vocab, event_type, tracker)


def events(pack: PackLike, *, phase: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """One valid event accepted in ``phase`` (default: the initial phase)."""
    return _single(pack, phase)


def as_of_dates(case: Mapping[str, Any]) -> st.SearchStrategy[dt.date]:
    """Evaluation dates around a case: before, between and after its events, often on the
    day of an event or on a year end."""
    evs = case.get("events", ())
    if not evs:
        return days(dt.date(2016, 1, 1), dt.date(2035, 12, 31))
    event_days = sorted({instant(parse_moment(e["at"])).date() for e in evs})
    first, last = event_days[0], event_days[-1]
    lo = max(first - dt.timedelta(days=30), FIRST_DAY)
    hi = min(last + dt.timedelta(days=3 * 366), LAST_DAY)
    return st.one_of(
        st.sampled_from(event_days),
        st.sampled_from([dt.date(y, 12, 31) for y in range(first.year, hi.year + 1)]),
        st.dates(min_value=lo, max_value=hi),
    )


def access_queries(pack: PackLike) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for ``Engine.check_access`` (role, category, phase, action,
    purpose), over every role, category (forbidden ones included) and phase."""
    vocab = vocabulary(pack)
    cats = (*vocab.categories, *vocab.forbidden)
    return st.fixed_dictionaries(
        {
            "role": _prefer(vocab.access_roles, vocab.roles),
            "category": _prefer(vocab.access_categories, cats),
            "phase": st.sampled_from(vocab.phases),
            "action": st.sampled_from(["read", "write"]),
        },
        optional={"purpose": st.sampled_from(vocab.purposes) if vocab.purposes else _TEXT},
    )


def sharing_queries(pack: PackLike) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for ``Engine.check_sharing`` (from_role, to_role, categories, phase)."""
    vocab = vocabulary(pack)
    cats = (*vocab.categories, *vocab.forbidden)
    return st.fixed_dictionaries(
        {
            "from_role": _prefer(vocab.sharing_from, vocab.roles),
            "to_role": _prefer(vocab.sharing_to, vocab.roles),
            "categories": _categories(vocab.sharing_categories, cats),
            "phase": st.sampled_from(vocab.phases),
        }
    )


# Values a careless or hostile caller sends where the pack expects a boolean or a name: other
# types that compare equal in Python (1, 1.0, True), text that looks like a sentinel, None.
HOSTILE_VALUES: tuple[Any, ...] = (
    None, True, False, 0, 1, 1.0, 0.0, -1, 2, 2.5,
    "<missing>", "MISSING", "None", "null", "True", "true", "1", "yes", "", " ",
    ["<missing>"], [], [True], [1],
)  # fmt: skip


def _mixed(hints: Sequence[Any]) -> st.SearchStrategy[Any]:
    hostile = st.sampled_from(HOSTILE_VALUES)
    return st.one_of(st.sampled_from(list(hints)), hostile) if hints else hostile


def _hostile_mapping(hints: Mapping[str, Sequence[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A mapping over the names the pack's conditions read: each absent, a value the pack
    tests for, or a hostile value (HOSTILE_VALUES)."""
    names = sorted(k for k in hints if "." not in k)
    return st.fixed_dictionaries({}, optional={n: _mixed(hints[n]) for n in names})


@st.composite
def _point_queries(draw: st.DrawFn, pack: PackLike, max_size: int) -> list[tuple[str, Any]]:
    vocab = vocabulary(pack)
    hints = vocab.payload_hints
    share_hints = {**hints.get("*", {}), **hints.get("data_provided", {})}
    share_hints = {k: share_hints.get(k, ()) for k in {*share_hints, "basis", "necessary"}}
    read_hints = {**hints.get("*", {}), **hints.get("file_accessed", {})}
    context = st.fixed_dictionaries(
        {},
        optional={
            "payload": _hostile_mapping(read_hints),
            "facts": _hostile_mapping(vocab.fact_hints),
            "consents": st.lists(st.sampled_from(vocab.scopes), max_size=2, unique=True),
        },
    )
    # few cells, many payloads: a used engine meets the same cell with different values
    cells = draw(
        st.lists(
            st.one_of(
                access_queries(pack).map(lambda q: ("access", q)),
                sharing_queries(pack).map(lambda q: ("sharing", q)),
            ),
            min_size=1,
            max_size=3,
        )
    )
    queries: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, max_size))):
        kind, query = draw(st.sampled_from(cells))
        if kind == "sharing":
            query = {**query, "payload": draw(_hostile_mapping(share_hints))}
        else:
            query = {**query, "context": draw(context)}
        queries.append((kind, query))
        # and its twins: the same query with one value absent, or replaced by one that
        # Python calls equal (1 for True) or that looks like a sentinel ("<missing>")
        for _ in range(draw(st.integers(0, 2))):
            queries.append((kind, draw(_twin(query))))
    return queries


_TWINS: dict[Any, tuple[Any, ...]] = {
    True: (1, 1.0, "True", "true", "yes"),
    False: (0, 0.0, "False", "", None),
}


@st.composite
def _twin(draw: st.DrawFn, query: dict[str, Any]) -> dict[str, Any]:
    where = "payload" if "payload" in query else "context"
    outer = dict(query[where] or {})
    inner_key = None if where == "payload" else draw(st.sampled_from(["payload", "facts"]))
    values = dict(outer if inner_key is None else outer.get(inner_key) or {})
    name = draw(st.sampled_from(sorted(values) or ["basis"]))
    if name in values and draw(st.booleans()):
        del values[name]
    else:
        current = values.get(name)
        twins = _TWINS.get(current, ()) if isinstance(current, bool) else ()
        values[name] = draw(st.sampled_from((*twins, "<missing>", None, "MISSING")))
    if inner_key is None:
        return {**query, where: values}
    return {**query, where: {**outer, inner_key: values}}


def point_queries(pack: PackLike, *, max_size: int = 8) -> st.SearchStrategy[list[tuple[str, Any]]]:
    """A sequence of ``("access", kwargs)`` / ``("sharing", kwargs)`` point queries on a few
    cells, with payloads, facts and consents whose values are absent, values the pack tests
    for, or values of another type that Python calls equal (1, 1.0, True) and sentinel-like
    text ("<missing>", "None"): the input of ``invariants.memo_transparent``."""
    return _point_queries(pack, max_size)


# --- deliberately broken input ------------------------------------------------------------

Expectation = Literal["event_error", "denied"]

FLAWS: dict[str, Expectation] = {
    "unknown_role": "event_error",
    "unknown_category": "event_error",
    "unknown_event_type": "event_error",
    "unknown_pack_event": "event_error",
    "out_of_order": "event_error",
    "impossible_date": "event_error",
    "naive_timestamp": "event_error",
    "forbidden_category": "denied",
    "not_accepted": "denied",
}


@dataclass(frozen=True)
class Flawed:
    """A case with one deliberate flaw at ``index``, and what the engine must do with it:
    raise EventError (``event_error``) or deny the event at ``index`` (``denied``)."""

    case: dict[str, Any]
    flaw: str
    index: int
    expect: Expectation


def _flaw_applies(flaw: str, vocab: Vocabulary, case: Mapping[str, Any], phase: str) -> bool:
    n = len(case.get("events", ()))
    if flaw == "out_of_order":
        return n >= 2
    if flaw == "forbidden_category":
        return bool(vocab.forbidden) and bool(vocab.roles)
    if flaw == "not_accepted":
        return bool(_refused_in(vocab, phase)) and bool(vocab.roles)
    if flaw == "unknown_role":
        return n >= 1
    return True


def _refused_in(vocab: Vocabulary, phase: str) -> list[str]:
    """Payload-free event types the phase neither accepts nor leaves by."""
    accepted = {ev for ev, _ in vocab.accepted(phase)}
    simple = ("case_closed", "monitoring_ended", "plan_established", "household_heard")
    return [ev for ev in simple if ev not in accepted]


def _appended(vocab: Vocabulary, evs: list[dict[str, Any]], body: dict[str, Any]) -> int:
    """Append ``body`` at the moment of the last event (an equal moment is in order)."""
    at = evs[-1]["at"] if evs else vocab.first_day.isoformat()
    evs.append({**body, "at": at})
    return len(evs) - 1


@st.composite
def _flawed(draw: st.DrawFn, pack: PackLike, flaws: Sequence[str]) -> Flawed:
    engine = _engine(pack)
    vocab = vocabulary(engine.compiled)
    case = draw(cases(engine, min_events=1, max_events=6))
    phase = _start(engine, case).session.phase
    usable = [f for f in flaws if _flaw_applies(f, vocab, case, phase)]
    if not usable:
        raise ValueError(f"none of the flaws {list(flaws)} applies to pack {vocab.pack_id}")
    flaw = draw(st.sampled_from(usable))
    evs = [dict(e) for e in case.get("events", ())]
    index = draw(st.integers(min_value=0, max_value=max(len(evs) - 1, 0)))
    role = draw(st.sampled_from(vocab.roles)) if vocab.roles else "unknown"
    if flaw == "unknown_role":
        evs[index] = {**evs[index], "actor": {"role": "no_such_role"}}
    elif flaw == "unknown_category":
        body = {
            "type": "file_accessed",
            "actor": {"role": role},
            "payload": {"categories": ["no_such_category"]},
        }
        index = _appended(vocab, evs, body)
    elif flaw in ("unknown_event_type", "unknown_pack_event"):
        name = "no_such_event" if flaw == "unknown_event_type" else f"{vocab.pack_id}.no_such"
        body = {"type": name, "actor": {"role": role}}
        if evs:
            evs[index] = {**body, "at": evs[index]["at"]}
        else:
            index = _appended(vocab, evs, body)
    elif flaw == "out_of_order":
        index = draw(st.integers(min_value=1, max_value=len(evs) - 1))
        earlier = instant(parse_moment(evs[index - 1]["at"])).date() - dt.timedelta(days=1)
        evs[index] = {**evs[index], "at": earlier.isoformat()}
    elif flaw in ("impossible_date", "naive_timestamp"):
        if not evs:
            index = _appended(vocab, evs, {"type": "case_registered", "actor": {"role": role}})
        if flaw == "impossible_date":
            bad = draw(st.sampled_from(["2023-02-29", "2024-02-30", "2024-13-01", "2024-04-31"]))
        else:
            day = instant(parse_moment(evs[index]["at"])).date()
            bad = f"{day.isoformat()}T10:00:00"
        evs[index] = {**evs[index], "at": bad}
    elif flaw == "forbidden_category":
        category = draw(st.sampled_from(vocab.forbidden))
        body = {
            "type": "data_recorded",
            "actor": {"role": role},
            "payload": {"categories": [category]},
        }
        index = _appended(vocab, evs, body)
    else:  # not_accepted
        body = {"type": draw(st.sampled_from(_refused_in(vocab, phase))), "actor": {"role": role}}
        index = _appended(vocab, evs, body)
    return Flawed({**case, "events": evs}, flaw, index, FLAWS[flaw])


def flawed_cases(
    pack: PackLike, *, flaws: Sequence[str] | None = None
) -> st.SearchStrategy[Flawed]:
    """Cases with one deliberate flaw (see ``FLAWS``), for negative tests."""
    chosen = list(flaws) if flaws is not None else list(FLAWS)
    unknown = [f for f in chosen if f not in FLAWS]
    if unknown:
        raise ValueError(f"unknown flaws {unknown}; known: {sorted(FLAWS)}")
    return _flawed(pack, chosen)
