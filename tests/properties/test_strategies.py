"""The strategies themselves: valid, lifecycle-respecting, realistic, and shrinking small."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from mph_rules import Engine, EventError
from mph_rules.calendar import is_nl_public_holiday
from mph_rules.testing import strategies

from .profiles import active

PROFILE = active()
FIND = settings(
    max_examples=400,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)


def _accepted(engine: Engine, phase: str) -> set[str]:
    """What the pack says a phase accepts, read off the pack (not the strategies' tables)."""
    lifecycle = engine.pack.lifecycle
    assert lifecycle is not None
    out = set(lifecycle.always_accepted)
    out |= {ev for p in lifecycle.phases if p.id == phase for ev in p.accepts}
    out |= {t.on for t in lifecycle.transitions if phase in t.from_}
    return out


@PROFILE
@given(data=st.data())
def test_cases_are_valid_and_follow_the_lifecycle(engine: Engine, data: st.DataObject) -> None:
    case = data.draw(strategies.cases(engine))
    decision = engine.evaluate(case, as_of=strategies.LAST_DAY)  # no EventError
    previous = None
    for event, verdict in zip(case["events"], decision.events, strict=True):
        # accepted by the phase, or tried as a transition out of it (whose `when` may fail)
        assert event["type"] in _accepted(engine, verdict.phase_before), (event, verdict)
        moment = strategies.instant(strategies.parse_moment(event["at"]))
        assert moment.tzinfo is not None
        assert previous is None or moment >= previous
        previous = moment


@PROFILE
@given(data=st.data())
def test_single_events_are_accepted_in_their_phase(engine: Engine, data: st.DataObject) -> None:
    phase = data.draw(st.sampled_from(engine.compiled.phases))
    vocab = strategies.vocabulary(engine)
    if not [
        m
        for m in vocab.accepted(phase)
        if m[0] not in ("subject_request_extended", "subject_request_answered")
    ]:
        return
    event = data.draw(strategies.events(engine, phase=phase))
    assert event["type"] in _accepted(engine, phase)
    engine.validate_case({"id": "c", "events": [event]})


def test_gaps_reach_leap_days_year_ends_and_holidays(mini: Engine) -> None:
    def days(case: dict[str, Any]) -> list[dt.date]:
        moments = [strategies.parse_moment(e["at"]) for e in case["events"]]
        return [strategies.instant(m).date() for m in moments]

    for wanted in (
        lambda d: (d.month, d.day) == (2, 29),
        lambda d: (d.month, d.day) == (12, 31),
        lambda d: is_nl_public_holiday(d, statutory=True),
    ):
        found = find(
            strategies.cases(mini), lambda c, w=wanted: any(w(d) for d in days(c)), settings=FIND
        )
        assert len(found["events"]) <= 2, found


def test_counterexamples_shrink_small_and_readable(mini: Engine) -> None:
    """A case with a denied event shrinks to a few short events (shrinking is a local search:
    the bound is generous, the point is that it is small)."""

    def has_denial(case: dict[str, Any]) -> bool:
        decision = mini.evaluate(case, as_of=strategies.LAST_DAY)
        return any(not v.allowed for v in decision.events)

    found = find(strategies.cases(mini), has_denial, settings=FIND)
    assert len(found["events"]) <= 3, found
    assert len(json.dumps(found)) < 600, found


def test_cases_get_through_the_lifecycle(engine: Engine) -> None:
    """Generated cases leave the initial phase (transitions' conditions are met)."""
    initial = engine.compiled.initial

    def moved(case: dict[str, Any]) -> bool:
        return engine.evaluate(case, as_of=strategies.LAST_DAY).phase != initial

    no_shrinking = settings(FIND, phases=[Phase.generate])
    found = find(strategies.cases(engine), moved, settings=no_shrinking)
    assert found["events"]


@PROFILE
@given(data=st.data())
def test_flawed_cases_carry_their_flaw(engine: Engine, data: st.DataObject) -> None:
    flawed = data.draw(strategies.flawed_cases(engine))
    assert flawed.flaw in strategies.FLAWS
    if flawed.expect == "event_error":
        try:
            engine.evaluate(flawed.case, as_of=strategies.LAST_DAY)
        except EventError:
            return
        raise AssertionError(f"{flawed.flaw} was not refused")


def test_unknown_flaw_is_refused(mini: Engine) -> None:
    try:
        strategies.flawed_cases(mini, flaws=["no_such_flaw"])
    except ValueError as exc:
        assert "no_such_flaw" in str(exc)
    else:
        raise AssertionError("an unknown flaw name was accepted")
