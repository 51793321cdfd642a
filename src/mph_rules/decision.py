"""What the engine returns: verdicts, notifications, deadlines, deletions and the trace.

Plain frozen dataclasses (cheap to build on the hot path); ``to_dict``/``to_json`` give the
stable machine form: same input, same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import orjson

# The version of the published decision schema (``mph_rules/decision.schema.json``): raised when
# a field is renamed or removed or changes meaning; adding a field keeps it.
SCHEMA_VERSION = "1"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str) and type(value) is not str:
        return str(value)  # a pack's two-language text (Bilingual): plain data carries its English
    return value


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
        "_take": _take,
    }


def _encoder(cls: type) -> Any:
    """A function from a result object to a dict of its fields in sorted order, nested result
    objects included, generated once per class as one dict display."""
    scope = _scope()
    source = f"lambda obj: {_field_values(cls, 'obj', scope)}"
    encode: Any = eval(source, scope)  # field names and annotations, checked above
    return encode


class _Writer:
    """What ``to_json`` hands orjson for one result class, built by a function generated once
    per class. The dicts of the objects in its tuples of flat result objects (the trace, the
    event verdicts, the notifications: nearly every dict of a decision) are not built afresh
    but refilled: a dict display costs about twice storing the same values into a dict that
    already holds the keys (and then freeing it). A call takes a set of these dicts from
    ``spare`` (or makes one) and gives it back when orjson has written them, so calls in
    several threads never share one; each set keeps at most ``_POOLED`` dicts per field, and
    only the values of the last object written are held on to."""

    __slots__ = ("fill", "pools", "spare")

    def __init__(self, cls: type) -> None:
        scope = _scope()
        lines, parts, pools = [], [], 0
        hints = typing.get_type_hints(cls)
        for name, value in _field_exprs(cls, "obj", scope):
            hint = hints[name]
            item_class = typing.get_args(hint)[0] if _objects_hint(hint) else None
            if item_class is None or not _flat(item_class):
                parts.append(f"{name!r}: {value}")
                continue
            key, i = _scope_name(scope, item_class), pools
            scope[f"_k{i}"] = tuple(sorted(f.name for f in dataclasses.fields(item_class)))
            lines += [
                f"    seq = obj.{name}",
                "    n = len(seq)",
                f"    pool = pools[{i}]",
                f"    out{i} = pool[:n] if len(pool) >= n else _take(pool, n, _k{i})",
                "    j = 0",
                "    for x in seq:",
                f"        if x.__class__ is _c_{key}:",
                f"            d = out{i}[j]",
                *(
                    f"            d[{field!r}] = {expr}"
                    for field, expr in _field_exprs(item_class, "x", scope)
                ),
                "        else:",
                f"            out{i}[j] = _free(x)",
                "        j += 1",
            ]
            parts.append(f"{name!r}: out{i}")
            pools += 1
        source = "\n".join(["def fill(obj, pools):", *lines, f"    return {{{', '.join(parts)}}}"])
        exec(source, scope)  # field names and annotations, checked in _field_exprs
        self.fill: Callable[[Any, list[list[dict[str, Any]]]], dict[str, Any]] = scope["fill"]
        self.pools = pools
        self.spare: list[list[list[dict[str, Any]]]] = []

    def take(self) -> list[list[dict[str, Any]]]:
        try:
            return self.spare.pop()
        except IndexError:  # none spare (first call, or every set in use by other threads)
            return [[] for _ in range(self.pools)]

    def give(self, pools: list[list[dict[str, Any]]]) -> None:
        if len(self.spare) < _SPARE_SETS:
            self.spare.append(pools)


_POOLED: Final = 1024  # dicts kept per field of a result class (a longer tuple gets new ones)
_SPARE_SETS: Final = 4  # sets of kept dicts per result class (threads writing at once)


def _take(pool: list[dict[str, Any]], n: int, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """``n`` dicts with ``keys`` (in that order): the pool's, grown up to ``_POOLED``."""
    if len(pool) < _POOLED:
        pool.extend(dict.fromkeys(keys) for _ in range(min(n, _POOLED) - len(pool)))
    out = pool[:n]
    out.extend(dict.fromkeys(keys) for _ in range(n - len(out)))
    return out


def _writer_of(cls: type) -> _Writer:
    writer = _WRITERS.get(cls)
    if writer is None:
        writer = _WRITERS[cls] = _Writer(cls)
    return writer


_WRITERS: dict[type, _Writer] = {}


def _encoder_of(cls: type) -> Any:
    encode = _ENCODERS.get(cls)
    if encode is None:
        encode = _ENCODERS[cls] = _encoder(cls)
    return encode


_ENCODERS: dict[type, Any] = {}


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


class _Serialisable:
    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = _plain(self)
        return result

    def to_json(self, *, indent: int | None = 2) -> str:
        """Sorted JSON; with the default indent of 2 written by orjson from dicts the class's
        ``_Writer`` fills with the keys already in order, byte for byte what
        ``json.dumps(to_dict(), indent=2, sort_keys=True, ensure_ascii=False)`` writes
        (tested), at a fraction of the cost."""
        if indent == 2:
            writer = _writer_of(type(self))
            pools = writer.take()
            try:
                return orjson.dumps(writer.fill(self, pools), option=_ORJSON).decode()
            except TypeError:  # a value orjson does not write as json does (floats, big ints)
                pass
            finally:
                writer.give(pools)
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class TraceEntry(_Serialisable):
    """One rule considered: what it did and why, with its citation."""

    rule: str
    outcome: str  # allowed | denied | fired | not_applicable | default_deny | overridden
    reason: str
    source: str | None = None
    origin: str | None = None  # the pack the rule came from (covenant or baseline)
    event: int | None = None


ALLOWED, DENIED, UNSPECIFIED = "allowed", "denied", "unspecified"
"""The three verdicts (design.md v2); `unspecified` where a deciding rule says the source
leaves the outcome open. The boolean `allowed` stays: it is false only for `denied`."""


def _settle_verdict(item: Any) -> None:
    # `verdict` defaults from `allowed` so v1 call sites keep working unchanged.
    if not item.verdict:
        object.__setattr__(item, "verdict", ALLOWED if item.allowed else DENIED)


@dataclass(frozen=True, slots=True)
class Finding(_Serialisable):
    """A compliance flag: the act happened (or was allowed) but breaches a rule (v2)."""

    code: str  # precondition_not_met | record_missing | wrong_form | content_missing | ...
    rule: str
    message: str
    source: str | None = None
    event: int | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict(_Serialisable):
    """Answer to a point query or an event: allowed or not, which rules decided, why."""

    allowed: bool
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    trace: tuple[TraceEntry, ...] = ()
    verdict: str = ""  # allowed | denied | unspecified; defaults from `allowed`
    findings: tuple[Finding, ...] = ()

    def __post_init__(self) -> None:
        _settle_verdict(self)


@dataclass(frozen=True, slots=True)
class IntakeVerdict(_Serialisable):
    eligible: bool
    met: tuple[str, ...]
    failed: tuple[str, ...]
    undetermined: tuple[str, ...]
    reasons: tuple[str, ...]
    trace: tuple[TraceEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class EventVerdict(_Serialisable):
    index: int
    type: str
    at: dt.date | dt.datetime
    allowed: bool
    phase_before: str
    phase_after: str
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    id: str | None = None
    in_force: bool = True
    verdict: str = ""  # allowed | denied | unspecified; defaults from `allowed`
    subjects: tuple[str, ...] | None = None  # the subjects the event concerns; None: all

    def __post_init__(self) -> None:
        _settle_verdict(self)


@dataclass(frozen=True, slots=True)
class Notification(_Serialisable):
    """A required notification (information duty or answer to a data-subject request)."""

    id: str
    duty: str
    recipient: str
    informer: str
    about: str
    trigger_event: int
    status: str  # pending | done | overdue | waived
    due: dt.date | None
    due_at: dt.datetime | None
    asap: bool
    counting: str | None
    source: str
    origin: str
    done_event: int | None = None
    late: bool = False
    ground: str | None = None
    reason: str | None = None
    outcome: str | None = None
    note: str | None = None
    subject: str | None = None  # v2: the data subject of a per-subject duty
    addressee: str | None = None  # v2 representation: subject | legal_representative


@dataclass(frozen=True, slots=True)
class ProcessDeadlineStatus(_Serialisable):
    id: str
    rule: str
    label: str
    start_event: int
    status: str  # pending | met | late | overdue
    due: dt.date | None
    counting: str | None
    source: str
    met_event: int | None = None
    responsible: str | None = None
    note: str | None = None
    due_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Deletion(_Serialisable):
    """When a data scope must be deleted, or why no date is known yet."""

    scope: str
    date: dt.date | None
    rule: str | None
    reason: str
    source: str | None = None
    trigger_event: int | None = None
    anchor: dt.date | None = None
    steps: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    held: bool = False
    alert_on: dt.date | None = None
    subject: str | None = None  # v2: the data subject of a per-subject clock
    surviving_fields: tuple[str, ...] = ()  # v2: fields kept (anonymised) after the date


@dataclass(frozen=True, slots=True)
class RecordStatus(_Serialisable):
    """Something that must be written down, and whether it was (v2)."""

    id: str
    rule: str
    what: str
    status: str  # required | done | missing
    source: str
    trigger_event: int
    by: str | None = None
    due: dt.date | None = None
    done_event: int | None = None
    subject: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class OpenPoint(_Serialisable):
    """A `conflict` or unspecified marker the case touched, and what decides it (v2)."""

    rule: str
    kind: str  # conflict | unspecified
    note: str
    source: str | None = None
    setting: str | None = None
    reading: str | None = None
    events: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class AllowedAction(_Serialisable):
    event: str
    roles: tuple[str, ...] | str
    allowed: bool
    reason: str
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class RoleAccess(_Serialisable):
    role: str
    read: tuple[str, ...]
    write: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PackRef(_Serialisable):
    id: str
    version: str
    content_hash: str
    engine_version: str
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CaseDecision(_Serialisable):
    """Everything the engine concludes about a case as of one moment."""

    pack: PackRef
    case_id: str
    as_of: dt.date | dt.datetime
    phase: str
    events: tuple[EventVerdict, ...]
    allowed_actions: tuple[AllowedAction, ...]
    access: tuple[RoleAccess, ...]
    notifications: tuple[Notification, ...]
    deadlines: tuple[ProcessDeadlineStatus, ...]
    deletions: tuple[Deletion, ...]
    trace: tuple[TraceEntry, ...]
    ignored_after_as_of: int = 0
    schema_version: str = SCHEMA_VERSION
    records: tuple[RecordStatus, ...] = ()
    findings: tuple[Finding, ...] = ()
    open_points: tuple[OpenPoint, ...] = ()
    owner: str | None = None  # v2: the role owning the case in its current phase


@dataclass(frozen=True, slots=True)
class Consequences(_Serialisable):
    """What one event posted to a live case changed (``CaseSession.post``)."""

    verdict: EventVerdict
    phase: str
    opened: tuple[Notification, ...]
    settled: tuple[str, ...]
    deletions: tuple[Deletion, ...]
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class DueItems(_Serialisable):
    """What has fallen due at a moment (``CaseSession.due``): overdue notifications and
    deadlines, and deletions whose date has come."""

    at: dt.date | dt.datetime
    notifications: tuple[Notification, ...]
    deadlines: tuple[ProcessDeadlineStatus, ...]
    deletions: tuple[Deletion, ...]


_T = TypeVar("_T")


def builder(cls: type[_T], *, settle: bool = True) -> Callable[..., _T]:
    """A constructor for the frozen result class ``cls``: same signature, and what it returns
    equals ``cls(...)`` (same type, same fields, still frozen), at the cost of a plain slots
    class. A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``,
    about three times the cost of a plain attribute store, and the engine builds a hundred of
    these per evaluation. The instance is built as a private twin with the same slots and then
    given ``cls`` as its class (the layouts are identical, so Python allows it).
    ``settle=False`` leaves out ``__post_init__``: only for callers that always pass what it
    would settle (a non-empty ``verdict``)."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in fields]
    slots = getattr(cls, "__slots__", ())
    if tuple(slots) != tuple(names) or len(cls.__bases__) != 1:
        raise TypeError(f"{cls.__name__}: not a frozen slots result class")
    twin = type(f"_{cls.__name__}Builder", cls.__bases__, {"__slots__": tuple(slots)})
    scope: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls}
    params = []
    for f in fields:
        assert f.name.isidentifier() and f.default_factory is dataclasses.MISSING
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            scope[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
    body = [f"    o.{name} = {name}" for name in names]
    post = getattr(cls, "__post_init__", None)
    if post is not None and settle:
        scope["_post"] = post
        body.append("    _post(o)")
    head = [f"def make({', '.join(params)}):", "    o = _new(_twin)"]
    source = "\n".join([*head, *body, "    o.__class__ = _cls", "    return o"])
    exec(source, scope)  # field names only, checked above
    make: Callable[..., _T] = scope["make"]
    make.__doc__ = f"Build a {cls.__name__} (see decision.builder)."
    return make


new_trace_entry = builder(TraceEntry)
new_verdict = builder(Verdict)
new_event_verdict = builder(EventVerdict)
# the engine's per-event verdicts always carry their verdict word: nothing to settle
new_settled_event_verdict = builder(EventVerdict, settle=False)
new_notification = builder(Notification)
new_deadline_status = builder(ProcessDeadlineStatus)
new_deletion = builder(Deletion)
new_record_status = builder(RecordStatus)
new_finding = builder(Finding)
new_open_point = builder(OpenPoint)
new_allowed_action = builder(AllowedAction)
new_case_decision = builder(CaseDecision)
