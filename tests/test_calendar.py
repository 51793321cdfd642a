"""Deadlines counted by the rule of their source: covenant, Atw, EU 1182/71, elapsed hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import holidays
import pytest
from dateutil.easter import easter
from hypothesis import given, settings
from hypothesis import strategies as st

from mph_rules.calendar import (
    AMSTERDAM,
    ATW_EQUATED_DAYS,
    ATW_HOLIDAY_CORRECTIONS,
    Anchor,
    Counting,
    Deadline,
    Duration,
    DurationError,
    add_working_days,
    anchor_date,
    atw_exclusion,
    check_duration_counting,
    compute_deadline,
    is_nl_public_holiday,
    is_working_day,
    nl_public_holidays,
    parse_duration,
)

D = date.fromisoformat
P = parse_duration
BOUNDED = settings(max_examples=200, deadline=None)


def due(
    start: date | datetime, text: str, counting: Counting, anchor: Anchor = Anchor.EVENT_DATE
) -> date:
    return compute_deadline(start, P(text), counting, anchor).due


def package_public(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("NL", years=year, categories=(holidays.PUBLIC,)))


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("P1Y", (1, 0, 0, 0, 0, 0)),
        ("P5Y", (5, 0, 0, 0, 0, 0)),
        ("P2M", (0, 2, 0, 0, 0, 0)),
        ("P4W", (0, 0, 4, 0, 0, 0)),
        ("P28D", (0, 0, 0, 28, 0, 0)),
        ("P5D", (0, 0, 0, 5, 0, 0)),
        ("P1Y6M", (1, 6, 0, 0, 0, 0)),
        ("PT72H", (0, 0, 0, 0, 72, 0)),
        ("PT24H", (0, 0, 0, 0, 24, 0)),
        ("P1DT12H", (0, 0, 0, 1, 12, 0)),
        ("PT30M", (0, 0, 0, 0, 0, 30)),
        ("P1W3D", (0, 0, 1, 3, 0, 0)),
        ("P0D", (0, 0, 0, 0, 0, 0)),
    ],
)
def test_parse_duration_accepts_the_pack_forms(text: str, units: tuple[int, ...]) -> None:
    duration = P(text)
    assert (
        duration.years,
        duration.months,
        duration.weeks,
        duration.days,
        duration.hours,
        duration.minutes,
    ) == units
    assert duration.text == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("p1y", "upper case"),
        ("P1y", "lower case"),
        ("1Y", "starting with 'P'"),
        ("-P1D", "non-negative"),
        ("P-1D", "negative"),
        ("P1.5D", "fraction"),
        ("P1,5D", "fraction"),
        ("P", "at least one number"),
        ("PT", "after 'T'"),
        ("P1DT", "after 'T'"),
        ("P1D ", "trailing"),
        (" P1D", "starting with 'P'"),
        ("P1D!", "trailing"),
        ("P1M1Y", "out of order"),
        ("PT30S", "seconds"),
        ("P1001Y", "1000 years"),
        ("P365251D", "1000 years"),
        ("P" + "9" * 80 + "D", "at most 64 characters"),
        ("P\uff11D", "P"),  # a full-width digit is not an ISO digit
    ],
)
def test_parse_duration_refuses_with_what_was_expected(text: str, says: str) -> None:
    with pytest.raises(DurationError, match="expected") as caught:
        P(text)
    assert says in str(caught.value)


def test_duration_is_a_value_error_and_checks_its_own_fields() -> None:
    assert issubclass(DurationError, ValueError)
    assert Duration(days=5).text == "P5D"
    assert Duration(years=1, hours=2).text == "P1YT2H"
    assert Duration().text == "P0D"
    assert Duration(days=5) == P("P05D")  # compared by units, not spelling
    with pytest.raises(DurationError, match="days as a whole number"):
        Duration(days=-1)
    with pytest.raises(DurationError, match="matching the units P5D"):
        Duration(days=5, text="P6D")


def test_duration_predicates() -> None:
    assert P("P0D").is_zero() and P("PT0H").is_zero()
    assert not P("P1D").is_zero()
    assert P("PT30M").has_time() and P("P1DT12H").has_time()
    assert not P("P1Y").has_time()


# --- anchors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "anchor", "base"),
    [
        ("2024-03-12", Anchor.EVENT_DATE, "2024-03-12"),
        ("2024-12-31", Anchor.START_OF_NEXT_YEAR, "2025-01-01"),
        ("2024-01-01", Anchor.START_OF_NEXT_YEAR, "2025-01-01"),
        ("2024-01-31", Anchor.START_OF_NEXT_MONTH, "2024-02-01"),
        ("2024-12-15", Anchor.START_OF_NEXT_MONTH, "2025-01-01"),
        ("2024-02-28", Anchor.NEXT_DAY, "2024-02-29"),
        ("2024-12-31", Anchor.NEXT_DAY, "2025-01-01"),
    ],
)
def test_anchor_date(event: str, anchor: Anchor, base: str) -> None:
    assert anchor_date(D(event), anchor) == D(base)


def test_anchor_date_refuses_a_datetime() -> None:
    with pytest.raises(TypeError, match="Europe/Amsterdam"):
        anchor_date(datetime(2024, 1, 1, tzinfo=UTC), Anchor.EVENT_DATE)


# --- holidays: the package, and our corrections for the Algemene termijnenwet ---------------


def test_correction_5_may_is_an_atw_holiday_every_year() -> None:
    # Atw art. 3(1): "de vijfde mei"; the package has it only in lustrum years.
    assert D("2026-05-05") not in package_public(2026)
    assert is_nl_public_holiday(D("2026-05-05"), statutory=True)
    assert not is_nl_public_holiday(D("2026-05-05"))  # covenant list: the package's, as is
    assert is_nl_public_holiday(D("2025-05-05")) and is_nl_public_holiday(
        D("2025-05-05"), statutory=True
    )


def test_correction_good_friday_is_equated_by_atw_art_3_2() -> None:
    assert nl_public_holidays(2024, statutory=True)[D("2024-03-29")] == "Goede vrijdag"
    assert is_nl_public_holiday(D("2026-04-03"), statutory=True)


def test_correction_easter_and_pentecost_sunday_are_not_atw_holidays() -> None:
    # Atw art. 3(1) names only the second Easter and Pentecost days.
    for sunday in (D("2024-03-31"), D("2024-05-19")):
        assert sunday in package_public(2024)
        assert is_nl_public_holiday(sunday)
        assert not is_nl_public_holiday(sunday, statutory=True)


@pytest.mark.parametrize(("day", "source"), ATW_EQUATED_DAYS)
def test_correction_days_equated_by_royal_decree(day: date, source: str) -> None:
    # Atw art. 3(3): kept as data with the decree that equates them.
    assert "art. 3(3)" in source and "Besluit" in source
    assert day.weekday() < 5
    assert is_nl_public_holiday(day, statutory=True)
    assert not is_working_day(day, statutory=True)
    assert day not in package_public(day.year)
    assert is_working_day(day)  # not a covenant holiday


def test_correction_5_may_was_not_an_atw_holiday_before_1982() -> None:
    assert D("1980-05-05") in package_public(1980)  # the package's lustrum rule
    assert not is_nl_public_holiday(D("1980-05-05"), statutory=True)
    assert is_nl_public_holiday(D("1982-05-05"), statutory=True)


def test_every_correction_names_its_article() -> None:
    for correction in ATW_HOLIDAY_CORRECTIONS:
        assert "Atw art. 3" in correction.reason


def test_the_atw_list_of_2024_is_complete() -> None:
    assert set(nl_public_holidays(2024, statutory=True)) == {
        D("2024-01-01"),  # Nieuwjaarsdag
        D("2024-03-29"),  # Goede Vrijdag, art. 3(2)
        D("2024-04-01"),  # tweede Paasdag
        D("2024-04-27"),  # Koningsdag
        D("2024-05-05"),  # 5 mei
        D("2024-05-09"),  # Hemelvaartsdag
        D("2024-05-10"),  # equated, art. 3(3)
        D("2024-05-20"),  # tweede Pinksterdag
        D("2024-12-25"),  # eerste Kerstdag
        D("2024-12-26"),  # tweede Kerstdag
        D("2024-12-27"),  # equated, art. 3(3)
    }


def test_koningsdag_moves_to_26_april_when_27_april_is_a_sunday() -> None:
    # Atw art. 3(1): "de dag waarop de verjaardag van de Koning wordt gevierd".
    for statutory in (False, True):
        assert is_nl_public_holiday(D("2025-04-26"), statutory=statutory)  # a Saturday
        assert not is_nl_public_holiday(D("2025-04-27"), statutory=statutory)
        assert is_nl_public_holiday(D("2024-04-27"), statutory=statutory)
        assert is_nl_public_holiday(D("2013-04-30"), statutory=statutory)  # Koninginnedag


def test_holiday_tables_are_copies_and_bounded() -> None:
    table = nl_public_holidays(2024)
    table.clear()
    assert nl_public_holidays(2024)
    with pytest.raises(ValueError, match="1966"):
        nl_public_holidays(1960)
    with pytest.raises(TypeError):
        is_working_day(datetime(2024, 3, 28, 23, 30, tzinfo=UTC))


# --- covenant working days --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2024-03-11", 5, "2024-03-18"),  # Hilversum: registration on a Monday
        ("2024-03-28", 5, "2024-04-08"),  # over Good Friday and Easter Monday 2024
        ("2024-12-23", 5, "2025-01-02"),  # over Christmas and New Year
        ("2025-05-02", 1, "2025-05-06"),  # 5 May 2025 is a lustrum: a covenant holiday
        ("2026-05-04", 1, "2026-05-05"),  # 5 May 2026 is not on the covenant list
        ("2024-03-16", 0, "2024-03-16"),
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert add_working_days(D(start), n) == D(expected)


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        add_working_days(D("2024-03-11"), -1)


def test_hilversum_deadline_from_a_monday_evening_registration() -> None:
    registered = datetime(2024, 3, 11, 18, 0, tzinfo=AMSTERDAM)
    deadline = compute_deadline(registered, P("P5D"), Counting.WORKING_DAYS)
    assert deadline.due == D("2024-03-18")
    assert deadline.due_at == datetime.combine(D("2024-03-18"), time.max, tzinfo=AMSTERDAM)


@pytest.mark.parametrize("text", ["P1W", "P1M", "P1Y", "PT5H"])
def test_working_days_take_days_only(text: str) -> None:
    with pytest.raises(DurationError, match="working_days"):
        compute_deadline(D("2024-03-11"), P(text), Counting.WORKING_DAYS)


# --- covenant calendar arithmetic -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "text", "anchor", "expected"),
    [
        ("2024-01-31", "P1M", Anchor.EVENT_DATE, "2024-02-29"),
        ("2023-01-31", "P1M", Anchor.EVENT_DATE, "2023-02-28"),
        ("2024-03-31", "P1M", Anchor.EVENT_DATE, "2024-04-30"),
        ("2024-02-29", "P1Y", Anchor.EVENT_DATE, "2025-02-28"),
        ("2024-05-15", "P1M", Anchor.EVENT_DATE, "2024-06-15"),  # a Saturday: no shift
        ("2024-08-31", "P1Y6M", Anchor.EVENT_DATE, "2026-02-28"),
        ("2024-03-12", "P1Y", Anchor.START_OF_NEXT_YEAR, "2026-01-01"),  # triage rejection
        ("2024-09-17", "P5Y", Anchor.START_OF_NEXT_YEAR, "2030-01-01"),  # closure
        ("2024-12-31", "P1Y", Anchor.START_OF_NEXT_YEAR, "2026-01-01"),
        ("2024-01-01", "P1Y", Anchor.START_OF_NEXT_YEAR, "2026-01-01"),
        ("2024-01-15", "P3M", Anchor.START_OF_NEXT_MONTH, "2024-05-01"),
    ],
)
def test_calendar(start: str, text: str, anchor: Anchor, expected: str) -> None:
    assert due(D(start), text, Counting.CALENDAR, anchor) == D(expected)


def test_calendar_steps_explain_the_month_end() -> None:
    deadline = compute_deadline(D("2024-01-31"), P("P1M"), Counting.CALENDAR)
    assert isinstance(deadline, Deadline)
    assert deadline.counting is Counting.CALENDAR
    assert any("month end" in step for step in deadline.steps)
    assert any("no weekend or holiday shift" in step for step in deadline.steps)


@pytest.mark.parametrize(
    "counting", [Counting.CALENDAR, Counting.ATW, Counting.EU_1182_71, Counting.WORKING_DAYS]
)
def test_day_based_countings_refuse_hours(counting: Counting) -> None:
    with pytest.raises(DurationError, match=f"counting '{counting.value}'.*elapsed_hours"):
        compute_deadline(D("2024-03-11"), P("P1DT12H"), counting)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        compute_deadline(datetime(2024, 3, 11, 9, 0), P("P1M"), Counting.CALENDAR)


def test_the_event_day_is_the_amsterdam_date() -> None:
    # 23:30 UTC on 31 January is 00:30 on 1 February in Amsterdam.
    late = datetime(2024, 1, 31, 23, 30, tzinfo=UTC)
    assert due(late, "P1M", Counting.EU_1182_71) == D("2024-03-01")
    assert due(late, "P0D", Counting.CALENDAR) == D("2024-02-01")


# --- Algemene termijnenwet --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "text", "expected", "why"),
    [
        ("2024-05-15", "P1M", "2024-06-17", "ends on Saturday 15 June: art. 1(1)"),
        ("2026-04-21", "P14D", "2026-05-06", "ends on 5 May 2026, a Tuesday: art. 3(1)"),
        ("2026-03-27", "P7D", "2026-04-07", "ends on Good Friday, then Easter: art. 3(2)"),
        ("2024-04-25", "P14D", "2024-05-13", "Ascension, then the equated Friday: art. 3(3)"),
        ("2026-04-20", "P7D", "2026-04-28", "ends on Koningsdag 2026, a Monday"),
        ("2024-03-14", "P3D", "2024-03-18", "3 days from a Thursday end on Sunday"),
        ("2024-03-08", "P3D", "2024-03-12", "3 days from a Friday hold 1 working day: art. 2"),
        ("2024-03-29", "P3D", "2024-04-03", "3 days from Good Friday hold none: art. 2"),
        ("2024-03-08", "P2D", "2024-03-11", "2 days are too short for art. 2"),
        ("2024-01-31", "P1M", "2024-02-29", "a Thursday: no shift"),
    ],
)
def test_atw(start: str, text: str, expected: str, why: str) -> None:
    assert due(D(start), text, Counting.ATW) == D(expected), why


def test_atw_steps_cite_the_articles() -> None:
    steps = compute_deadline(D("2024-03-08"), P("P3D"), Counting.ATW).steps
    assert any(step.startswith("Atw art. 2:") and "1 working day" in step for step in steps)
    assert any(step.startswith("Atw art. 1(1):") for step in steps)


def test_atw_trace_flags_years_without_decree_data() -> None:
    steps = compute_deadline(D("2030-05-01"), P("P7D"), Counting.ATW).steps
    assert any("no Atw art. 3(3) equated-day data for 2030" in step for step in steps)
    steps = compute_deadline(D("2024-05-01"), P("P7D"), Counting.ATW).steps
    assert not any("equated-day data" in step for step in steps)


# --- Regulation (EEC, Euratom) 1182/71 ------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "text", "expected", "why"),
    [
        ("2024-01-31", "P1M", "2024-02-29", "leap-year month end, a Thursday"),
        ("2023-01-31", "P1M", "2023-02-28", "month end, a Tuesday"),
        ("2024-04-30", "P1M", "2024-05-30", "a Thursday, after Ascension 2024"),
        ("2024-05-15", "P1M", "2024-06-17", "Saturday 15 June: art. 3(4)"),
        ("2024-02-29", "P1M", "2024-04-02", "Good Friday, weekend, Easter Monday"),
        ("2024-02-29", "P1Y", "2025-02-28", "same date absent: the month end"),
        ("2024-03-06", "P4W", "2024-04-03", "weeks end on the same weekday"),
        ("2024-01-31", "P3M", "2024-04-30", "AVG art. 12(3) extension: three months"),
        ("2024-03-08", "P2D", "2024-03-12", "2 days from a Friday: art. 3(5), 2 working days"),
        ("2024-03-11", "P1D", "2024-03-12", "a period in days ends at the end of the last day"),
    ],
)
def test_eu_1182_71(start: str, text: str, expected: str, why: str) -> None:
    assert due(D(start), text, Counting.EU_1182_71) == D(expected), why


def test_eu_steps_cite_the_articles() -> None:
    steps = compute_deadline(D("2024-05-15"), P("P1M"), Counting.EU_1182_71).steps
    assert any("art. 3(1)" in step for step in steps)
    assert any("art. 3(2)(c)" in step for step in steps)
    assert any("art. 3(4)" in step and "Saturday" in step for step in steps)


# --- elapsed hours --------------------------------------------------------------------------


def test_elapsed_hours_across_spring_forward() -> None:
    start = datetime(2024, 3, 30, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    deadline = compute_deadline(start, P("PT72H"), Counting.ELAPSED_HOURS)
    assert deadline.due_at.utcoffset() == timedelta(hours=2)
    assert deadline.due_at.replace(tzinfo=None) == datetime(2024, 4, 2, 13, 0)
    assert deadline.due_at.tzinfo is AMSTERDAM
    assert deadline.due == D("2024-04-02")
    assert deadline.due_at - start == timedelta(hours=72)


def test_elapsed_hours_across_fall_back() -> None:
    start = datetime(2024, 10, 26, 12, 0, tzinfo=AMSTERDAM)
    deadline = compute_deadline(start, P("PT24H"), Counting.ELAPSED_HOURS)
    assert deadline.due_at.utcoffset() == timedelta(hours=1)
    assert deadline.due_at.replace(tzinfo=None) == datetime(2024, 10, 27, 11, 0)
    assert deadline.due_at.astimezone(UTC) == datetime(2024, 10, 27, 10, 0, tzinfo=UTC)


def test_elapsed_hours_in_the_repeated_hour() -> None:
    # 01:30 CEST + 2 h = 02:30 CET: the second 02:30 of 27 October 2024.
    start = datetime(2024, 10, 27, 1, 30, tzinfo=AMSTERDAM)
    deadline = compute_deadline(start, P("PT2H"), Counting.ELAPSED_HOURS)
    assert deadline.due_at.astimezone(UTC) == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    assert deadline.due_at.utcoffset() == timedelta(hours=1)
    assert deadline.due_at.fold == 1


@pytest.mark.parametrize(
    ("start", "text", "anchor", "says"),
    [
        (date(2024, 3, 30), "PT72H", Anchor.EVENT_DATE, "timezone-aware datetime"),
        (datetime(2024, 3, 30, tzinfo=UTC), "P1D", Anchor.EVENT_DATE, "hours and minutes only"),
        (datetime(2024, 3, 30, tzinfo=UTC), "PT2H", Anchor.NEXT_DAY, "expected anchor"),
    ],
)
def test_elapsed_hours_refusals(
    start: date | datetime, text: str, anchor: Anchor, says: str
) -> None:
    with pytest.raises(DurationError, match="elapsed_hours") as caught:
        compute_deadline(start, P(text), Counting.ELAPSED_HOURS, anchor)
    assert says in str(caught.value)


def test_check_duration_counting_is_the_load_time_check() -> None:
    check_duration_counting(P("PT72H"), Counting.ELAPSED_HOURS)
    check_duration_counting(P("P5D"), Counting.WORKING_DAYS)
    with pytest.raises(DurationError, match="working_days"):
        check_duration_counting(P("P1W"), Counting.WORKING_DAYS)


# --- properties -----------------------------------------------------------------------------

days_st = st.dates(min_value=date(1970, 1, 1), max_value=date(2090, 12, 31))
day_durations = st.builds(
    Duration,
    years=st.integers(0, 10),
    months=st.integers(0, 24),
    weeks=st.integers(0, 10),
    days=st.integers(0, 60),
)
anchors = st.sampled_from(list(Anchor))


def _statutory_expectation(base: date, end: date, min_length: int) -> date:
    """Atw art. 1-2 / EU art. 3(4)-(5) the long way, in the other order: roll over, then count."""
    rolled = end
    while not is_working_day(rolled, statutory=True):
        rolled += timedelta(days=1)
    if (end - base).days < min_length:
        return rolled
    second, found, day = base, 0, base
    while found < 2:
        day += timedelta(days=1)
        if is_working_day(day, statutory=True):
            found, second = found + 1, day
    return max(rolled, second)


@BOUNDED
@given(
    day=days_st,
    duration=day_durations,
    anchor=anchors,
    counting=st.sampled_from([Counting.CALENDAR, Counting.ATW, Counting.EU_1182_71]),
)
def test_deadline_never_before_the_base_day(
    day: date, duration: Duration, anchor: Anchor, counting: Counting
) -> None:
    deadline = compute_deadline(day, duration, counting, anchor)
    assert deadline.due >= anchor_date(day, anchor)
    assert deadline.due_at.date() == deadline.due
    assert deadline.due_at.tzinfo is AMSTERDAM


@BOUNDED
@given(day=days_st, n=st.integers(1, 300), anchor=anchors)
def test_working_days_result_is_a_working_day(day: date, n: int, anchor: Anchor) -> None:
    result = compute_deadline(day, Duration(days=n), Counting.WORKING_DAYS, anchor).due
    assert is_working_day(result)
    assert result > anchor_date(day, anchor)


@BOUNDED
@given(
    day=days_st,
    duration=day_durations,
    counting=st.sampled_from([Counting.ATW, Counting.EU_1182_71]),
)
def test_statutory_deadlines_never_end_on_a_weekend_or_holiday(
    day: date, duration: Duration, counting: Counting
) -> None:
    if counting is Counting.ATW and atw_exclusion(duration) is not None:
        # Atw art. 4(1)(a): long terms are not shifted (see test_atw_art_4_1_a_*).
        assert compute_deadline(day, duration, counting).due == day + duration.calendar_delta()
        return
    result = compute_deadline(day, duration, counting).due
    assert result.weekday() < 5
    assert not is_nl_public_holiday(result, statutory=True)
    end = day + duration.calendar_delta()
    min_length = 3 if counting is Counting.ATW else 2
    # The two articles commute: applying them in the other order gives the same day.
    assert result == _statutory_expectation(day, end, min_length)


@BOUNDED
@given(first=days_st, second=days_st, months=st.integers(1, 120))
def test_calendar_months_are_monotone_in_the_start(first: date, second: date, months: int) -> None:
    early, late = sorted((first, second))
    duration = Duration(months=months)
    assert (
        compute_deadline(early, duration, Counting.CALENDAR).due
        <= compute_deadline(late, duration, Counting.CALENDAR).due
    )


@BOUNDED
@given(day=days_st)
def test_good_friday_and_5_may_are_atw_holidays_every_year(day: date) -> None:
    good_friday = easter(day.year) - timedelta(days=2)
    assert is_nl_public_holiday(good_friday, statutory=True)
    # 5 May was added to Atw art. 3(1) by the 1981 amendment, in force 1982.
    assert is_nl_public_holiday(date(day.year, 5, 5), statutory=True) == (day.year >= 1982)


@BOUNDED
@given(
    start=st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2080, 12, 31),
        timezones=st.sampled_from([AMSTERDAM, UTC, timezone(timedelta(hours=-5))]),
    ),
    hours=st.integers(0, 2000),
    minutes=st.integers(0, 59),
)
def test_elapsed_hours_are_exact(start: datetime, hours: int, minutes: int) -> None:
    deadline = compute_deadline(
        start, Duration(hours=hours, minutes=minutes), Counting.ELAPSED_HOURS
    )
    assert deadline.due_at.astimezone(UTC) - start.astimezone(UTC) == timedelta(
        hours=hours, minutes=minutes
    )
    assert deadline.due == deadline.due_at.date()


units = st.integers(0, 99)


@BOUNDED
@given(
    years=units,
    months=units,
    weeks=units,
    days=units,
    hours=units,
    minutes=units,
    zeros=st.booleans(),
)
def test_parse_duration_round_trips(
    years: int, months: int, weeks: int, days: int, hours: int, minutes: int, zeros: bool
) -> None:
    fields = {"Y": years, "M": months, "W": weeks, "D": days}
    time_fields = {"H": hours, "M": minutes}
    date_text = "".join(f"{v}{u}" for u, v in fields.items() if v or zeros)
    time_text = "".join(f"{v}{u}" for u, v in time_fields.items() if v or zeros)
    text = "P" + date_text + ("T" + time_text if time_text else "")
    if text == "P":
        text = "P0D"
    duration = P(text)
    assert duration.text == text
    assert (duration.years, duration.months, duration.weeks, duration.days) == (
        years,
        months,
        weeks,
        days,
    )
    assert (duration.hours, duration.minutes) == (hours, minutes)
    assert P(Duration(years, months, weeks, days, hours, minutes).text) == duration


@BOUNDED
@given(text=st.text(alphabet="PTYMWDHS0123456789.,-+ pt", max_size=16) | st.text(max_size=16))
def test_invalid_duration_strings_raise_duration_error(text: str) -> None:
    try:
        duration = P(text)
    except DurationError as exc:
        assert "expected" in str(exc)
    else:
        assert duration.text == text


def test_working_days_statutory_skips_5_may_every_year() -> None:
    """A covenant may read "werkdagen" with the Atw holiday list (5 May every year)."""
    from mph_rules.calendar import Counting, compute_deadline, parse_duration

    friday = date(2026, 5, 1)
    two = parse_duration("P2D")
    assert compute_deadline(friday, two, Counting.WORKING_DAYS).due == date(2026, 5, 5)
    assert compute_deadline(friday, two, Counting.WORKING_DAYS_STATUTORY).due == date(2026, 5, 6)


# --- Algemene termijnenwet art. 4(1)(a) and art. 1(2) -----------------------------------------
# Atw art. 4(1)(a), in substance: the Act does not apply to terms expressed in hours, nor to
# terms of "meer dan 90 dagen", "meer dan twaalf weken", "meer dan drie maanden" or "een of meer
# jaren". Atw art. 1(2): "Het vorige lid geldt niet voor termijnen, bepaald door terugrekening
# vanaf een tijdstip of een gebeurtenis."


def test_atw_art_4_1_a_one_or_more_years_is_not_shifted() -> None:
    """'een of meer jaren': P1Y from 2025-01-01 ends on Thursday 2026-01-01 (New Year), not
    on Monday 2026-01-05."""
    deadline = compute_deadline(D("2025-01-01"), P("P1Y"), Counting.ATW)
    assert deadline.due == D("2026-01-01")
    assert any("Atw art. 4(1)(a)" in step and "years" in step for step in deadline.steps)


def test_atw_art_4_1_a_more_than_three_months_is_not_shifted() -> None:
    """'meer dan drie maanden': P6M from 2024-03-15 ends on Sunday 2024-09-15, unshifted;
    exactly three months (P3M from 2024-03-15: Saturday 2024-06-15) is still shifted."""
    assert due(D("2024-03-15"), "P6M", Counting.ATW) == D("2024-09-15")
    assert due(D("2024-03-15"), "P3M", Counting.ATW) == D("2024-06-17")
    assert due(D("2024-03-16"), "P3M1D", Counting.ATW) == D("2024-06-17")  # a Monday anyway
    assert atw_exclusion(P("P3M1D")) is not None
    assert atw_exclusion(P("P3M")) is None


def test_atw_art_4_1_a_more_than_twelve_weeks_is_not_shifted() -> None:
    """'meer dan twaalf weken': P13W from Saturday 2024-03-16 ends on a Saturday, unshifted;
    P12W from the same day is shifted to Monday."""
    assert due(D("2024-03-16"), "P13W", Counting.ATW) == D("2024-06-15")
    assert due(D("2024-03-16"), "P12W", Counting.ATW) == D("2024-06-10")


def test_atw_art_4_1_a_more_than_90_days_is_not_shifted() -> None:
    """'meer dan 90 dagen': P91D ending on a Sunday stands; P90D ending on a Saturday moves."""
    start = D("2024-03-16")
    assert start + timedelta(days=91) == D("2024-06-15")  # a Saturday
    assert due(start, "P91D", Counting.ATW) == D("2024-06-15")
    assert due(D("2024-03-17"), "P90D", Counting.ATW) == D("2024-06-17")  # Sat 15 -> Mon 17


def test_atw_art_4_1_a_terms_in_hours_are_not_atw_terms() -> None:
    """'in uren': an hour term cannot be counted by the Atw at all."""
    with pytest.raises(DurationError, match=r"Atw art\. 4\(1\)\(a\)"):
        compute_deadline(D("2024-03-15"), P("PT72H"), Counting.ATW)
    assert atw_exclusion(P("PT72H")) is not None


def test_atw_art_1_2_terms_counted_backwards_are_not_shifted() -> None:
    """'terugrekening vanaf een tijdstip of een gebeurtenis': five days before Thursday
    2024-03-14 is Saturday 2024-03-09 and stays there."""
    deadline = compute_deadline(D("2024-03-14"), P("P5D"), Counting.ATW, backwards=True)
    assert deadline.due == D("2024-03-09")
    assert any(step.startswith("Atw art. 1(2)") for step in deadline.steps)
    forward = compute_deadline(D("2024-03-04"), P("P5D"), Counting.ATW)
    assert forward.due == D("2024-03-11")  # the same Saturday forwards is shifted (art. 1(1))


def test_backwards_counting_other_rules() -> None:
    assert compute_deadline(D("2024-03-31"), P("P1M"), Counting.CALENDAR, backwards=True).due == (
        D("2024-02-29")
    )
    back = compute_deadline(D("2024-03-11"), P("P5D"), Counting.WORKING_DAYS, backwards=True)
    assert back.due == D("2024-03-04")
    with pytest.raises(DurationError, match="backwards"):
        compute_deadline(D("2024-03-11"), P("P5D"), Counting.EU_1182_71, backwards=True)


def test_working_days_calendar_choice() -> None:
    """The pack setting working_days_calendar: the Atw list skips 5 May 2026 (a Tuesday, not a
    lustrum year); the holidays package's list does not."""
    from mph_rules.calendar import WorkingDayCalendar

    friday, two = D("2026-05-01"), P("P2D")
    atw = compute_deadline(friday, two, Counting.WORKING_DAYS, working_days=WorkingDayCalendar.ATW)
    assert atw.due == D("2026-05-06")
    package = compute_deadline(
        friday, two, Counting.WORKING_DAYS, working_days=WorkingDayCalendar.HOLIDAYS_PACKAGE
    )
    assert package.due == D("2026-05-05")
