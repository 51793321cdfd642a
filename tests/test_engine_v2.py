"""Engine v2 specifics: a validated case is not validated again for the same pack, a copy
with other events is; the plan's steps; conditions compiled once with exact reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from mph_rules import Engine, EventError, load_case, load_pack
from mph_rules.conditions import FieldTest, Not, compile_condition
from mph_rules.conditions.model import AllOf, Occurred

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hilversum" / "household_closed.yaml"
AS_OF = dt.date(2025, 1, 15)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_pack("hilversum"))


def test_a_validated_case_is_not_validated_again(engine: Engine, monkeypatch: Any) -> None:
    case = engine.validate_case(load_case(EXAMPLE))
    calls: list[int] = []
    original = engine.validator.check_case
    monkeypatch.setattr(engine.validator, "check_case", lambda c: calls.append(1) or original(c))
    first = engine.evaluate(case, as_of=AS_OF)
    assert calls == []  # validated above, for this pack
    assert engine.evaluate(case, as_of=AS_OF) == first
    other = Engine(load_pack("nijmegen"))
    with pytest.raises(EventError):  # another pack checks it afresh
        other.evaluate(case, as_of=AS_OF)


def test_a_copy_with_other_events_is_validated(engine: Engine) -> None:
    case = engine.validate_case(load_case(EXAMPLE))
    bad = case.events[0].model_copy(
        update={"actor": case.events[0].actor.model_copy(update={"role": "nobody"})}
    )  # type: ignore[union-attr]
    copy = case.model_copy(update={"events": (bad, *case.events[1:])})
    with pytest.raises(EventError, match="nobody"):
        engine.evaluate(copy, as_of=AS_OF)


def test_plan_steps_are_built_once(engine: Engine) -> None:
    step = engine.plan.step("case_registered", engine.compiled.initial)
    assert engine.plan.step("case_registered", engine.compiled.initial) is step
    assert step.transitions or step.accepted


def test_compiled_conditions_read_what_they_test() -> None:
    cond = AllOf.model_validate(
        {
            "all": [
                {"field": "payload.outcome", "equals": "accepted"},
                {"not": {"consent": "special"}},
                {
                    "occurred": "household_heard",
                    "where": {"field": "payload.note", "present": True},
                },
            ]
        }
    )
    node = compile_condition(cond)
    assert node.reads == {
        ("field", "payload.outcome"),
        ("consent", "special"),
        ("history", "household_heard"),
        ("earlier", "payload.note"),
    }
    assert node.reads_history
    assert len(node.leaves) == 2  # the field test and the consent test
    assert node.describe() == (
        "(payload.outcome equals accepted and not consent for special given and "
        "household_heard occurred where payload.note present True)"
    )


def test_true_and_one_are_different_values() -> None:
    is_true = compile_condition(FieldTest.model_validate({"field": "facts.x", "equals": True}))
    is_one = compile_condition(FieldTest.model_validate({"field": "facts.x", "equals": 1}))

    class Ctx:
        def __init__(self, value: Any) -> None:
            self.value = value

        def root(self, head: str) -> Any:
            return {"x": self.value}

        def occurred(self, event_type: str, where: Any) -> bool:
            return False

        def has_consent(self, scope: str) -> bool:
            return False

    # Python's own == says True == 1; the compiled test does not mix bool and int (YAML 1.2
    # and JSON keep them apart: `equals: true` holds for true only) ...
    assert is_true.holds(Ctx(True)) and not is_true.holds(Ctx(1)) and not is_true.holds(Ctx(1.0))
    assert is_one.holds(Ctx(1)) and not is_one.holds(Ctx(True))
    # ... and the text of each says which value it compares with
    assert is_true.text != is_one.text
    negated = compile_condition(Not.model_validate({"not": {"field": "facts.x", "present": True}}))
    assert negated.holds(Ctx(None)) and not negated.holds(Ctx(0))
    assert Occurred.model_validate({"occurred": "x"}).occurred == "x"
