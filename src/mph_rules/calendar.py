"""Durations, anchors, Dutch holidays and deadlines, counted the way their source requires.

A deadline is counted differently depending on where it comes from (design.md, "How a deadline
is counted depends on where it comes from"): covenant deadlines are contractual calendar or
working-day arithmetic, Dutch statutory deadlines follow the Algemene termijnenwet (Atw), EU-law
deadlines (the AVG's included) follow Regulation (EEC, Euratom) No 1182/71, and hour deadlines
are elapsed hours. Every function here is pure: no I/O, no wall clock, no mutable module state
(the holiday tables are memoised per year and handed out as copies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType
from typing import Final, Literal
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter
from dateutil.relativedelta import relativedelta

__all__ = [
    "AMSTERDAM",
    "ATW_EQUATED_DAYS",
    "ATW_HOLIDAY_CORRECTIONS",
    "WORKING_DAYS_CALENDAR_SETTING",
    "Anchor",
    "Counting",
    "Deadline",
    "Duration",
    "DurationError",
    "HolidayCorrection",
    "WorkingDayCalendar",
    "add_working_days",
    "anchor_date",
    "atw_exclusion",
    "check_duration_counting",
    "compute_deadline",
    "is_nl_public_holiday",
    "is_working_day",
    "nl_public_holidays",
    "parse_duration",
]

AMSTERDAM: Final[ZoneInfo] = ZoneInfo("Europe/Amsterdam")

_ONE_DAY: Final = timedelta(days=1)
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Counting(StrEnum):
    """How a deadline is counted; each pack deadline names one, and the trace shows it."""

    CALENDAR = "calendar"
    """Covenant, contractual: calendar arithmetic, months clamped to the month end, no shifting."""
    WORKING_DAYS = "working_days"
    """Covenant "werkdagen": Monday to Friday less the Dutch public holidays (package list)."""
    WORKING_DAYS_STATUTORY = "working_days_statutory"
    """Covenant "werkdagen" read with the Atw art. 3 holiday list (5 May every year, Good
    Friday, days equated by royal decree): for packs whose reading of "werkdagen" is that."""
    ATW = "atw"
    """Dutch statute: Algemene termijnenwet art. 1-3."""
    EU_1182_71 = "eu_1182_71"
    """EU law, the AVG included: Regulation (EEC, Euratom) No 1182/71 art. 3."""
    ELAPSED_HOURS = "elapsed_hours"
    """Hour deadlines: elapsed hours, across daylight-saving changes in Europe/Amsterdam."""


class WorkingDayCalendar(StrEnum):
    """Which holiday list a covenant's "werkdagen" skips, where the covenant does not say.

    A pack chooses it with the setting ``working_days_calendar`` (design.md v2); without that
    setting the engine uses ATW, the statutory list (5 May every year, Good Friday, equated
    days), because it is the only list Dutch law itself defines.
    """

    ATW = "atw"
    """Algemene termijnenwet art. 3: 5 May every year, Good Friday, days equated by decree."""
    HOLIDAYS_PACKAGE = "holidays_package"
    """The `holidays` package's NL public list: 5 May only in lustrum years, as many CAOs."""


WORKING_DAYS_CALENDAR_SETTING: Final = "working_days_calendar"
"""The id of the pack setting that chooses the calendar of ``counting: working_days``."""


class Anchor(StrEnum):
    """The day a period runs from, derived from the (Amsterdam-local) day of the event."""

    EVENT_DATE = "event_date"
    START_OF_NEXT_YEAR = "start_of_next_year"
    START_OF_NEXT_MONTH = "start_of_next_month"
    NEXT_DAY = "next_day"


class DurationError(ValueError):
    """A duration text is malformed, or does not fit the counting rule it is used with."""


# ---------------------------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------------------------

# ASCII digits only: `\d` would also accept other scripts' digits.
_DURATION_RE: Final = re.compile(
    r"P(?:(?P<years>[0-9]+)Y)?(?:(?P<months>[0-9]+)M)?(?:(?P<weeks>[0-9]+)W)?(?:(?P<days>[0-9]+)D)?"
    r"(?:(?P<time>T)(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?)?"
)
_MAX_TEXT_LENGTH: Final = 64
_MAX_YEARS: Final = 1000
_DAYS_PER_YEAR: Final = Fraction(1461, 4)

_Parts = tuple[int, int, int, int, int, int]


def _total_years(parts: _Parts) -> Fraction:
    years, months, weeks, days, hours, minutes = parts
    day_total = weeks * 7 + days + Fraction(hours, 24) + Fraction(minutes, 24 * 60)
    return years + Fraction(months, 12) + day_total / _DAYS_PER_YEAR


def _parse_parts(text: str) -> _Parts:
    """Parse the ISO 8601 subset packs use; every refusal says what was expected and found."""
    expected = "an ISO 8601 duration such as P1Y, P2M, P4W, P28D, P1Y6M, PT72H or P1DT12H"
    if not isinstance(text, str):
        raise DurationError(f"expected {expected}, found {type(text).__name__} {text!r}")
    if not text:
        raise DurationError(f"expected {expected}, found an empty string")
    if len(text) > _MAX_TEXT_LENGTH:
        raise DurationError(
            f"expected {expected} of at most {_MAX_TEXT_LENGTH} characters, found {len(text)}"
        )
    if text[0] != "P":
        if text[0] == "p" or any(c.islower() for c in text):
            raise DurationError(f"expected {expected} in upper case, found {text!r}")
        if text[0] == "-":
            raise DurationError(f"expected a non-negative duration, found {text!r}")
        raise DurationError(f"expected {expected} starting with 'P', found {text!r}")
    match = _DURATION_RE.match(text)
    assert match is not None  # every text starting with "P" matches the all-optional pattern
    if match.end() != len(text):
        rest = text[match.end() :]
        if any(c in ".," for c in rest):
            what = "a fraction"
        elif "S" in rest:
            what = "seconds, which no deadline uses"
        elif "-" in rest:
            what = "a negative value"
        elif any(c.islower() for c in rest):
            what = "lower case"
        else:
            what = "units out of order or repeated, or trailing text"
        raise DurationError(
            f"expected {expected} (whole numbers, units in the order Y M W D T H M), "
            f"found {what} at {rest!r} in {text!r}"
        )
    groups = match.groupdict()
    if match.group("time") and groups["hours"] is None and groups["minutes"] is None:
        raise DurationError(f"expected hours or minutes after 'T', found nothing in {text!r}")
    names = ("years", "months", "weeks", "days", "hours", "minutes")
    if all(groups[name] is None for name in names):
        raise DurationError(f"expected at least one number and unit after 'P', found {text!r}")
    parts: _Parts = (
        int(groups["years"] or 0),
        int(groups["months"] or 0),
        int(groups["weeks"] or 0),
        int(groups["days"] or 0),
        int(groups["hours"] or 0),
        int(groups["minutes"] or 0),
    )
    if _total_years(parts) > _MAX_YEARS:
        raise DurationError(
            f"expected a duration of at most {_MAX_YEARS} years in total, found {text!r}"
        )
    return parts


def _canonical_text(parts: _Parts) -> str:
    years, months, weeks, days, hours, minutes = parts
    date_part = "".join(
        f"{value}{unit}"
        for value, unit in ((years, "Y"), (months, "M"), (weeks, "W"), (days, "D"))
        if value
    )
    time_part = "".join(f"{value}{unit}" for value, unit in ((hours, "H"), (minutes, "M")) if value)
    if not date_part and not time_part:
        return "P0D"
    return "P" + date_part + ("T" + time_part if time_part else "")


@dataclass(frozen=True)
class Duration:
    """A non-negative ISO 8601 duration in whole units, keeping the text it was written as.

    Durations are compared by their units, not their text ("P05D" equals "P5D"; "P1W" is not
    "P7D", because WORKING_DAYS accepts only days). `text` defaults to the canonical spelling.
    """

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        parts = self._parts()
        for name, value in zip(
            ("years", "months", "weeks", "days", "hours", "minutes"), parts, strict=True
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DurationError(f"expected {name} as a whole number >= 0, found {value!r}")
        if _total_years(parts) > _MAX_YEARS:
            raise DurationError(
                f"expected a duration of at most {_MAX_YEARS} years in total, found {parts}"
            )
        if not self.text:
            object.__setattr__(self, "text", _canonical_text(parts))
        elif _parse_parts(self.text) != parts:
            raise DurationError(
                f"expected text matching the units {_canonical_text(parts)}, found {self.text!r}"
            )

    def _parts(self) -> _Parts:
        return (self.years, self.months, self.weeks, self.days, self.hours, self.minutes)

    def is_zero(self) -> bool:
        """True for P0D and the like: the deadline is the base day (or the start moment)."""
        return not any(self._parts())

    def has_time(self) -> bool:
        """True when hours or minutes are non-zero: only ELAPSED_HOURS can count those."""
        return bool(self.hours or self.minutes)

    def has_date(self) -> bool:
        """True when years, months, weeks or days are non-zero: day-based counting needed."""
        return bool(self.years or self.months or self.weeks or self.days)

    def calendar_delta(self) -> relativedelta:
        """The date part as a relativedelta (years and months first, clamped, then days)."""
        return relativedelta(years=self.years, months=self.months, weeks=self.weeks, days=self.days)


def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration such as P1Y, P28D, P1Y6M, PT72H or P1DT12H.

    Refused, with a DurationError that says what was expected and found: empty text, a missing
    or lower-case 'P', negative or fractional values, seconds, 'P' or 'PT' alone, trailing text
    and durations over 1000 years. Weeks may be combined with other units (ISO 8601-2).
    """
    years, months, weeks, days, hours, minutes = _parse_parts(text)
    return Duration(years, months, weeks, days, hours, minutes, text=text)


_DAY_BASED: Final = frozenset(
    {
        Counting.CALENDAR,
        Counting.WORKING_DAYS,
        Counting.WORKING_DAYS_STATUTORY,
        Counting.ATW,
        Counting.EU_1182_71,
    }
)


def check_duration_counting(
    duration: Duration, counting: Counting, anchor: Anchor = Anchor.EVENT_DATE
) -> None:
    """Refuse a duration the counting rule cannot count, before any event arrives.

    Lets a pack be rejected at load time rather than when a deadline is first computed.
    """
    counting = Counting(counting)
    if counting is Counting.ELAPSED_HOURS:
        if duration.has_date():
            raise DurationError(
                f"counting {counting.value!r} counts elapsed hours: expected hours and minutes "
                f"only (e.g. PT72H, PT36H), found {duration.text!r}"
            )
        if Anchor(anchor) is not Anchor.EVENT_DATE:
            raise DurationError(
                f"counting {counting.value!r} runs from the moment of the event: expected anchor "
                f"{Anchor.EVENT_DATE.value!r}, found {Anchor(anchor).value!r}"
            )
        return
    if duration.has_time():
        why = (
            "; Atw art. 4(1)(a): the Atw does not apply to terms in hours"
            if (counting is Counting.ATW)
            else ""
        )
        raise DurationError(
            f"counting {counting.value!r} counts whole days: expected years, months, weeks or "
            f"days (e.g. P1M, P28D), found hours or minutes in {duration.text!r}; "
            f"use counting {Counting.ELAPSED_HOURS.value!r} for hour deadlines{why}"
        )
    working = (Counting.WORKING_DAYS, Counting.WORKING_DAYS_STATUTORY)
    if counting in working and (duration.years or duration.months or duration.weeks):
        raise DurationError(
            f"counting {counting.value!r} counts whole working days: expected days only "
            f"(e.g. P5D), found {duration.text!r}"
        )


# ---------------------------------------------------------------------------------------------
# Anchors
# ---------------------------------------------------------------------------------------------


def _require_date(day: date, what: str) -> date:
    # A datetime is a date subclass; its .date() may be the UTC day, not the Amsterdam one.
    if isinstance(day, datetime):
        raise TypeError(
            f"{what}: expected a date, found a datetime {day.isoformat()}; convert it to "
            f"Europe/Amsterdam and take its date"
        )
    return day


def anchor_date(event_day: date, anchor: Anchor) -> date:
    """The day a period runs from: the event day, or the day after, or the next month or year.

    Retention clauses such as "een jaar na het einde van het kalenderjaar" run from 1 January.
    """
    event_day = _require_date(event_day, "anchor_date")
    match Anchor(anchor):
        case Anchor.EVENT_DATE:
            return event_day
        case Anchor.START_OF_NEXT_YEAR:
            return date(event_day.year + 1, 1, 1)
        case Anchor.START_OF_NEXT_MONTH:
            return event_day + relativedelta(months=1, day=1)
        case Anchor.NEXT_DAY:
            return event_day + relativedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Holidays
# ---------------------------------------------------------------------------------------------

# Algemene termijnenwet art. 3(3): days equated by royal decree with the holidays of art. 3(1),
# for the application of the Atw. Kept as data, one entry per day with its decree; extend it when
# a new decree appears in the Staatscourant (one is issued for about three years at a time).
# KNOWN GAP: the decree for 2020-2022 is not in this table (its text could not be verified).
_DECREE_2017_2019 = (
    "Besluit van 24 oktober 2016, nr. 2016001827, houdende gelijkstelling van 28 april en 26 mei "
    "2017, 11 mei en 24 en 31 december 2018 en 31 mei en 27 december 2019 met een algemeen erkende "
    "feestdag (BWBR0038666), on Atw art. 3(3)"
)
_DECREE_2023_2025 = (
    "Besluit gelijkstelling van 28 april 2023, 19 mei 2023, 10 mei 2024, 27 december 2024 en "
    "30 mei 2025 met een algemeen erkende feestdag, on Atw art. 3(3)"
)
_DECREE_2026_2028 = (
    "Besluit gelijkstelling van 2 januari 2026, 15 mei 2026, 7 mei 2027, 28 april 2028 en "
    "26 mei 2028 met een algemeen erkende feestdag, on Atw art. 3(3)"
)
ATW_EQUATED_DAYS: Final[tuple[tuple[date, str], ...]] = (
    (date(2017, 4, 28), _DECREE_2017_2019),
    (date(2017, 5, 26), _DECREE_2017_2019),
    (date(2018, 5, 11), _DECREE_2017_2019),
    (date(2018, 12, 24), _DECREE_2017_2019),
    (date(2018, 12, 31), _DECREE_2017_2019),
    (date(2019, 5, 31), _DECREE_2017_2019),
    (date(2019, 12, 27), _DECREE_2017_2019),
    (date(2023, 4, 28), _DECREE_2023_2025),
    (date(2023, 5, 19), _DECREE_2023_2025),
    (date(2024, 5, 10), _DECREE_2023_2025),
    (date(2024, 12, 27), _DECREE_2023_2025),
    (date(2025, 5, 30), _DECREE_2023_2025),
    (date(2026, 1, 2), _DECREE_2026_2028),
    (date(2026, 5, 15), _DECREE_2026_2028),
    (date(2027, 5, 7), _DECREE_2026_2028),
    (date(2028, 4, 28), _DECREE_2026_2028),
    (date(2028, 5, 26), _DECREE_2026_2028),
)
_DECREE_YEARS: Final = frozenset(day.year for day, _ in ATW_EQUATED_DAYS)

_Rule = Literal["good_friday", "easter_sunday", "pentecost_sunday", "may_5"]


@dataclass(frozen=True)
class HolidayCorrection:
    """One difference between the `holidays` package's NL public list and Atw art. 3."""

    action: Literal["add", "remove"]
    rule: _Rule
    name: str
    reason: str
    from_year: int = 1966
    to_year: int = 9999


def _rule_day(rule: _Rule, year: int) -> date:
    match rule:
        case "good_friday":
            return easter(year) - relativedelta(days=2)
        case "easter_sunday":
            return easter(year)
        case "pentecost_sunday":
            return easter(year) + relativedelta(days=49)
        case "may_5":
            return date(year, 5, 5)


# The corrections that turn the package's NL public list (holidays 0.109: Nieuwjaarsdag, Goede
# vrijdag, Eerste en Tweede paasdag, Koningsdag, Bevrijdingsdag only in lustrum years,
# Hemelvaartsdag, Eerste en Tweede pinksterdag, Eerste en Tweede kerstdag) into the Atw list.
# Each is idempotent ("add if missing", "remove if present"), so a package release that changes
# its list (vacanza/holidays#1653 debated moving Good Friday and 5 May) cannot change ours.
# A removal drops the whole date; no other holiday can share these dates (Easter Sunday falls
# 22 March-25 April, Pentecost Sunday 10 May-13 June, Ascension never on 5 May in 1966-1981).
ATW_HOLIDAY_CORRECTIONS: Final[tuple[HolidayCorrection, ...]] = (
    HolidayCorrection(
        "add",
        "may_5",
        "Bevrijdingsdag",
        "Atw art. 3(1) lists 'de vijfde mei' every year (added by an amendment proposed on "
        "18 June 1981, adopted January 1982); the package lists it only in lustrum years, as "
        "many CAOs give it off",
        from_year=1982,
    ),
    HolidayCorrection(
        "remove",
        "may_5",
        "Bevrijdingsdag",
        "Atw art. 3(1) did not list 5 May before the amendment adopted in January 1982; the "
        "package lists it in every lustrum year, 1970-1980 included",
        to_year=1981,
    ),
    HolidayCorrection(
        "add",
        "good_friday",
        "Goede Vrijdag",
        "Atw art. 3(2) equates Goede Vrijdag with the holidays of art. 3(1); kept even if the "
        "package moves it out of its public list",
    ),
    HolidayCorrection(
        "remove",
        "easter_sunday",
        "Eerste paasdag",
        "Atw art. 3(1) names only the 'tweede' Paasdag; Easter Sunday is a Sunday anyway",
    ),
    HolidayCorrection(
        "remove",
        "pentecost_sunday",
        "Eerste pinksterdag",
        "Atw art. 3(1) names only the 'tweede' Pinksterdag; Pentecost Sunday is a Sunday anyway",
    ),
)

# The package has no NL data before 1966; the Atw itself entered into force on 1 April 1965.
_FIRST_YEAR: Final = 1966


def _check_year(year: int) -> None:
    if year < _FIRST_YEAR:
        raise ValueError(
            f"expected a year from {_FIRST_YEAR} (Dutch holiday data starts there), found {year}"
        )


def _add(table: dict[date, str], day: date, name: str) -> None:
    existing = table.get(day)
    if existing is None:
        table[day] = name
    elif name.casefold() not in existing.casefold():
        table[day] = f"{existing}; {name}"


@lru_cache(maxsize=512)
def _holiday_table(year: int, statutory: bool) -> MappingProxyType[date, str]:
    """Memoised, read-only holiday table for one year; callers get copies, never this."""
    package = holidays.country_holidays(
        "NL", years=year, language="nl", categories=(holidays.PUBLIC,)
    )
    table: dict[date, str] = {day: str(name) for day, name in package.items()}
    if statutory:
        for correction in ATW_HOLIDAY_CORRECTIONS:
            if not correction.from_year <= year <= correction.to_year:
                continue
            day = _rule_day(correction.rule, year)
            if correction.action == "remove":
                table.pop(day, None)
            else:
                _add(table, day, correction.name)
        for day, _source in ATW_EQUATED_DAYS:
            if day.year == year:
                _add(table, day, "gelijkgestelde dag (Atw art. 3(3))")
    return MappingProxyType(dict(sorted(table.items())))


def nl_public_holidays(year: int, *, statutory: bool = False) -> dict[date, str]:
    """Dutch holidays of one year, by date, with their Dutch names.

    statutory=False: the `holidays` package's NL public list as it is, used for covenant
    "werkdagen". Covenants do not define the term; this list has Good Friday and 5 May only in
    lustrum years (as most CAOs do). A pack that means another calendar must say so.
    statutory=True: Algemene termijnenwet art. 3: the days of art. 3(1) (5 May every year),
    Goede Vrijdag (art. 3(2)) and the days equated by royal decree (art. 3(3),
    ATW_EQUATED_DAYS). Also used as the Dutch "public holidays" of EU Regulation 1182/71.
    """
    _check_year(year)
    return dict(_holiday_table(year, statutory))


def is_nl_public_holiday(day: date, *, statutory: bool = False) -> bool:
    """Whether `day` is on the chosen Dutch holiday list (see nl_public_holidays)."""
    day = _require_date(day, "is_nl_public_holiday")
    _check_year(day.year)
    return day in _holiday_table(day.year, statutory)


def is_working_day(day: date, *, statutory: bool = False) -> bool:
    """Monday to Friday and not a holiday of the chosen list."""
    day = _require_date(day, "is_working_day")
    return day.weekday() < 5 and not is_nl_public_holiday(day, statutory=statutory)


def _working_day_after(day: date, n: int, *, statutory: bool) -> date:
    """The n-th working day after `day`, not counting `day` itself."""
    remaining = n
    while remaining > 0:
        day += _ONE_DAY
        if is_working_day(day, statutory=statutory):
            remaining -= 1
    return day


def _first_working_day_from(day: date, *, statutory: bool) -> date:
    while not is_working_day(day, statutory=statutory):
        day += _ONE_DAY
    return day


def _count_working_days(after: date, through: date, *, statutory: bool) -> int:
    count = 0
    day = after + _ONE_DAY
    while day <= through:
        if is_working_day(day, statutory=statutory):
            count += 1
        day += _ONE_DAY
    return count


def add_working_days(start: date, n: int) -> date:
    """The n-th covenant working day after `start` (start itself not counted).

    "Binnen 5 werkdagen na aanmelding" on Monday 2024-03-11 ends on Monday 2024-03-18.
    """
    start = _require_date(start, "add_working_days")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"expected a whole number of working days >= 0, found {n!r}")
    return _working_day_after(start, n, statutory=False)


# ---------------------------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """When a deadline falls and why: the trace prints `steps` so a reader can check each one.

    `due` is the last day on which the act is still in time. `due_at` is the end of that day in
    Europe/Amsterdam for day-based counting, or the exact moment for ELAPSED_HOURS.
    """

    due: date
    due_at: datetime
    counting: Counting
    steps: tuple[str, ...]


def _describe(day: date) -> str:
    return f"{day.isoformat()} ({_WEEKDAYS[day.weekday()]})"


def _event_day(start: datetime | date, steps: list[str]) -> date:
    if isinstance(start, datetime):
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(
                f"expected a timezone-aware start, found the naive datetime {start.isoformat()}; "
                f"attach its zone (e.g. Europe/Amsterdam) so the event day is unambiguous"
            )
        local = start.astimezone(AMSTERDAM)
        steps.append(
            f"event at {start.isoformat()}, in Europe/Amsterdam {local.isoformat()}: "
            f"event day {_describe(local.date())}"
        )
        return local.date()
    steps.append(f"event on {_describe(start)}")
    return start


def _holiday_name(day: date, *, statutory: bool) -> str | None:
    return _holiday_table(day.year, statutory).get(day)


def _why_not_working(day: date, *, statutory: bool) -> str:
    name = _holiday_name(day, statutory=statutory)
    if name is not None:
        return f"{_describe(day)} is a holiday ({name})"
    return f"{_describe(day)} is a {_WEEKDAYS[day.weekday()]}"


def _add_calendar(base: date, duration: Duration, citation: str, steps: list[str]) -> date:
    months_part = base + relativedelta(years=duration.years, months=duration.months)
    end = months_part + relativedelta(weeks=duration.weeks, days=duration.days)
    note = citation
    if (duration.years or duration.months) and months_part.day != base.day:
        note += f"; {months_part.isoformat()} is the month end: day {base.day} does not exist"
    steps.append(f"+{duration.text} -> {_describe(end)} ({note})")
    return end


def _decree_notes(first: date, last: date, steps: list[str]) -> None:
    # Atw art. 3(3) days are only known for the years in ATW_EQUATED_DAYS: say so in the trace.
    for year in range(first.year, last.year + 1):
        if year not in _DECREE_YEARS:
            steps.append(
                f"note: no Atw art. 3(3) equated-day data for {year}; only the holidays of "
                f"art. 3(1)-(2) applied"
            )


def _shift_to_working_day(
    base: date,
    end: date,
    *,
    min_length: int,
    shift_rule: str,
    length_rule: str,
    steps: list[str],
) -> date:
    """Apply a roll-over rule (Atw art. 1, EU art. 3(4)) and a two-working-day rule.

    The two-working-day rule (Atw art. 2, EU art. 3(5)) is applied first, then the roll-over.
    The order does not change the result: both give the later of "the first working day on or
    after the end" and "the second working day after the base day", because the extension of
    the two-day rule always ends on a working day.
    """
    length = (end - base).days
    if length >= min_length:
        count = _count_working_days(base, end, statutory=True)
        if count < 2:
            extended = _working_day_after(base, 2, statutory=True)
            steps.append(
                f"{length_rule}: the period holds {count} working day(s), at least 2 needed "
                f"-> {_describe(extended)}"
            )
            end = extended
        else:
            steps.append(f"{length_rule}: the period holds at least 2 working days")
    if is_working_day(end, statutory=True):
        steps.append(f"{shift_rule}: {_describe(end)} is a working day: no shift")
        return end
    moved = _first_working_day_from(end, statutory=True)
    skipped: list[str] = []
    day = end
    while day < moved:
        skipped.append(_why_not_working(day, statutory=True))
        day += _ONE_DAY
    steps.append(f"{shift_rule}: {'; '.join(skipped)} -> {_describe(moved)}")
    return moved


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=AMSTERDAM)


def compute_deadline(
    start: datetime | date,
    duration: Duration,
    counting: Counting,
    anchor: Anchor = Anchor.EVENT_DATE,
    *,
    backwards: bool = False,
    working_days: WorkingDayCalendar | None = None,
) -> Deadline:
    """Count a deadline from an event by the rule of its source, recording every step.

    `start` is the moment of the triggering event: an aware datetime (its Europe/Amsterdam date
    is the event day) or a date. Day-based countings apply `anchor` to the event day first.
    `backwards=True` counts back from the event ("uiterlijk vijf dagen vóór de zitting").
    `working_days` chooses the holiday list of WORKING_DAYS (default: the `holidays` package's
    list, for callers of this function; the engine passes the pack's setting, default ATW).
    Raises DurationError when the duration, counting and start do not fit together, and
    ValueError for a naive datetime.
    """
    counting = Counting(counting)
    anchor = Anchor(anchor)
    check_duration_counting(duration, counting, anchor)
    steps: list[str] = [f"counting {counting.value}"]
    try:
        if counting is Counting.ELAPSED_HOURS:
            return _elapsed(start, duration, steps, backwards=backwards)
        if backwards:
            return _day_based_backwards(start, duration, counting, anchor, steps, working_days)
        return _day_based(start, duration, counting, anchor, steps, working_days)
    except OverflowError as exc:
        raise ValueError(f"deadline falls outside the supported calendar: {exc}") from None


def atw_exclusion(duration: Duration) -> str | None:
    """Why the Algemene termijnenwet does not apply to a term of this length, or None.

    Atw art. 4(1)(a) excludes terms expressed in hours, and terms of more than 90 days, more
    than twelve weeks, more than three months, or one or more years. A term is measured in the
    largest unit it is written in: P3M is not excluded, P3M1D is ("more than three months");
    P12W is not, P12W1D is; P90D is not, P91D is; P1Y and anything with years is.
    """
    if duration.has_time():
        return "Atw art. 4(1)(a): the term is expressed in hours"
    if duration.years:
        return "Atw art. 4(1)(a): the term is one or more years"
    if duration.months:
        # (months, rest) compared with exactly three months; a mixed term under three months
        # (P2M10D) is not "meer dan drie maanden".
        if (duration.months, duration.weeks * 7 + duration.days) > (3, 0):
            return "Atw art. 4(1)(a): the term is more than three months"
        return None
    if duration.weeks:
        if duration.weeks * 7 + duration.days > 12 * 7:
            return "Atw art. 4(1)(a): the term is more than twelve weeks"
        return None
    if duration.days > 90:
        return "Atw art. 4(1)(a): the term is more than 90 days"
    return None


def _elapsed(
    start: datetime | date, duration: Duration, steps: list[str], *, backwards: bool = False
) -> Deadline:
    if not isinstance(start, datetime):
        raise DurationError(
            f"counting {Counting.ELAPSED_HOURS.value!r} needs the moment of the event: expected "
            f"a timezone-aware datetime, found the date {start.isoformat()}"
        )
    _event_day(start, steps)
    local_start = start.astimezone(AMSTERDAM)
    # Elapsed time is counted in UTC so a daylight-saving change neither adds nor removes an hour.
    delta = timedelta(hours=duration.hours, minutes=duration.minutes)
    due_utc = start.astimezone(UTC) + (-delta if backwards else delta)
    due_at = due_utc.astimezone(AMSTERDAM)
    note = "elapsed time"
    if local_start.utcoffset() != due_at.utcoffset():
        note += f"; crosses a UTC offset change ({local_start.tzname()} -> {due_at.tzname()})"
    sign = "-" if backwards else "+"
    steps.append(
        f"{sign}{duration.text} -> {due_at.isoformat()} (UTC {due_utc.isoformat()}; {note})"
    )
    return Deadline(due_at.date(), due_at, Counting.ELAPSED_HOURS, tuple(steps))


def _day_based(
    start: datetime | date,
    duration: Duration,
    counting: Counting,
    anchor: Anchor,
    steps: list[str],
    working_days: WorkingDayCalendar | None = None,
) -> Deadline:
    event_day = _event_day(start, steps)
    base = anchor_date(event_day, anchor)
    if anchor is not Anchor.EVENT_DATE:
        steps.append(f"anchor {anchor.value}: the period runs from {_describe(base)}")

    match counting:
        case Counting.CALENDAR:
            # Contractual: no roll-over off weekends unless the covenant says so (design.md).
            due = _add_calendar(base, duration, "calendar arithmetic, contractual", steps)
            steps.append(f"{_describe(due)}: contractual deadline, no weekend or holiday shift")
        case Counting.WORKING_DAYS:
            if working_days is WorkingDayCalendar.ATW:
                due = _working_day_after(base, duration.days, statutory=True)
                steps.append(
                    f"+{duration.days} working days (Mon-Fri less the Atw art. 3 holidays, the "
                    f"pack's working-day calendar; base day not counted) -> {_describe(due)}"
                )
            else:
                due = add_working_days(base, duration.days)
                steps.append(
                    f"+{duration.days} working days (Mon-Fri less Dutch public holidays, base "
                    f"day not counted) -> {_describe(due)}"
                )
        case Counting.WORKING_DAYS_STATUTORY:
            due = _working_day_after(base, duration.days, statutory=True)
            steps.append(
                f"+{duration.days} working days (Mon-Fri less the Atw art. 3 holidays, base day "
                f"not counted) -> {_describe(due)}"
            )
        case Counting.ATW:
            end = _add_calendar(base, duration, "calendar arithmetic", steps)
            excluded = atw_exclusion(duration)
            if excluded is not None:
                # Atw art. 4(1)(a): neither art. 1 nor art. 2 applies; the calendar end stands.
                steps.append(f"{excluded}: the Atw does not apply, no shift -> {_describe(end)}")
                return Deadline(end, _end_of_day(end), counting, tuple(steps))
            # Atw art. 2: a period of at least three days holds at least two days that are not
            # a Saturday, Sunday or holiday; art. 1(1): a period ending on such a day runs
            # through the next day that is none of these. Holidays: art. 3.
            due = _shift_to_working_day(
                base,
                end,
                min_length=3,
                shift_rule="Atw art. 1(1)",
                length_rule="Atw art. 2",
                steps=steps,
            )
            _decree_notes(base + _ONE_DAY if (end - base).days < 15 else end, due, steps)
        case Counting.EU_1182_71:
            # Reg. 1182/71 art. 3(1): the day of the event is not counted, so the period runs
            # from the day after the base day; art. 3(2)(b)/(c): it ends at the end of the last
            # day, or of the same date in the last month/year (the month end if absent);
            # art. 3(3): weekends and holidays count. relativedelta gives exactly that date.
            steps.append(f"EU 1182/71 art. 3(1): {_describe(base)} itself is not counted")
            parts = []
            if duration.days:
                parts.append("(b)")
            if duration.weeks or duration.months or duration.years:
                parts.append("(c)")
            citation = "EU 1182/71 art. 3(2)" + "/".join(parts) if parts else "EU 1182/71 art. 3(2)"
            end = _add_calendar(base, duration, citation, steps)
            # Art. 3(5): a period of two days or more holds at least two working days; art. 3(4):
            # a last day on a public holiday, Saturday or Sunday moves to the end of the next
            # working day. Dutch public holidays: the statutory (Atw) list.
            due = _shift_to_working_day(
                base,
                end,
                min_length=2,
                shift_rule="EU 1182/71 art. 3(4)",
                length_rule="EU 1182/71 art. 3(5)",
                steps=steps,
            )
            _decree_notes(base + _ONE_DAY if (end - base).days < 15 else end, due, steps)
        case _:  # pragma: no cover - ELAPSED_HOURS is handled by the caller
            raise AssertionError(counting)
    return Deadline(due, _end_of_day(due), counting, tuple(steps))


def _day_based_backwards(
    start: datetime | date,
    duration: Duration,
    counting: Counting,
    anchor: Anchor,
    steps: list[str],
    working_days: WorkingDayCalendar | None,
) -> Deadline:
    """A term counted back from an event: the last day on which the act is still in time."""
    event_day = _event_day(start, steps)
    base = anchor_date(event_day, anchor)
    if anchor is not Anchor.EVENT_DATE:
        steps.append(f"anchor {anchor.value}: the period runs back from {_describe(base)}")
    if counting in (Counting.CALENDAR, Counting.ATW):
        end = base - duration.calendar_delta()
        steps.append(f"-{duration.text} -> {_describe(end)} (calendar arithmetic, backwards)")
        if counting is Counting.ATW:
            # Atw art. 1(2): art. 1(1) "geldt niet voor termijnen, bepaald door terugrekening
            # vanaf een tijdstip of een gebeurtenis"; art. 2 only ever lengthens a term forwards.
            steps.append(
                f"Atw art. 1(2): a term counted backwards is not extended -> {_describe(end)}"
            )
        return Deadline(end, _end_of_day(end), counting, tuple(steps))
    if counting in (Counting.WORKING_DAYS, Counting.WORKING_DAYS_STATUTORY):
        statutory = (
            counting is Counting.WORKING_DAYS_STATUTORY or working_days is WorkingDayCalendar.ATW
        )
        day, remaining = base, duration.days
        while remaining > 0:
            day -= _ONE_DAY
            if is_working_day(day, statutory=statutory):
                remaining -= 1
        steps.append(f"-{duration.days} working days, base day not counted -> {_describe(day)}")
        return Deadline(day, _end_of_day(day), counting, tuple(steps))
    raise DurationError(
        f"counting {counting.value!r} has no rule for terms counted backwards; expected "
        f"{Counting.CALENDAR.value!r}, {Counting.ATW.value!r} or a working-day counting"
    )
