"""The condition language: structured predicates over an event's context, with no eval.

A condition is data (YAML mapping) of one of these shapes::

    {all: [c, ...]}  {any: [c, ...]}  {not: c}
    {field: payload.outcome, equals: accepted}
    {field: facts.life_domains, count_at_least: 3}
    {field: payload.categories, contains_any: [police_identity]}
    {occurred: household_heard}            # an earlier allowed event of this type
    {occurred: hearing_waived, where: {...}}
    {occurred: household_informed, since: plan_established}   # v2: after the latest of these
    {field: payload.answered_on, at_least_field: payload.received_on}   # v2: two fields
    {consent: special_data}                # consent for this scope, given and not withdrawn

Each condition explains itself (``describe``) so a trace can say why a rule did not apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    Tag,
    model_serializer,
    model_validator,
)

_FROZEN = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

MISSING: Any = object()


class ConditionContext(Protocol):
    """What a condition may look at; the engine supplies it, tests may fake it."""

    def lookup(self, path: str) -> Any:
        """The value at a dotted path (``payload.outcome``), or ``MISSING``."""

    def occurred(self, event_type: str, where: Condition | None, since: str | None = None) -> bool:
        """Whether an earlier, allowed event of this type (matching ``where``) happened
        (v2: not before the latest earlier event of type ``since``, if one happened)."""

    def has_consent(self, scope: str) -> bool:
        """Whether consent for ``scope`` was given and not withdrawn."""


class AllOf(BaseModel):
    model_config = _FROZEN
    all: tuple[Condition, ...] = Field(min_length=1)


class AnyOf(BaseModel):
    model_config = _FROZEN
    any: tuple[Condition, ...] = Field(min_length=1)


class Not(BaseModel):
    model_config = _FROZEN
    not_: Condition = Field(alias="not")


_OPERATORS = (
    "equals",
    "in_",
    "at_least",
    "at_most",
    "count_at_least",
    "contains",
    "contains_any",
    "present",
    "equals_field",
    "at_least_field",
    "at_most_field",
)
_PATH = r"^(payload|facts|actor|subject|request|settings)(\.[A-Za-z0-9_]+)*$"
_COMPARES = {"equals_field", "at_least_field", "at_most_field"}


_V2_KEYS = frozenset({"since", "equals_field", "at_least_field", "at_most_field"})


class _V2Quiet(BaseModel):
    """Leaves v2 keys out of a dump while unused, so a v1 pack hashes as it always did."""

    @model_serializer(mode="wrap")
    def _without_unused_v2(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for key in _V2_KEYS:
                if data.get(key, 0) is None:
                    del data[key]
        return data


class FieldTest(_V2Quiet):
    """A test of one value in the context; exactly one operator is given."""

    model_config = _FROZEN
    field: str = Field(
        pattern=r"^(payload|facts|actor|subject|request|settings)(\.[A-Za-z0-9_]+)*$"
    )
    equals: str | int | bool | None = None
    in_: tuple[str | int, ...] | None = Field(default=None, alias="in")
    at_least: StrictInt | None = None
    at_most: StrictInt | None = None
    count_at_least: StrictInt | None = None
    contains: str | None = None
    contains_any: tuple[str, ...] | None = None
    present: StrictBool | None = None
    # v2: compare with another field (numbers, or ISO dates as text or dates)
    equals_field: str | None = Field(default=None, pattern=_PATH)
    at_least_field: str | None = Field(default=None, pattern=_PATH)
    at_most_field: str | None = Field(default=None, pattern=_PATH)

    @model_validator(mode="after")
    def _one_operator(self) -> FieldTest:
        given = [op.rstrip("_") for op in _OPERATORS if getattr(self, op) is not None]
        if len(given) != 1:
            names = ", ".join(op.rstrip("_") for op in _OPERATORS)
            found = ", ".join(given) or "none"
            raise ValueError(f"a field test needs exactly one operator of {names}; found {found}")
        return self


class Occurred(_V2Quiet):
    model_config = _FROZEN
    occurred: str
    where: Condition | None = None
    since: str | None = Field(
        default=None, description="v2: only after the latest earlier event of this type"
    )


class ConsentGiven(BaseModel):
    model_config = _FROZEN
    consent: str


def _shape(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return {
            AllOf: "all",
            AnyOf: "any",
            Not: "not",
            FieldTest: "field",
            Occurred: "occurred",
            ConsentGiven: "consent",
        }.get(type(value))
    if isinstance(value, Mapping):
        for key in ("all", "any", "not", "field", "occurred", "consent"):
            if key in value:
                return key
    return None


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[FieldTest, Tag("field")]
    | Annotated[Occurred, Tag("occurred")]
    | Annotated[ConsentGiven, Tag("consent")],
    Discriminator(
        _shape,
        custom_error_type="condition_shape",
        custom_error_message=(
            "a condition is a mapping with one of the keys all, any, not, field, occurred, consent"
        ),
    ),
]

for _model in (AllOf, AnyOf, Not, Occurred):
    _model.model_rebuild()


def _as_count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Sequence) and not isinstance(value, str):
        return len(value)
    return None


def _same(value: Any, expected: Any) -> bool:
    """Equality without Python's bool/int mixing: ``equals: true`` holds for true only, never
    for 1, 1.0 or "true" (YAML 1.2 and JSON types are kept)."""
    if isinstance(expected, bool) or isinstance(value, bool):
        return type(value) is type(expected) and value == expected
    return bool(value == expected)


def _field_holds(test: FieldTest, value: Any) -> bool:
    if test.present is not None:
        return (value is not MISSING and value is not None) == test.present
    if value is MISSING or value is None:
        return False
    if test.equals is not None:
        return _same(value, test.equals)
    if test.in_ is not None:
        return any(_same(value, item) for item in test.in_)
    if test.at_least is not None or test.at_most is not None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if test.at_least is not None:
            return value >= test.at_least
        return test.at_most is not None and value <= test.at_most
    if test.count_at_least is not None:
        count = _as_count(value)
        return count is not None and count >= test.count_at_least
    if isinstance(value, str) or not isinstance(value, Sequence):
        return False
    if test.contains is not None:
        return test.contains in value
    return test.contains_any is not None and any(item in value for item in test.contains_any)


def _comparable(value: Any) -> Any:
    if isinstance(value, bool) or value is MISSING or value is None:
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return None


def _compare(op: str, left: Any, right: Any) -> bool:
    """v2 two-field tests: false when either side is missing or they are not comparable."""
    a, b = _comparable(left), _comparable(right)
    if a is None or b is None:
        return False
    if op == "equals_field":
        return bool(a == b)
    try:
        return bool(a >= b) if op == "at_least_field" else bool(a <= b)
    except TypeError:
        return False


def holds(condition: Condition, ctx: ConditionContext) -> bool:
    """Evaluate ``condition`` in ``ctx``; pure, no side effects."""
    if isinstance(condition, AllOf):
        return all(holds(c, ctx) for c in condition.all)
    if isinstance(condition, AnyOf):
        return any(holds(c, ctx) for c in condition.any)
    if isinstance(condition, Not):
        return not holds(condition.not_, ctx)
    if isinstance(condition, FieldTest):
        for op in _COMPARES:
            other = getattr(condition, op)
            if other is not None:
                return _compare(op, ctx.lookup(condition.field), ctx.lookup(other))
        return _field_holds(condition, ctx.lookup(condition.field))
    if isinstance(condition, Occurred):
        if condition.since is not None:
            return ctx.occurred(condition.occurred, condition.where, condition.since)
        return ctx.occurred(condition.occurred, condition.where)
    return ctx.has_consent(condition.consent)


def describe(condition: Condition) -> str:
    """A readable rendering of a condition for traces and generated docs."""
    if isinstance(condition, AllOf):
        return "(" + " and ".join(describe(c) for c in condition.all) + ")"
    if isinstance(condition, AnyOf):
        return "(" + " or ".join(describe(c) for c in condition.any) + ")"
    if isinstance(condition, Not):
        return "not " + describe(condition.not_)
    if isinstance(condition, Occurred):
        extra = f" where {describe(condition.where)}" if condition.where else ""
        if condition.since is not None:
            extra += f" since the latest {condition.since}"
        return f"{condition.occurred} occurred{extra}"
    if isinstance(condition, ConsentGiven):
        return f"consent for {condition.consent} given"
    for op in _OPERATORS:
        value = getattr(condition, op)
        if value is not None:
            shown = list(value) if isinstance(value, tuple) else value
            if op in _COMPARES:
                return f"{condition.field} {op[:-6].replace('_', ' ')} {shown}"
            return f"{condition.field} {op.rstrip('_').replace('_', ' ')} {shown}"
    return condition.field  # unreachable: the validator requires one operator


def referenced_fields(condition: Condition, *, inside_occurred: bool = True) -> set[str]:
    """Field paths a condition reads (for reference checks). With ``inside_occurred=False``,
    only those read from the event being judged, not from the earlier events ``occurred``
    looks at."""
    if isinstance(condition, AllOf | AnyOf):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        return set().union(*(referenced_fields(c, inside_occurred=inside_occurred) for c in parts))
    if isinstance(condition, Not):
        return referenced_fields(condition.not_, inside_occurred=inside_occurred)
    if isinstance(condition, Occurred) and condition.where is not None and inside_occurred:
        return referenced_fields(condition.where)
    if isinstance(condition, FieldTest):
        others = {getattr(condition, op) for op in _COMPARES} - {None}
        return {condition.field, *others}
    return set()


def referenced_events(condition: Condition) -> set[str]:
    """Event types a condition refers to (for reference checks and lint)."""
    if isinstance(condition, AllOf | AnyOf):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        return set().union(*(referenced_events(c) for c in parts))
    if isinstance(condition, Not):
        return referenced_events(condition.not_)
    if isinstance(condition, Occurred):
        inner = referenced_events(condition.where) if condition.where else set()
        since = {condition.since} if condition.since else set()
        return {condition.occurred} | inner | since
    return set()


__all__ = [
    "MISSING",
    "AllOf",
    "AnyOf",
    "Condition",
    "ConditionContext",
    "ConsentGiven",
    "FieldTest",
    "Not",
    "Occurred",
    "describe",
    "holds",
    "referenced_events",
    "referenced_fields",
]
