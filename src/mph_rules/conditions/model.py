"""The condition language as pack data: one pydantic model per YAML shape, with no eval.

A condition is data (YAML mapping) of one of these shapes::

    {all: [c, ...]}  {any: [c, ...]}  {not: c}
    {field: payload.outcome, equals: accepted}
    {field: facts.life_domains, count_at_least: 3}
    {field: payload.categories, contains_any: [police_identity]}
    {occurred: household_heard}            # an earlier allowed event of this type
    {occurred: hearing_waived, where: {...}}
    {occurred: household_informed, since: plan_established}   # v2: after the latest of these
    {field: payload.review_at, at_most_field: payload.expected_until}   # v2: two fields
    {consent: special_data}                # consent for this scope, given and not withdrawn

These models are what a pack is parsed into; ``conditions.nodes`` compiles them once into one
node per operator (``holds``, ``describe``, ``reads``) for evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

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


class AllOf(BaseModel):
    model_config = _FROZEN
    all: tuple[Condition, ...] = Field(min_length=1)


class AnyOf(BaseModel):
    model_config = _FROZEN
    any: tuple[Condition, ...] = Field(min_length=1)


class Not(BaseModel):
    model_config = _FROZEN
    not_: Condition = Field(alias="not")


OPERATORS = (
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
COMPARES = ("equals_field", "at_least_field", "at_most_field")
"""v2: operators that compare the field with another field (numbers, or ISO dates)."""
_PATH = r"^(payload|facts|actor|subject|request|settings)(\.[A-Za-z0-9_]+)*$"


_V2_KEYS = frozenset({"since", *COMPARES})


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
    equals_field: str | None = Field(default=None, pattern=_PATH)
    at_least_field: str | None = Field(default=None, pattern=_PATH)
    at_most_field: str | None = Field(default=None, pattern=_PATH)

    @model_validator(mode="after")
    def _one_operator(self) -> FieldTest:
        given = [op.rstrip("_") for op in OPERATORS if getattr(self, op) is not None]
        if len(given) != 1:
            names = ", ".join(op.rstrip("_") for op in OPERATORS)
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


__all__ = [
    "COMPARES",
    "MISSING",
    "OPERATORS",
    "AllOf",
    "AnyOf",
    "Condition",
    "ConsentGiven",
    "FieldTest",
    "Not",
    "Occurred",
]
