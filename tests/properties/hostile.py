"""Hostile values and mutations shared by the fuzz tests (loader, events, CLI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import event
from hypothesis import strategies as st

from mph_rules import EventError, PackError

from .known_gaps import tolerated

BAD_TEXTS = (
    "",
    " ",
    "2023-02-29",
    "2024-02-30",
    "2024-13-01",
    "2024-03-11T10:00:00",  # timezone-naive
    "2024-03-11T10:00:00+25:00",
    "2024-03-11T23:59:60+01:00",
    "0001-01-01",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31",
    "9999-12-31T23:59:59-12:00",
    "1965-12-31",
    "P-1D",
    "P99999999999Y",
    "no_such_role",
    "no_such_event",
    "x.y",
    "../../etc/passwd",
    "{{ 7*7 }}",
    "\x00",
    "\u202e",
    "on",
    "null",
)


def deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"a": value}
    return value


HOSTILE_VALUES: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(BAD_TEXTS),
    st.text(max_size=40),
    st.just("x" * 100_000),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from([deep(70), deep(300), [[[[[]]]]], {"": {"": None}}]),
)


@st.composite
def mutated(draw: st.DrawFn, value: Any) -> Any:
    """``value`` with one node replaced, deleted or added: a wrong type, a bad date, an
    enormous string, deep nesting, an unknown key."""
    if isinstance(value, dict) and value and draw(st.integers(0, 3)) > 0:
        key = draw(st.sampled_from(sorted(value, key=str)))
        return {**value, key: draw(mutated(value[key]))}
    if isinstance(value, list) and value and draw(st.integers(0, 3)) > 0:
        i = draw(st.integers(0, len(value) - 1))
        return [*value[:i], draw(mutated(value[i])), *value[i + 1 :]]
    action = draw(st.sampled_from(("replace", "delete", "add_key")))
    if action == "add_key" and isinstance(value, dict):
        return {
            **value,
            draw(st.sampled_from(["unexpected", "pack", "1", ""])): draw(HOSTILE_VALUES),
        }
    if action == "delete" and isinstance(value, dict) and value:
        key = draw(st.sampled_from(sorted(value, key=str)))
        return {k: v for k, v in value.items() if k != key}
    return draw(HOSTILE_VALUES)


def clean_outcome(run: Callable[[], object]) -> str:
    """Run ``run``; it must return, or raise PackError/EventError whose every problem has a
    message. A crash that is a reported gap (known_gaps.py) is recorded as a hypothesis event;
    any other exception fails the test."""
    try:
        run()
    except (PackError, EventError) as exc:
        assert exc.problems, "an error without problems"
        assert all(p.message.strip() for p in exc.problems), exc.problems
        return "error"
    except Exception as exc:
        gap = tolerated(exc)
        event(f"known gap {gap.id}")
        return f"gap:{gap.id}"
    return "ok"
