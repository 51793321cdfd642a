"""What the engine returns: verdicts, notifications, deadlines, deletions and the trace.

Plain frozen dataclasses (cheap to build on the hot path); ``to_dict``/``to_json`` give the
stable machine form: same input, same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mph_rules.decision_json import write_sorted_json

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


class _Serialisable:
    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = _plain(self)
        return result

    def to_json(self, *, indent: int | None = 2) -> str:
        """Sorted JSON, byte for byte what ``json.dumps(to_dict(), indent=indent,
        sort_keys=True, ensure_ascii=False)`` writes (tested); with an indent of 2 or none
        written from dicts ``decision_json`` fills, at a fraction of the cost."""
        if indent in (2, None):
            text = write_sorted_json(self, compact=indent is None)
            if text is not None:
                return text
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
