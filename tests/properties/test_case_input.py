"""The one-pass validation of a case given as a dict (case_input.fast_case) against
``Case.model_validate``: where the fast pass accepts, the usual path accepts too and builds
the same Case (classes, values, fields set, private state); where it refuses, the engine's
error is the usual path's error, because it comes from that path."""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from mph_rules import Engine, EventError, case_input, load_pack
from mph_rules.calendar import AMSTERDAM
from mph_rules.case_input import fast_case
from mph_rules.events import CORE_EVENTS, Case
from mph_rules.testing import strategies

from .hostile import mutated
from .profiles import active

PROFILE = active()
EXAMPLES = sorted((Path(__file__).parents[2] / "examples").rglob("*.yaml"))


def same(a: Any, b: Any, where: str = "case") -> None:
    """``a`` and ``b`` alike in class, value and, for models, fields set and private state."""
    assert type(a) is type(b), where
    if isinstance(a, BaseModel):
        assert list(a.__dict__) == list(b.__dict__), where
        assert a.__pydantic_fields_set__ == b.__pydantic_fields_set__, where
        assert a.__pydantic_extra__ == b.__pydantic_extra__, where
        mine, theirs = a.__pydantic_private__, b.__pydantic_private__
        assert (mine is None) == (theirs is None), where
        for key in mine or {}:
            same(mine[key], theirs[key], f"{where}.{key}")  # type: ignore[index]
        assert list(mine or {}) == list(theirs or {}), where
        for key, value in a.__dict__.items():
            same(value, b.__dict__[key], f"{where}.{key}")
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    else:
        assert a == b, where
        if isinstance(a, dt.datetime):
            assert a.tzinfo == b.tzinfo and type(a.tzinfo) is type(b.tzinfo), where


def agrees(data: Any) -> str:
    """Check the fast pass against model_validate on ``data``; which path decided."""
    fast = fast_case(data)
    try:
        usual = Case.model_validate(data)
    except ValidationError:
        assert fast is None, "the fast pass accepted what model_validate refuses"
        return "refused"
    if fast is None:
        return "fallback"
    same(fast, usual)
    assert fast == usual
    for mine, theirs in zip(fast.events, usual.events, strict=True):
        assert mine.type is theirs.type  # the vocabulary's own string (Event._one_string)
        assert mine.parsed is not mine.payload or "." in mine.type
    return "fast"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_example_takes_the_fast_pass_with_the_same_case(path: Path) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or "events" not in raw:
        pytest.skip("not a case")
    as_json = json.loads(json.dumps(raw, default=str))  # `at` and dates as text
    assert agrees(raw) == "fast"
    assert agrees(as_json) == "fast"


@settings(PROFILE, max_examples=4 * PROFILE.max_examples)
@given(data=st.data())
def test_generated_and_mutated_cases(engine: Engine, data: st.DataObject) -> None:
    case = data.draw(strategies.cases(engine, max_events=6), label="case")
    assert agrees(case) == "fast"
    agrees(data.draw(mutated(case), label="broken"))


EVENT = {"type": "household_heard", "at": "2024-03-11T10:00:00+01:00"}
BROKEN = {
    "naive time": {**EVENT, "at": "2024-03-11T10:00:00"},
    "naive datetime": {**EVENT, "at": dt.datetime(2024, 3, 11, 10, 0)},
    "number as time": {**EVENT, "at": 1710147600},
    "bool as time": {**EVENT, "at": True},
    "impossible date": {**EVENT, "at": "2023-02-29"},
    "year out of range": {**EVENT, "at": "1900-01-01"},
    "datetime subclass": {**EVENT, "at": type("D", (dt.datetime,), {})(2024, 3, 11)},
    "unknown payload field": {**EVENT, "payload": {"view_recorded": True, "nope": 1}},
    "payload field of the wrong type": {**EVENT, "payload": {"view_recorded": "yes"}},
    "required payload field missing": {**EVENT, "type": "escalated"},
    "unknown event type": {**EVENT, "type": "household_haerd"},
    "pack event, bad name": {**EVENT, "type": "pack.Bad"},
    "hidden field by its name": {**EVENT, "typed_payload": {}},
    "unknown key": {**EVENT, "extra": 1},
    "payload not a mapping": {**EVENT, "payload": [1]},
}


@pytest.fixture(scope="module")
def hilversum() -> Engine:
    return Engine(load_pack("hilversum"))


@pytest.mark.parametrize("flaw", sorted(BROKEN))
def test_a_broken_event_gets_the_usual_error(hilversum: Engine, flaw: str) -> None:
    """The fast pass refuses (so the error cannot be its own) and the engine's error is the
    one ``Case.model_validate`` gives, problem for problem."""
    case = {"id": "c", "events": [EVENT, BROKEN[flaw]]}
    assert fast_case(case) is None
    with pytest.raises(ValidationError) as usual:
        Case.model_validate(case)
    with pytest.raises(EventError) as got:
        hilversum.validate_case(case)
    assert len(got.value.problems) == usual.value.error_count()
    for problem, error in zip(got.value.problems, usual.value.errors(), strict=True):
        assert problem.message == str(error["msg"]).removeprefix("Value error, ")


def test_subject_checks_refuse_the_fast_pass() -> None:
    subjects = [{"id": "kid", "birth_date": "2024-06-01"}]
    born_later = {"type": "consent_given", "at": "2024-03-11", "payload": {"scope": "s"}}
    for case in (
        {"id": "c", "subjects": subjects * 2},
        {
            "id": "c",
            "subjects": subjects,
            "events": [{**born_later, "payload": {"scope": "s", "subject": "kid"}}],
        },
        {
            "id": "c",
            "subjects": subjects,
            "events": [{**born_later, "payload": {"scope": "s", "subject": "other"}}],
        },
    ):
        assert fast_case(case) is None
        with pytest.raises(ValidationError):
            Case.model_validate(case)


def test_pack_events_absent_payloads_and_zones() -> None:
    assert case_input._VALIDATOR is not None, "the fast pass is off: see case_input._REPLICATED"
    case = {
        "id": "c",
        "events": [
            {"type": "monitoring_ended", "at": dt.date(2024, 3, 11)},
            {"type": "household_heard", "at": dt.datetime(2024, 3, 11, 9, tzinfo=AMSTERDAM)},
            {"type": "hilversum.custom", "at": "2024-03-12", "payload": {"x": [1]}},
        ],
    }
    assert agrees(case) == "fast"
    fast = fast_case(case)
    assert fast is not None
    assert fast.events[2].parsed is fast.events[2].payload
    assert isinstance(fast.events[0].parsed, CORE_EVENTS["monitoring_ended"])
    assert fast.events[0].__pydantic_fields_set__ == {"type", "at"}


class _Text(str):
    """A str subclass (as an enum or a parser may hand over)."""


HEARD = {"type": "household_heard", "at": "2024-03-11", "actor": {"role": "x"}, "payload": {}}
OTHER_KINDS = {
    "event as OrderedDict": [OrderedDict(HEARD)],
    "payload as mappingproxy": [{**HEARD, "payload": MappingProxyType({"note": "n"})}],
    "actor as OrderedDict": [{**HEARD, "actor": OrderedDict(role="x")}],
    "type as a str subclass": [{**HEARD, "type": _Text("household_heard")}],
    "payload key as a str subclass": [{**HEARD, "payload": {_Text("note"): "n"}}],
    "role as a str subclass": [{**HEARD, "actor": {"role": _Text("x")}}],
    "events as a tuple": (HEARD,),
}


@pytest.mark.parametrize("kind", sorted(OTHER_KINDS))
def test_other_mappings_and_strings_agree(kind: str) -> None:
    assert agrees({"id": "c", "events": OTHER_KINDS[kind]}) in ("fast", "fallback")
