"""Compiled field tests (issue 13, item 3): the root of a field path is resolved when the
condition is compiled (an attribute getter on the engine's context), text comparisons are
built-in methods, and a test remembers which payload types are pydantic models. None of it
may change an answer: each compiled test must agree with the operator's definition (``same``:
YAML 1.2 / JSON types kept apart) on every kind of value, read from a dict, a pydantic model
or a context that only has ``root``."""

from __future__ import annotations

import enum
import itertools
from typing import Any

from pydantic import BaseModel

from mph_rules.conditions import MISSING, FieldTest, compile_condition
from mph_rules.conditions.nodes import same
from mph_rules.engine.state import CaseState, Context


class Kind(enum.StrEnum):
    ACCEPTED = "accepted"


class Payload(BaseModel):
    value: Any = None
    other: Any = None


class Other(BaseModel):  # a second model type read by the same test
    value: Any = None


VALUES: list[Any] = [
    MISSING,
    None,
    True,
    False,
    0,
    1,
    1.0,
    2,
    "1",
    "true",
    "",
    "accepted",
    "x",
    Kind.ACCEPTED,
    [],
    ["accepted"],
    ("accepted", "x"),
    {"value": 1},
]
TESTS: list[dict[str, Any]] = [
    {"equals": "accepted"},
    {"equals": "1"},
    {"equals": ""},
    {"equals": 1},
    {"equals": True},
    {"equals": False},
    {"in": ["accepted", "x"]},
    {"in": ["true", "1"]},
    {"in": []},
    {"in": [1, "x"]},
    {"present": True},
    {"present": False},
    {"at_least": 1},
    {"contains": "accepted"},
]


def reference(test: dict[str, Any], v: Any) -> bool:
    """The operators as documented, written plainly (absent and null never match a value)."""
    given = v is not MISSING and v is not None
    if "present" in test:
        return given == test["present"]
    if "equals" in test:
        return given and same(v, test["equals"])
    if "in" in test:
        return given and any(same(v, c) for c in test["in"])
    if "at_least" in test:
        number = isinstance(v, int | float) and not isinstance(v, bool)
        return number and v >= test["at_least"]
    return given and isinstance(v, list | tuple) and test["contains"] in v


class RootOnly:
    """A context that keeps only the protocol's promise (``root``)."""

    def __init__(self, roots: dict[str, Any]) -> None:
        self.roots = roots

    def root(self, head: str) -> Any:
        return self.roots.get(head, MISSING)

    def occurred(self, event_type: str, where: Any, since: str | None = None) -> bool:
        return False

    def has_consent(self, scope: str) -> bool:
        return False


def contexts(v: Any) -> list[Any]:
    """The value as payload.value, facts.value and settings.value, from each kind of holder."""
    given = {} if v is MISSING else {"value": v}
    state = CaseState("p", dict(given), {}, dict(given))
    out: list[Any] = [
        Context(state, None, dict(given)),
        RootOnly({"payload": dict(given), "facts": dict(given), "settings": dict(given)}),
    ]
    if v is not MISSING:
        out += [Context(state, None, Payload(value=v)), Context(state, None, Other(value=v))]
    return out


def test_each_compiled_field_test_answers_as_its_definition() -> None:
    for test, head in itertools.product(TESTS, ("payload", "facts", "settings")):
        node = compile_condition(FieldTest.model_validate({"field": f"{head}.value", **test}))
        for _ in range(2):  # the second round reads the model types the first remembered
            for v in VALUES:
                want = reference(test, v)
                for ctx in contexts(v):
                    got = node.holds(ctx)
                    assert type(got) is bool and got == want, (test, head, v, ctx)


def test_a_field_a_model_lacks_reads_as_absent() -> None:
    node = compile_condition(FieldTest.model_validate({"field": "payload.nope", "present": True}))
    ctx = Context(CaseState("p", {}, {}, {}), None, Payload(value=1))
    assert not node.holds(ctx) and not node.holds(ctx)
    assert compile_condition(
        FieldTest.model_validate({"field": "payload.nope", "present": False})
    ).holds(ctx)
