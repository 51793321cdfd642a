"""Fuzz the event parser and the engine: a decision or an EventError, never anything else.

Crashes that are reported gaps (known_gaps.py: years before 1966, moments at the ends of the
calendar, plain dates for hour deadlines) are recorded as hypothesis events, not failures; each
has its own strict-xfail regression test in test_hostile_regressions.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mph_rules import Engine, EventError
from mph_rules.events import CORE_EVENTS
from mph_rules.loading import load_case
from mph_rules.testing import strategies

from .hostile import HOSTILE_VALUES, clean_outcome, mutated
from .profiles import active

PROFILE = active()
FUZZ = settings(PROFILE, deadline=dt.timedelta(seconds=5), max_examples=4 * PROFILE.max_examples)
AS_OF = dt.date(2095, 1, 1)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20) | HOSTILE_VALUES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(case=JSON)
def test_any_json_as_a_case(mini: Engine, case: Any) -> None:
    clean_outcome(lambda: mini.evaluate(case, as_of=AS_OF))


@FUZZ
@given(
    events=st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(sorted(CORE_EVENTS)), "at": HOSTILE_VALUES},
            optional={"payload": JSON, "actor": JSON, "id": HOSTILE_VALUES},
        ),
        max_size=4,
    )
)
def test_core_events_with_hostile_fields(mini: Engine, events: list[dict[str, Any]]) -> None:
    clean_outcome(lambda: mini.evaluate({"id": "c", "events": events}, as_of=AS_OF))


@FUZZ
@given(data=st.data())
def test_mutations_of_valid_cases(engine: Engine, data: st.DataObject) -> None:
    """A valid case of the pack with one field made hostile: wrong type, 2023-02-29, a naive
    or out-of-range timestamp, an unknown event type or role, a 100 000-character string."""
    case = data.draw(strategies.cases(engine, min_events=1, max_events=6), label="case")
    broken = data.draw(mutated(case), label="broken")
    clean_outcome(lambda: engine.evaluate(broken, as_of=AS_OF))


@FUZZ
@given(data=st.data())
def test_events_out_of_order(engine: Engine, data: st.DataObject) -> None:
    case = data.draw(strategies.cases(engine, min_events=2, max_events=6), label="case")
    shuffled = list(case["events"])
    random.Random(data.draw(st.integers(0, 2**16), label="seed")).shuffle(shuffled)
    moments = [strategies.instant(strategies.parse_moment(e["at"])) for e in shuffled]
    in_order = all(a <= b for a, b in itertools.pairwise(moments))
    if in_order:
        engine.evaluate({**case, "events": shuffled}, as_of=AS_OF)
    else:
        with pytest.raises(EventError, match="earlier than the one before"):
            engine.evaluate({**case, "events": shuffled}, as_of=AS_OF)


@settings(FUZZ, max_examples=2 * PROFILE.max_examples)
@given(raw=st.binary(max_size=1500), text=JSON)
def test_case_files_of_any_content(
    mini: Engine, raw: bytes, text: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path: Path = tmp_path_factory.mktemp("fuzz") / "case.yaml"
    path.write_bytes(raw if raw[:1] != b"{" else repr(text).encode())
    clean_outcome(lambda: mini.evaluate(load_case(path), as_of=AS_OF))


def test_naive_and_aware_timestamps(mini: Engine) -> None:
    """A time without a UTC offset is refused; the same time with one is accepted."""
    event = {"type": "case_registered", "actor": {"role": "police_officer"}}
    with pytest.raises(EventError, match="UTC offset"):
        mini.evaluate({"id": "c", "events": [{**event, "at": "2024-03-11T10:00:00"}]}, as_of=AS_OF)
    for at in ("2024-03-11T10:00:00+01:00", "2024-03-11T09:00:00Z", "2024-03-11"):
        mini.evaluate({"id": "c", "events": [{**event, "at": at}]}, as_of=AS_OF)


def test_impossible_dates_are_refused(mini: Engine) -> None:
    event = {"type": "case_registered", "actor": {"role": "police_officer"}}
    for at in ("2023-02-29", "2100-02-29", "2024-04-31"):
        with pytest.raises(EventError, match="expected an ISO 8601 date"):
            mini.evaluate({"id": "c", "events": [{**event, "at": at}]}, as_of=AS_OF)
    mini.evaluate({"id": "c", "events": [{**event, "at": "2024-02-29"}]}, as_of=AS_OF)


def test_enormous_payload_is_bounded_in_time(mini: Engine) -> None:
    """A 1 MB reason and 10 000 facts evaluate (they are data, not rules)."""
    import time

    facts = {f"f{i}": i for i in range(10_000)}
    case = {
        "id": "c",
        "facts": facts,
        "events": [
            {"type": "case_registered", "at": "2024-03-11", "actor": {"role": "police_officer"}},
            {
                "type": "legal_hold_started",
                "at": "2024-03-12",
                "payload": {"reason": "x" * 1_000_000},
            },
        ],
    }
    start = time.perf_counter()
    mini.evaluate(case, as_of=AS_OF)
    assert time.perf_counter() - start < 10
