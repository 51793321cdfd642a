"""The fast constructors of the result classes (decision.builder) build exactly what the
classes build: same type, equal, same hash, frozen, picklable, same JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle

import pytest

from mph_rules import decision as d

BUILT = [
    (d.TraceEntry, d.new_trace_entry, ("r", "fired", "why"), {"event": 3}),
    (d.Verdict, d.new_verdict, (False, ("a",), ("because",)), {}),
    (d.Verdict, d.new_verdict, (True, ("a",), ("b",)), {"verdict": "unspecified"}),
    (
        d.EventVerdict,
        d.new_event_verdict,
        (0, "case_registered", dt.date(2024, 3, 11), True, "a", "b", ("r",), ("why",)),
        {"subjects": ("s1",)},
    ),
    (d.Finding, d.new_finding, ("record_missing", "r", "m"), {"source": "x", "event": 1}),
    (d.Deletion, d.new_deletion, ("scope", None, None, "no clock"), {"subject": "s"}),
    (d.AllowedAction, d.new_allowed_action, ("plan_established", "any", True, "ok"), {}),
    (d.OpenPoint, d.new_open_point, ("r", "conflict", "note"), {"events": (1, 2)}),
]


@pytest.mark.parametrize(("cls", "make", "args", "kwargs"), BUILT)
def test_builder_equals_the_class(cls: type, make: object, args: tuple, kwargs: dict) -> None:
    built = make(*args, **kwargs)  # type: ignore[operator]
    plain = cls(*args, **kwargs)
    assert type(built) is cls
    assert built == plain and hash(built) == hash(plain)
    assert built.to_json() == plain.to_json()
    assert pickle.loads(pickle.dumps(built)) == plain
    field = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, field, None)


def test_builder_refuses_a_class_it_cannot_copy() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    with pytest.raises(TypeError):
        d.builder(NoSlots)
