"""The JSON form of the result objects (``decision.py``) at speed: ``to_json`` with its default
indent, byte for byte what ``json.dumps(to_dict(), indent=2, sort_keys=True,
ensure_ascii=False)`` writes, written by orjson from dicts built by a function generated once
per result class from its fields' annotations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import types
import typing
from collections.abc import Callable
from typing import Any, Final

import orjson

_SCALARS = (str, int, bool, type(None))


def _plain_hint(hint: Any) -> bool:
    """Whether orjson writes a value of this annotation as ``json.dumps`` does, as it is:
    strings, integers, booleans, None and tuples of them (no dates, dicts or result objects)."""
    if hint in _SCALARS:
        return True
    args = typing.get_args(hint)
    if typing.get_origin(hint) is tuple:
        return len(args) == 2 and args[1] is Ellipsis and args[0] in _SCALARS
    return (
        bool(args)
        and typing.get_origin(hint) in (typing.Union, types.UnionType)
        and all(_plain_hint(arg) for arg in args)
    )


def _dated_hint(hint: Any) -> bool:
    args = typing.get_args(hint) or (hint,)
    return bool({dt.date, dt.datetime} & set(args)) and all(
        arg in _SCALARS or arg in (dt.date, dt.datetime) for arg in args
    )


def _result_class(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _objects_hint(hint: Any) -> bool:
    """A tuple of result objects (the trace, the verdicts)."""
    args = typing.get_args(hint)
    return (
        typing.get_origin(hint) is tuple
        and len(args) == 2
        and args[1] is Ellipsis
        and _result_class(args[0])
    )


def _field_exprs(cls: type, obj: str, scope: dict[str, Any]) -> list[tuple[str, str]]:
    """Each field of the result object ``obj`` (an expression), in sorted order, with the
    expression of what ``to_dict`` gives ``json.dumps`` for it as orjson must be given it:
    dates as their isoformat (or left to orjson where it writes the same), result objects and
    tuples of them as sorted dicts (encoded here, no call backs from orjson), free-form values
    (settings) with their dicts sorted. Nothing orjson has to sort: keys come in order."""
    hints = typing.get_type_hints(cls)
    exprs = []
    for name in sorted(f.name for f in dataclasses.fields(cls)):
        assert name.isidentifier()
        hint, value = hints[name], f"{obj}.{name}"
        if _plain_hint(hint):
            pass
        elif _dated_hint(hint):
            v = value
            value = (
                f"({v} if {v} is None or {v}.__class__ is _date or ({v}.__class__ is _datetime"
                f" and {v}.tzinfo in _NATIVE_TZ) else _moment({v}))"
            )
        elif _result_class(hint):
            key = _scope_name(scope, hint)
            value = f"(_e_{key}({value}) if {value}.__class__ is _c_{key} else _free({value}))"
        elif _objects_hint(hint):
            # each one written inline when its class holds no result objects itself
            item_class = typing.get_args(hint)[0]
            key = _scope_name(scope, item_class)
            item = _field_values(item_class, "x", scope) if _flat(item_class) else f"_e_{key}(x)"
            value = f"[{item} if x.__class__ is _c_{key} else _free(x) for x in {value}]"
        else:
            value = f"_free({value})"
        exprs.append((name, value))
    return exprs


def _field_values(cls: type, obj: str, scope: dict[str, Any]) -> str:
    """The dict display of one result object ``obj`` (an expression), keys in sorted order."""
    parts = [f"{name!r}: {value}" for name, value in _field_exprs(cls, obj, scope)]
    return f"{{{', '.join(parts)}}}"


def _flat(cls: type) -> bool:
    """A result class whose fields are all plain values or dates."""
    hints = typing.get_type_hints(cls)
    return all(_plain_hint(hint) or _dated_hint(hint) for hint in hints.values())


def _scope_name(scope: dict[str, Any], cls: type) -> str:
    key = cls.__name__
    if f"_c_{key}" not in scope:
        scope[f"_c_{key}"] = cls
        scope[f"_e_{key}"] = _encoder_of(cls)  # result classes do not contain themselves
    return key


def _scope() -> dict[str, Any]:
    return {
        "_date": dt.date,
        "_datetime": dt.datetime,
        "_NATIVE_TZ": _NATIVE_TZ,
        "_moment": _moment,
        "_free": _free,
    }


def _encoder(cls: type) -> Any:
    """A function from a result object to a dict of its fields in sorted order, nested result
    objects included, generated once per class as one dict display."""
    scope = _scope()
    source = f"lambda obj: {_field_values(cls, 'obj', scope)}"
    encode: Any = eval(source, scope)  # field names and annotations, checked above
    return encode


# one encoder per result class, built on first use (a pure function of the class: keyed on
# the few result classes, so bounded)
_encoder_of: Callable[[type], Any] = functools.cache(_encoder)


# The time zones of moments orjson writes exactly as ``isoformat`` does: none (a naive moment)
# and fixed offsets of whole minutes (orjson leaves out an offset's seconds; its dates and the
# rest of a moment are isoformat's, checked for every date and 200,000 random moments). Filled
# as moments are met; bounded, a pure function of the zone.
_NATIVE_TZ: dict[dt.tzinfo | None, bool] = {None: True, dt.UTC: True}
_MAX_NATIVE_TZ: Final = 4096


def _moment(value: Any) -> Any:
    """A date or moment that orjson is not trusted with, as its isoformat; remembers a fixed
    offset of whole minutes so that its later moments go to orjson directly."""
    if not isinstance(value, dt.date):
        return value
    zone = value.tzinfo if isinstance(value, dt.datetime) else None
    if zone.__class__ is dt.timezone and len(_NATIVE_TZ) < _MAX_NATIVE_TZ:
        offset = zone.utcoffset(None)
        if not (offset.seconds % 60 or offset.microseconds):
            _NATIVE_TZ[zone] = True
    return value.isoformat()


def _free(value: Any) -> Any:
    """A value of no fixed type (a pack's settings) as orjson must be given it to write what
    the sorted ``json.dumps`` of ``to_dict`` writes: dicts with their keys sorted (orjson is
    not asked to sort), dates as isoformat, result objects as sorted dicts. TypeError for
    what orjson writes otherwise than json (floats, integers past 64 bits, keys that are not
    strings, enums): ``to_json`` then leaves the whole object to ``json.dumps``."""
    cls = value.__class__
    if cls is str or cls is bool or value is None:
        return value
    if cls is int and -(2**63) <= value < 2**63:
        return value
    if cls is dict:
        if not all(key.__class__ is str for key in value):
            raise TypeError("a key that is not a string")
        return {key: _free(value[key]) for key in sorted(value)}
    if cls is list or cls is tuple:
        return [_free(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encoder_of(type(value))(value)
    raise TypeError(f"{cls.__name__} is left to json.dumps")


# no OPT_SORT_KEYS: the encoders give every dict in sorted order; a result object the encoders
# did not meet fails (TypeError) and the object is written by json.dumps instead
_ORJSON = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS


def write_sorted_json(obj: Any, *, compact: bool = False) -> str | None:
    """The sorted JSON of the result object ``obj``: with an indent of 2 written by orjson, or
    ``compact`` (``json.dumps``'s own separators, no indent) by json's C encoder from the same
    dicts (orjson has no such separators). None where a value is one orjson writes otherwise
    than ``json.dumps`` (floats, integers past 64 bits, keys that are not strings, enums,
    values of another type than declared): the caller then asks ``json.dumps``."""
    encode = _encoder_of(type(obj))
    try:
        if compact:
            return json.dumps(encode(obj), ensure_ascii=False, default=_isoformat)
        return orjson.dumps(encode(obj), option=_ORJSON).decode()
    except TypeError:  # orjson's JSONEncodeError is one
        return None


def _isoformat(value: Any) -> str:
    """json's fallback for the dates and moments the dicts leave to orjson."""
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is left to json.dumps of to_dict")
