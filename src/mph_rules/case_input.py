"""A case given as plain data (a dict from JSON or YAML), validated in one pydantic pass.

``Case.model_validate`` runs five Python validators per event and validates each core
payload a second time from Python (the event's own model validator picks the payload model
by the event's type). Here the same field schemas are composed into one core schema: a tagged
union on ``type`` validates each payload with its typed model in the same pass, and what the
Python validators did is done in one loop afterwards. The result is the same ``Case`` (same
classes, values, fields set, private state).

Only acceptance is fast: wherever this pass refuses an input, or cannot tell, the caller
validates with ``Case.model_validate``, so every error is exactly that path's error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from pydantic_core import CoreSchema, SchemaValidator
from pydantic_core import core_schema as cs

from mph_rules.events import (
    CORE_EVENTS,
    FIRST_YEAR,
    LAST_YEAR,
    Case,
    Event,
    Payload,
    moment_from_text,
    subject_problems,
)

# the hidden field that takes the typed payload (read from the input's "payload" key too);
# moved to the event's private slot afterwards, as ``Event._typed_payload`` would store it
_TYPED = "typed_payload"
_PACK_TYPE = r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$"  # Event.type's pattern, with the pack prefix
_ZONES = frozenset({dt.timezone, ZoneInfo})  # zones whose utcoffset is never None
# the Python validators of Event and Case whose work _finish does; should they change, the
# fast pass is off (every case goes the usual way) until _finish is updated
_REPLICATED: dict[type[BaseModel], tuple[set[str], set[str]]] = {
    Event: ({"_one_string", "_parse_moment", "_aware"}, {"_typed_payload"}),
    Case: (set(), {"_subjects_consistent"}),
}


class _Undecided(Exception):
    """The fast pass cannot tell: the caller takes ``Case.model_validate``."""


def fast_case(data: Any) -> Case | None:
    """``Case.model_validate(data)`` for a valid case given as a dict; None where the data is
    not a dict or not valid (the caller then validates it the usual way, for its errors)."""
    if type(data) is not dict or _VALIDATOR is None:
        return None
    try:
        case: Case = _VALIDATOR.validate_python(data)
        _finish(case)
    except Exception:  # ValidationError, _Undecided, or whatever hostile input provokes:
        return None  # the usual path decides, and raises what it raises
    return case


def _finish(case: Case) -> None:
    """What the Python validators of Event and Case do, on the validated case."""
    set_private, first, last = object.__setattr__, FIRST_YEAR, LAST_YEAR
    named = False  # whether an event's payload names a subject (see subject_problems)
    for event in case.events:
        fields = event.__dict__
        # a core event's type is already the vocabulary's own string (Event._one_string):
        # its literal schema gives back the object it was built with
        parsed = fields.pop(_TYPED, None)
        if parsed is None:
            parsed = fields["payload"]  # a pack event: its payload mapping
        else:
            event.__pydantic_fields_set__.discard(_TYPED)
        if "subject" in fields["payload"]:
            named = True
        # Event._parse_moment and Event._aware (events.aware, inlined)
        at = fields["at"]
        if type(at) is str:
            try:
                at = fields["at"] = moment_from_text(at)
            except ValueError:
                raise _Undecided from None
        kind_of_at = type(at)
        if kind_of_at is dt.datetime:
            # aware by its kind of zone: a fixed offset (ISO text, YAML) or an IANA zone;
            # no zone (refused) and other zone classes go the usual way
            if type(at.tzinfo) not in _ZONES:
                raise _Undecided
        elif kind_of_at is not dt.date:
            raise _Undecided  # other kinds of `at`: as pydantic's union reads them
        if not first <= at.year <= last:
            raise _Undecided
        set_private(event, "__pydantic_private__", {"_parsed": parsed, "_moment": None})
    set_private(case, "__pydantic_private__", {"_checked": None})
    if subject_problems(case, events=named):
        raise _Undecided


def _field(schema: Any) -> Any:
    """A field schema of the real models, without its refs (each model appears once per
    choice here, and a ref may be defined only once)."""
    if isinstance(schema, dict):
        return {k: _field(v) for k, v in schema.items() if k != "ref"}
    if isinstance(schema, list):
        return [_field(v) for v in schema]
    return schema


def _model(model: type[BaseModel]) -> dict[str, Any]:
    """The inside of a model's core schema (under its Python validator, if it has one)."""
    schema: Any = model.__pydantic_core_schema__
    while schema["type"] != "model":
        schema = schema["schema"]
    return dict(schema)


def _typed_default(payload: type[Payload]) -> Callable[[], Any]:
    validate = payload.__pydantic_validator__.validate_python
    return lambda: validate({})


def _event_schema() -> CoreSchema:
    """Per core type a model schema of Event whose payload is read twice: as the mapping
    (``payload``) and as the typed model (the hidden field); one more choice for pack
    events. Event's other field schemas as they are, ``at`` taken as given (see _finish)."""
    event = _model(Event)
    fields = event["schema"]["fields"]
    same = {name: _field(f) for name, f in fields.items() if name not in ("type", "at")}
    # by alias only: the hidden field must not be given by its own name
    config = {**event["config"], "validate_by_name": False}

    def choice(kind: CoreSchema, typed: dict[str, Any]) -> CoreSchema:
        at = cs.model_field(cs.any_schema())
        body = {"type": cs.model_field(kind), "at": at, **same, **typed}
        inner = cs.model_fields_schema(body, model_name="Event")
        return cs.model_schema(Event, inner, config=config)  # type: ignore[arg-type]

    choices: dict[Any, CoreSchema] = {}
    for name, payload in CORE_EVENTS.items():
        schema = _field(payload.__pydantic_core_schema__)  # with any validator of its own
        required = any(
            f["schema"]["type"] != "default" for f in _model(payload)["schema"]["fields"].values()
        )
        if not required:
            schema = cs.with_default_schema(schema, default_factory=_typed_default(payload))
        typed = {_TYPED: cs.model_field(schema, validation_alias="payload")}
        choices[name] = choice(cs.literal_schema([name]), typed)
    core = cs.tagged_union_schema(choices, discriminator="type")
    pack = choice(cs.str_schema(pattern=_PACK_TYPE), {})
    return cs.union_schema([core, pack], mode="left_to_right")


def _case_schema() -> CoreSchema:
    case = _model(Case)
    fields = {name: _field(f) for name, f in case["schema"]["fields"].items()}
    fields["events"] = cs.model_field(
        cs.with_default_schema(cs.tuple_variable_schema(_event_schema()), default=())
    )
    return cs.model_schema(
        Case, cs.model_fields_schema(fields, model_name="Case"), config=case["config"]
    )


def _replicated() -> bool:
    """Whether _finish does the work of every Python validator of Event and Case."""
    for model, (fields, whole) in _REPLICATED.items():
        found = model.__pydantic_decorators__
        if set(found.field_validators) != fields or set(found.model_validators) != whole:
            return False
    return True


_VALIDATOR = SchemaValidator(_case_schema()) if _replicated() else None

__all__ = ["fast_case"]
