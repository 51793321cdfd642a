"""Live case streams on durable-rules: events arrive one by one, consequences come back at once.

Install with ``pip install 'mph-rules[durable]'`` (durable-rules 2.0.28, built from source:
a C compiler and Python headers; it does not import on Python 3.13 or later). This is the only
module that imports durable-rules, and only when a backend is created.

Why it is built this way (``shared/notes/durable-rules.md`` measured each defect named here):

* durable-rules decides *which pack rules an event triggers* (a Rete over event type, phase
  and the event-local part of each rule's condition) and *which timers have expired* on a
  virtual clock. Everything else (conditions on history, dates, notifications, verdicts) is
  the pure engine's own code, run on only the rules durable matched. The pure engine stays the
  evaluator of record; ``tests/test_backend_durable.py`` checks that both agree.
* A private host whose background threads never start: no dispatch races, no lost results.
* Matching is stateless: each event is a fact asserted and retracted on a scratch session that
  is deleted in ``finally`` (facts, not events: with events only one matching rule fires).
* Per-case timer sessions use pooled slot names, never case ids (sessions are found by a 32-bit
  FNV-1a hash, so two case ids can share one), at most 1,000 per ruleset (durable refuses the
  1,025th session), with more rulesets beyond that.
* Virtual clock: a timer is a ``$baseTime`` message, ``tick`` asserts a ``$time`` pulse; durable's
  wall-clock timers (whole seconds, can fire early, lost on restart) are never used.
* Exceptions inside actions, which durable swallows into the session state, are raised.
* ``close`` deletes every session and ruleset: durable has no public way to free them.
* ``ChildProcessBackend`` runs all of this in a worker process, because durable can segfault.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import importlib
import importlib.metadata
import itertools
import multiprocessing
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mph_rules.calendar import AMSTERDAM, compute_deadline, parse_duration
from mph_rules.compile import CompiledPack
from mph_rules.conditions import AllOf, AnyOf, Condition, FieldTest
from mph_rules.decision import (
    CaseDecision,
    Consequences,
    Deletion,
    DueItems,
    Notification,
    ProcessDeadlineStatus,
)
from mph_rules.engine import CaseSession, Engine, Step
from mph_rules.errors import EventError, Problem
from mph_rules.events import Event
from mph_rules.loading import load_pack
from mph_rules.schema import Deadline, Pack

Moment = dt.date | dt.datetime
PackLike = Pack | CompiledPack | Engine | str | Path

DURABLE_RULES_VERSION = "2.0.28"
"""The release this adapter was built and tested against; it relies on its internals."""
SLOTS_PER_RULESET = 1000
"""Live cases per clock ruleset: durable refuses the 1,025th session of a ruleset."""

_SCRATCH = "m"  # the one session of the match ruleset; deleted after every event
_PULSE = "$pulse"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FAR = dt.date(9000, 1, 1)  # "every item with a due moment" for CaseSession.due
_END_OF_TIME = 2**62  # µs: a pulse that fires every timer
_ids = itertools.count()


class BackendUnavailable(ImportError):
    """durable-rules is not installed, or does not import on this Python."""


class BackendError(RuntimeError):
    """durable-rules failed, or broke an assumption this adapter relies on."""


class WorkerCrashed(BackendError):
    """The worker process died during a call. The call was not applied; the worker was
    restarted and every open case replayed from its log."""


# --- loading durable-rules ------------------------------------------------------------------


@dataclass(frozen=True)
class _Durable:
    engine: Any  # the module durable.engine
    native: Any  # the C extension durable_rules_engine
    quiet_host: type


_loaded: _Durable | None = None
_load_lock = threading.Lock()


def _no_threads(self: Any) -> None:
    """Replaces ``Host._run``, which starts two self-re-arming timer threads per host."""


def _durable() -> _Durable:
    global _loaded
    with _load_lock:
        if _loaded is not None:
            return _loaded
        try:
            engine = importlib.import_module("durable.engine")
            native = importlib.import_module("durable_rules_engine")
        except Exception as exc:  # not installed, or e.g. "undefined symbol" on Python 3.13
            raise BackendUnavailable(
                f"the durable backend needs durable-rules {DURABLE_RULES_VERSION}: "
                "pip install 'mph-rules[durable]' (it builds from source, so it needs a C "
                "compiler and the Python headers, and it does not import on Python 3.13 or "
                f"later); importing it failed: {exc}"
            ) from exc
        try:
            found = importlib.metadata.version("durable-rules")
        except importlib.metadata.PackageNotFoundError:
            found = "unknown"
        if found != DURABLE_RULES_VERSION:
            raise BackendUnavailable(
                f"the durable backend relies on internals of durable-rules "
                f"{DURABLE_RULES_VERSION}; found {found}: pip install 'mph-rules[durable]'"
            )
        missing = [
            name
            for name, ok in (
                ("Host._run", callable(getattr(engine.Host, "_run", None))),
                ("delete_ruleset", callable(getattr(native, "delete_ruleset", None))),
                ("MessageNotHandledException", hasattr(engine, "MessageNotHandledException")),
            )
            if not ok
        ]
        if missing:
            raise BackendUnavailable(f"durable-rules lacks internals this backend uses: {missing}")
        quiet = type(
            "QuietHost",
            (engine.Host,),
            {"_run": _no_threads, "__doc__": "A durable host without background threads."},
        )
        _loaded = _Durable(engine, native, quiet)
        return _loaded


def available() -> bool:
    """Whether durable-rules is installed here in the version this backend needs."""
    try:
        _durable()
    except BackendUnavailable:
        return False
    return True


def fnv1a32(text: str) -> int:
    """durable's identity of sessions and messages: FNV-1a over the UTF-8 bytes read as C
    ``char`` (signed on x86-64, so bytes >= 0x80 are sign-extended), with no full-key compare."""
    h = 0x811C9DC5
    for b in text.encode():
        h ^= b if b < 0x80 else (b | 0xFFFFFF00)
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


# --- compiling a pack into durable rules ------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """One durable rule and the pack rule (or lifecycle acceptance) it stands for."""

    kind: str
    label: str
    expr: dict[str, Any]
    item: Any = None


def _or(terms: list[dict[str, Any]]) -> dict[str, Any]:
    return terms[0] if len(terms) == 1 else {"$or": terms}


def _and(terms: list[dict[str, Any]]) -> dict[str, Any]:
    return terms[0] if len(terms) == 1 else {"$and": terms}


_KEY = re.compile(r"^[A-Za-z0-9_]+$")


def _field_key(path: str) -> str | None:
    """The fact key carrying an event-local field (``payload.x``, ``actor.role``), if any."""
    head, _, rest = path.partition(".")
    if not rest or not _KEY.match(rest):
        return None
    if head == "payload":
        return f"p_{rest}"
    if head == "actor" and rest in ("role", "party"):
        return f"a_{rest}"
    return None


def _condition(cond: Condition | None, keys: set[str]) -> dict[str, Any] | None:
    """A durable expression that holds whenever ``cond`` does (None: no pre-filter).

    Only the event-local, string-valued part is compiled; anything else (history, consent,
    numbers, booleans, negation) is left to the engine, which re-checks every condition. So
    durable may let through a rule that does not apply, never drop one that does.
    """
    if cond is None:
        return None
    if isinstance(cond, AllOf):
        parts = [p for c in cond.all if (p := _condition(c, keys)) is not None]
        return _and(parts) if parts else None
    if isinstance(cond, AnyOf):
        anyparts = [_condition(c, keys) for c in cond.any]
        if any(p is None for p in anyparts):
            return None
        return _or([p for p in anyparts if p is not None])
    if not isinstance(cond, FieldTest):
        return None
    key = _field_key(cond.field)
    if key is None:
        return None
    if cond.present is not None:
        keys.add(key)
        return {"$ex" if cond.present else "$nex": {f"h{key}": 1}}
    if isinstance(cond.equals, str):
        keys.add(key)
        return {f"v{key}": cond.equals}
    if cond.in_ and all(isinstance(v, str) for v in cond.in_):
        keys.add(key)
        return _or([{f"v{key}": v} for v in cond.in_])
    return None


def _trigger(event: str, cond: Condition | None, keys: set[str], *extra: dict[str, Any]) -> Any:
    terms: list[dict[str, Any]] = [{"type": event}, *extra]
    compiled = _condition(cond, keys)
    if compiled is not None:
        terms.append(compiled)
    return _and(terms)


def _match_rules(cp: CompiledPack) -> tuple[list[_Rule], frozenset[str]]:
    """Every event-keyed rule of the pack as a durable rule, and the fact keys they read."""
    keys: set[str] = set()
    rules: list[_Rule] = []
    for (phase, event), transitions in cp.transitions.items():
        for tr in transitions:
            # structural only: the engine traces a transition whose role or condition fails
            rules.append(_Rule("transition", tr.id, _and([{"type": event}, {"phase": phase}]), tr))
    for phase, accepted in sorted(cp.accepts.items()):
        if accepted:
            expr = _and([{"phase": phase}, _or([{"type": t} for t in sorted(accepted)])])
            rules.append(_Rule("accept", f"{phase} accepts the event", expr, phase))
    if cp.always:
        expr = _or([{"type": t} for t in sorted(cp.always)])
        rules.append(_Rule("always", "accepted in every phase", expr))
    for event, pres in cp.preconditions.items():
        for pre in pres:
            rules.append(_Rule("precondition", pre.id, _trigger(event, pre.when, keys), pre))
    for event, duties in cp.duties_by_trigger.items():
        for duty in duties:
            rules.append(_Rule("duty", duty.id, _trigger(event, duty.trigger.when, keys), duty))
    for duty in cp.duties.values():
        keys.update(("p_duty", "p_about"))
        fulfil = [
            {"$and": [{"type": "notification_sent"}, {"vp_duty": duty.id}]},
            {"$and": [{"type": "household_informed"}, {"vp_about": duty.about}]},
            *(_trigger(ref.event, ref.when, keys) for ref in duty.fulfilled_by),
        ]
        for expr in fulfil:
            rules.append(_Rule("fulfil", duty.id, expr, duty))
    for event, deadlines in cp.deadlines_by_start.items():
        for dl in deadlines:
            rules.append(_Rule("deadline_start", dl.id, _trigger(event, dl.start.when, keys), dl))
    for event, deadlines in cp.deadlines_by_until.items():
        for dl in deadlines:
            rules.append(_Rule("deadline_until", dl.id, _trigger(event, dl.until.when, keys), dl))
    for event, clocks in cp.clocks_by_trigger.items():
        for clock in clocks:
            rules.append(_Rule("clock", clock.id, _trigger(event, clock.trigger.when, keys), clock))
    for clock in cp.clocks:
        for ref in clock.cancelled_by:
            rules.append(_Rule("cancel", clock.id, _trigger(ref.event, ref.when, keys), clock))
    return rules, frozenset(keys)


def _recorder(index: int) -> Callable[[Any], None]:
    """Exactly one parameter and no defaults: durable runs any other action asynchronously,
    and an asynchronous action's results never reach the caller."""

    def record(c: Any) -> None:
        c.s.fired = [*(c.s.fired or ()), index]

    return record


def _on_due(c: Any) -> None:
    c.s.due = [*(c.s.due or ()), c.base["$timerName"]]


def _timeout_rule() -> dict[str, Any]:
    # the form durable.lang.timeout() compiles to, for any timer name
    return {
        "all": [
            {"base": {"$ex": {"$timerName": 1}}},
            {"timeout": {"$gte": {"$time": {"base": "$baseTime"}}}},
        ],
        "run": _on_due,
    }


def _micros(moment: dt.datetime) -> int:
    """Exact integer microseconds since the epoch: the virtual clock's unit."""
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


def _instant(at: Moment, *, end_of_day: bool) -> dt.datetime:
    if isinstance(at, dt.datetime):
        return at.astimezone(AMSTERDAM)
    t = dt.time.max if end_of_day else dt.time.min
    return dt.datetime.combine(at, t, tzinfo=AMSTERDAM)


def _cutoff(now: Moment) -> dt.datetime:
    """As the engine reads ``as_of``: a date means the end of that Amsterdam day."""
    if isinstance(now, dt.datetime) and now.utcoffset() is None:
        raise EventError([Problem("now needs a UTC offset, or give a plain date", code="MPH-A002")])
    return _instant(now, end_of_day=True)


# --- the durable side: one private host per backend -------------------------------------------


class _Rulesets:
    """A private host holding the match ruleset and the clock rulesets (shards of slots)."""

    def __init__(self, cp: CompiledPack) -> None:
        self._d = _durable()
        self.host = self._d.quiet_host()
        self.rules, self.keys = _match_rules(cp)
        stem = re.sub(r"[^A-Za-z0-9_]", "_", cp.pack.pack.id)
        self._prefix = f"mph_{stem}_{next(_ids)}"
        self.match_name = f"{self._prefix}_match"
        # set_rulesets mutates its argument (it deletes 'run'): always build a fresh one
        definition = {
            f"r{i}": {"all": [{"m": rule.expr}], "run": _recorder(i)}
            for i, rule in enumerate(self.rules)
        }
        self._create({self.match_name: definition})
        self.clock_names: list[str] = []
        self._free: list[list[str]] = []
        self._slot_names = _slot_names(SLOTS_PER_RULESET)
        self.closed = False
        self.broken = ""

    def _create(self, definitions: dict[str, Any]) -> None:
        try:
            self.host.set_rulesets(definitions)
        except Exception as exc:  # durable reports bad definitions as bare error codes
            raise BackendError(f"durable-rules refused the compiled rules: {exc}") from exc

    def _ruleset(self, name: str) -> Any:
        return self.host.get_ruleset(name)

    # matching ---------------------------------------------------------------------------------

    def match(self, fact: dict[str, Any]) -> list[int]:
        """Indexes of every rule the fact matches: assert, read, retract, delete the session.

        The session is deleted only once the fact is retracted: durable's delete_state frees
        a session's join memory before its messages (a use-after-free that crashes), so a
        session must hold no message when it is deleted.
        """
        self._check_usable()
        exc_type = self._d.engine.MessageNotHandledException
        try:
            self.host.assert_fact(self.match_name, fact)
        except exc_type:
            return []
        except Exception as exc:
            self.broken = f"asserting {fact} failed: {_text(exc)}"
            raise BackendError(f"durable-rules failed: {self.broken}") from exc
        try:
            state: dict[str, Any] = self.host.get_state(self.match_name, _SCRATCH)
            self.host.retract_fact(self.match_name, fact)
        except Exception as exc:
            # the fact may still be stored and would match the next event: stop here
            self.broken = f"retracting {fact} failed: {_text(exc)}"
            raise BackendError(f"durable-rules failed: {self.broken}") from exc
        self._delete_state(self.match_name, _SCRATCH)
        _raise_if_failed(state)
        fired = state.get("fired") or []
        if not all(isinstance(i, int) and 0 <= i < len(self.rules) for i in fired):
            raise BackendError(f"durable-rules reported unknown rules {fired}")
        return sorted(set(fired))

    def _check_usable(self) -> None:
        if self.closed:
            raise BackendError("this live backend is closed")
        if self.broken:
            raise BackendError(f"this live backend is unusable: {self.broken}")

    # clocks -----------------------------------------------------------------------------------

    def acquire(self) -> tuple[int, str]:
        """A free slot (shard, session name), adding a clock ruleset when all are taken."""
        self._check_usable()
        for shard, free in enumerate(self._free):
            if free:
                return shard, free.pop()
        name = f"{self._prefix}_clock{len(self.clock_names)}"
        self._create({name: {"due": _timeout_rule()}})
        self.clock_names.append(name)
        self._free.append(list(reversed(self._slot_names)))
        return len(self.clock_names) - 1, self._free[-1].pop()

    def release(self, slot: tuple[int, str]) -> None:
        """Empty the slot's session (fire every timer left: see ``match`` on why a session
        must hold no message when deleted), delete it and return the slot to the pool."""
        shard, sid = slot
        self.pulse(slot, _END_OF_TIME)
        self._delete_state(self.clock_names[shard], sid)
        self._free[shard].append(sid)

    def arm(self, slot: tuple[int, str], tid: str, base: int) -> None:
        """A timer: a ``$baseTime`` message, what durable's start_timer stores, but on the
        virtual clock. Never retracted (retracting then deleting a session crashed durable):
        a timer no longer wanted stays until it fires and is then ignored."""
        self._check_usable()
        shard, sid = slot
        message = {"sid": sid, "id": tid, "$timerName": tid, "$baseTime": base}
        try:
            self.host.post(self.clock_names[shard], message)
        except Exception as exc:
            raise BackendError(f"durable-rules refused timer {tid}: {_text(exc)}") from exc

    def pulse(self, slot: tuple[int, str], time: int) -> list[str]:
        """Assert the virtual time ``time`` (µs) on a slot: the names of the timers it fires."""
        self._check_usable()
        shard, sid = slot
        name = self.clock_names[shard]
        message = {"sid": sid, "id": _PULSE, "$time": time}
        state: dict[str, Any] = {}
        try:
            self.host.update_state(name, {"sid": sid, "due": []})
            try:
                self.host.assert_fact(name, message)
            except self._d.engine.MessageNotHandledException:
                return []
            state = self.host.get_state(name, sid)
        except Exception as exc:
            raise BackendError(f"durable-rules failed on the clock pulse: {_text(exc)}") from exc
        finally:
            with contextlib.suppress(Exception):  # not asserted, or already gone
                self.host.retract_fact(name, message)
        _raise_if_failed(state)
        return list(state.get("due") or ())

    # cleanup ----------------------------------------------------------------------------------

    def _delete_state(self, name: str, sid: str) -> None:
        try:
            self.host.delete_state(name, sid)
        except Exception as exc:
            if "309" not in str(exc):  # 309: no such session, nothing to free
                raise BackendError(f"durable-rules failed to delete a session: {exc}") from exc

    def close(self) -> None:
        """Free every ruleset (private ``delete_ruleset``: durable has no public way)."""
        if self.closed:
            return
        self.closed = True
        for name in (self.match_name, *self.clock_names):
            handle = self._ruleset(name)._handle
            self._d.native.delete_ruleset(handle)
        self.host = None


def _slot_names(count: int) -> tuple[str, ...]:
    """Session names whose 32-bit hashes are all distinct (so no two slots share a session)."""
    names: list[str] = []
    seen: set[int] = set()
    for n in itertools.count():
        if len(names) == count:
            break
        name = f"s{n}"
        h = fnv1a32(name)
        if h not in seen:
            seen.add(h)
            names.append(name)
    return tuple(names)


def _text(exc: BaseException) -> str:
    return str(getattr(exc, "message", "") or exc or type(exc).__name__)


def _raise_if_failed(state: Mapping[str, Any]) -> None:
    """durable catches exceptions inside actions and stores them in the session state."""
    if "exception" in state:
        raise BackendError(f"a durable action failed: {state['exception']}")


# --- the live backend -----------------------------------------------------------------------------


def _engine(pack: PackLike, settings: Mapping[str, Any] | None) -> Engine:
    if isinstance(pack, Engine):
        return pack
    if isinstance(pack, str | Path):
        pack = load_pack(pack)
    return Engine(pack, settings=settings)


class LiveBackend:
    """Many live cases of one pack on one private durable host, each case isolated.

    Thread-safe: one lock serialises every call into durable (its C state has no locks).
    """

    def __init__(self, pack: PackLike, *, settings: Mapping[str, Any] | None = None) -> None:
        self.engine = _engine(pack, settings)
        self._lock = threading.RLock()
        self._rulesets = _Rulesets(self.engine.compiled)
        self._cases: dict[str, LiveCase] = {}
        lifecycle = self.engine.pack.lifecycle
        self._deadline_rules = {d.id: d for d in (lifecycle.deadlines if lifecycle else ())}

    @property
    def cases(self) -> tuple[str, ...]:
        return tuple(self._cases)

    @property
    def rules(self) -> int:
        """How many durable rules the pack compiled to (durable fails somewhere near 480)."""
        return len(self._rulesets.rules)

    def open(
        self,
        case_id: str,
        *,
        facts: Mapping[str, Any] | None = None,
        subjects: Any = (),
    ) -> LiveCase:
        """Start a live case; its id must not be open already."""
        return LiveCase(self, case_id, facts=facts, subjects=subjects)

    def case(self, case_id: str) -> LiveCase:
        try:
            return self._cases[case_id]
        except KeyError:
            raise EventError([Problem(f"no open live case {case_id!r}", code="MPH-C008")]) from None

    def tick(self, now: Moment) -> dict[str, DueItems]:
        """Advance the virtual clock of every open case; what fell due, per case."""
        with self._lock:
            out = {}
            for case_id, case in list(self._cases.items()):
                due = case.tick(now)
                if due.notifications or due.deadlines or due.deletions:
                    out[case_id] = due
            return out

    def close(self) -> None:
        """Close every case and free durable's memory; the backend is unusable afterwards."""
        with self._lock:
            for case in list(self._cases.values()):
                case.close()
            self._rulesets.close()

    def __enter__(self) -> LiveBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # used by LiveCase ---------------------------------------------------------------------------

    def _register(self, case: LiveCase) -> None:
        if self._rulesets.closed:
            raise BackendError("this live backend is closed")
        if case.case_id in self._cases:
            raise EventError(
                [Problem(f"live case {case.case_id!r} is already open", code="MPH-C009")]
            )
        self._cases[case.case_id] = case

    def _view(self, fired: Sequence[int], kind: str, phase: str) -> tuple[Step, tuple[str, ...]]:
        """The engine's plan step for (event type, phase) narrowed to the rules durable matched.

        Each part is filtered from the plan's own step, so a rule durable matched wrongly can
        never be added: durable can only narrow. The engine is neither copied nor changed.
        """
        cp = self.engine.compiled
        full = self.engine.plan.step(kind, phase)
        rules = [self._rulesets.rules[i] for i in fired]
        hit = {id(r.item) for r in rules if r.item is not None}
        kinds = {r.kind for r in rules}
        accept = {r.item for r in rules if r.kind == "accept"}

        def narrow(items: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(x for x in items if id(x) in hit)

        view = dataclasses.replace(
            full,
            transitions=narrow(full.transitions),
            accepted=(
                ("always" in kinds and kind in cp.always)
                or (phase in accept and kind in cp.accepts.get(phase, ()))
            ),
            preconditions=narrow(full.preconditions),
            duties=narrow(full.duties),
            fulfils="fulfil" in kinds and full.fulfils,
            deadlines_start=narrow(full.deadlines_start),
            deadlines_until=narrow(full.deadlines_until),
            clocks_trigger=narrow(full.clocks_trigger),
            clocks_cancel=narrow(full.clocks_cancel) if "cancel" in kinds else (),
        )
        labels = tuple(dict.fromkeys(f"{r.kind}:{r.label}" for r in rules))
        return view, labels

    def _fact(self, event: Event, phase: str, seq: int) -> dict[str, Any]:
        fact: dict[str, Any] = {"sid": _SCRATCH, "id": f"e{seq}", "type": event.type}
        fact["phase"] = phase
        values: list[tuple[str, Any]] = []
        if event.actor is not None:
            values += [("a_role", event.actor.role), ("a_party", event.actor.party)]
        p = event.parsed
        names: Iterable[tuple[str, Any]] = (
            p.items()
            if isinstance(p, Mapping)
            else ((n, getattr(p, n, None)) for n in type(p).model_fields)
        )
        values += [(f"p_{n}", v) for n, v in names]
        keys = self._rulesets.keys
        for key, value in values:
            if key not in keys or value is None:
                continue
            fact[f"h{key}"] = 1
            if isinstance(value, str):
                fact[f"v{key}"] = str(value)
        return fact


@dataclass
class _Timer:
    tid: str
    base: int
    item: Notification | ProcessDeadlineStatus | Deletion


def _as_event(event: Event | Mapping[str, Any], session: CaseSession) -> Event:
    if isinstance(event, Event):
        return event
    try:
        return Event.model_validate(event)
    except ValidationError:
        session.post(event)  # raises the engine's own EventError for this input
        raise AssertionError("unreachable: the engine accepted what pydantic refused") from None


class LiveCase:
    """One live case: ``post`` an event, get its consequences; ``tick`` a virtual clock, get
    what fell due (each item once). ``LiveCase(pack, case_id)`` gets a private backend;
    ``LiveCase(backend, case_id)`` (or ``backend.open``) shares one across many cases.
    """

    def __init__(
        self,
        pack: PackLike | LiveBackend,
        case_id: str,
        *,
        facts: Mapping[str, Any] | None = None,
        subjects: Any = (),
    ) -> None:
        self._owns = not isinstance(pack, LiveBackend)
        backend = pack if isinstance(pack, LiveBackend) else LiveBackend(pack)
        self._backend = backend
        self.case_id = case_id
        self._session = backend.engine.session(case_id, facts=facts, subjects=subjects)
        self._slot: tuple[int, str] | None = None
        self._timers: dict[str, _Timer] = {}  # key of an item -> its live timer
        self._pending: dict[str, str | None] = {}  # timers in durable: tid -> key (None: stale)
        self._tid_hashes: set[int] = {fnv1a32(_PULSE)}
        self._fired: set[str] = set()
        self._moments: list[Moment] = []
        self._deadline_due: dict[str, dt.datetime | None] = {}
        self._last_tick: dt.datetime | None = None
        self._seq = 0
        self._closed = False
        self.matched: tuple[str, ...] = ()
        """The durable rules the last event posted matched (``kind:rule id``)."""
        with backend._lock:
            backend._register(self)

    @property
    def phase(self) -> str:
        return self._session.phase

    @property
    def closed(self) -> bool:
        return self._closed

    def post(self, event: Event | Mapping[str, Any]) -> Consequences:
        """Apply one event; EventError (and no change) if it is malformed or out of order."""
        with self._backend._lock:
            self._check_open()
            ev = _as_event(event, self._session)
            phase = self._session.phase
            self._seq += 1
            fired = self._backend._rulesets.match(self._backend._fact(ev, phase, self._seq))
            view, labels = self._backend._view(fired, ev.type, phase)
            consequences = self._session.post(ev, step=view)
            self._moments.append(ev.at)
            self.matched = labels
            self._schedule()
            return consequences

    def tick(self, now: Moment) -> DueItems:
        """What fell due by ``now`` since the last tick: overdue notifications and deadlines,
        deletions whose date has come. The clock is virtual and never goes back."""
        with self._backend._lock:
            self._check_open()
            cutoff = _cutoff(now)
            if self._last_tick is not None and cutoff < self._last_tick:
                why = f"tick at {now} is earlier than the last tick; the clock never goes back"
                raise EventError([Problem(why, code="MPH-C010")])
            self._last_tick = cutoff
            if not self._pending or self._slot is None:
                return DueItems(now, (), (), ())
            tids = self._backend._rulesets.pulse(self._slot, _micros(cutoff))
            unknown = [t for t in tids if t not in self._pending]
            if unknown:
                raise BackendError(f"durable-rules fired timers this case never set: {unknown}")
            fired: list[tuple[int, str, _Timer]] = []
            for tid in tids:
                key = self._pending.pop(tid)
                self._tid_hashes.discard(fnv1a32(tid))
                timer = self._timers.get(key) if key is not None else None
                if key is not None and timer is not None and timer.tid == tid:
                    del self._timers[key]
                    self._fired.add(key)
                    fired.append((timer.base, key, timer))
            fired.sort(key=lambda t: (t[0], t[1]))
            return _due_items(now, [timer.item for _, _, timer in fired])

    def due(self, now: Moment) -> DueItems:
        """Everything due at ``now`` (the pure engine's level view, not only what is new)."""
        with self._backend._lock:
            return self._session.due(now)

    def decision(self, as_of: Moment) -> CaseDecision:
        """The full decision as of ``as_of`` (from the pure engine's state of this case)."""
        with self._backend._lock:
            return self._session.decision(as_of)

    def close(self) -> None:
        """Free this case's durable session and slot (and its private backend, if any)."""
        with self._backend._lock:
            if self._closed:
                return
            self._closed = True
            if self._slot is not None and not self._backend._rulesets.closed:
                self._backend._rulesets.release(self._slot)
            self._slot = None
            self._timers.clear()
            self._pending.clear()
            self._backend._cases.pop(self.case_id, None)
            if self._owns:
                self._backend.close()

    def __enter__(self) -> LiveCase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # timers -------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError(f"live case {self.case_id!r} is closed")

    def _schedule(self) -> None:
        """Make the armed timers match every open item that has a due moment."""
        pending = self._session.due(_FAR)
        want: dict[str, tuple[int, Notification | ProcessDeadlineStatus | Deletion]] = {}
        for n in pending.notifications:
            if n.due_at is not None:
                at = _micros(n.due_at)
                want[f"n:{n.id}@{at}"] = (at + 1, n)  # overdue once the cutoff is past due_at
        for d in pending.deadlines:
            due_at = self._deadline_due_at(d)
            if due_at is not None:
                at = _micros(due_at)
                want[f"d:{d.id}@{at}"] = (at + 1, d)
        for x in pending.deletions:
            if x.date is not None:
                start = _micros(_instant(x.date, end_of_day=False))
                want[f"x:{x.scope}@{x.date.isoformat()}"] = (start, x)  # due from its first moment
        for key in [k for k in self._timers if k not in want]:
            self._pending[self._timers.pop(key).tid] = None  # stale: ignored when it fires
        self._fired &= set(want)
        for key, (base, item) in want.items():
            if key in self._timers or key in self._fired:
                continue
            if self._slot is None:
                self._slot = self._backend._rulesets.acquire()
            tid = self._new_tid()
            self._backend._rulesets.arm(self._slot, tid, base)
            self._timers[key] = _Timer(tid, base, item)
            self._pending[tid] = key

    def _new_tid(self) -> str:
        """A message id unique in this case's session by its 32-bit hash too."""
        while True:
            self._seq += 1
            tid = f"t{self._seq}"
            h = fnv1a32(tid)
            if h not in self._tid_hashes:
                self._tid_hashes.add(h)
                return tid

    def _deadline_due_at(self, d: ProcessDeadlineStatus) -> dt.datetime | None:
        """The exact due moment (the status carries only the day): the same calendar function
        and working-day calendar (the pack's setting) the engine uses, from the start event's
        moment."""
        if d.id not in self._deadline_due:
            rule = self._backend._deadline_rules.get(d.rule)
            due_at: dt.datetime | None = None
            if (
                rule is not None
                and isinstance(rule.deadline, Deadline)
                and rule.deadline.duration is not None
            ):
                result = compute_deadline(
                    self._moments[d.start_event],
                    parse_duration(rule.deadline.duration),
                    rule.deadline.counting,
                    rule.deadline.anchor,
                    working_days=self._backend.engine.working,  # the pack's "werkdagen" list
                )
                due_at = result.due_at
            self._deadline_due[d.id] = due_at
        return self._deadline_due[d.id]


def _due_items(
    now: Moment, items: Sequence[Notification | ProcessDeadlineStatus | Deletion]
) -> DueItems:
    notes = tuple(i for i in items if isinstance(i, Notification))
    deadlines = tuple(i for i in items if isinstance(i, ProcessDeadlineStatus))
    deletions = tuple(i for i in items if isinstance(i, Deletion))
    return DueItems(now, notes, deadlines, deletions)


# --- child-process mode ---------------------------------------------------------------------------


def _worker(conn: Any, pack: Any, settings: Mapping[str, Any] | None) -> None:
    """The worker's loop: one LiveBackend, requests in, results (or the error) out."""
    try:
        backend = LiveBackend(pack, settings=settings)
    except BaseException as exc:
        conn.send(_failure(exc))
        return
    conn.send(("ok", None))
    while True:
        try:
            op, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if op == "stop":
                backend.close()
                conn.send(("ok", None))
                return
            conn.send(("ok", _serve(backend, op, args)))
        except BaseException as exc:
            conn.send(_failure(exc))


def _serve(backend: LiveBackend, op: str, args: tuple[Any, ...]) -> Any:
    if op == "open":
        case_id, facts, subjects = args
        backend.open(case_id, facts=facts, subjects=subjects)
        return None
    if op == "tick_all":
        return backend.tick(args[0])
    case = backend.case(args[0])
    if op == "post":
        return case.post(args[1])
    if op == "tick":
        return case.tick(args[1])
    if op == "decision":
        return case.decision(args[1])
    if op == "close":
        case.close()
        return None
    raise BackendError(f"unknown request {op!r}")


def _failure(exc: BaseException) -> tuple[str, Any, Any]:
    # exceptions of this library carry a list of problems that does not survive pickling
    if isinstance(exc, EventError):
        return ("event_error", None, exc.problems)
    if isinstance(exc, BackendUnavailable):
        return ("unavailable", None, str(exc))
    return ("error", type(exc).__name__, str(exc))


@dataclass
class _Log:
    """A case's accepted requests, in order: replayed into a restarted worker."""

    facts: Mapping[str, Any] | None
    subjects: Any
    ops: list[tuple[str, Any]]


class ChildProcessBackend:
    """``LiveBackend`` in a worker process, for long-running services.

    durable-rules can crash the interpreter (a reproducible segfault, upstream #381). Here a
    crash costs the worker only: the call raises ``WorkerCrashed`` and is not applied, a new
    worker starts and every open case is replayed from the requests this side logged. A case
    that keeps crashing can be continued on the pure engine with ``ChildCase.pure_session()``.
    """

    def __init__(
        self,
        pack: Pack | str | Path,
        *,
        settings: Mapping[str, Any] | None = None,
        start_method: str = "spawn",
    ) -> None:
        self._pack = pack
        self._settings = dict(settings) if settings else None
        self._ctx: Any = multiprocessing.get_context(start_method)
        self._lock = threading.RLock()
        self._logs: dict[str, _Log] = {}
        self._proc: Any = None
        self._conn: Any = None
        self.restarts = 0
        self._closed = False
        self._start()

    @property
    def pid(self) -> int | None:
        """The worker's process id (for monitoring)."""
        return int(self._proc.pid) if self._proc is not None else None

    def open(
        self,
        case_id: str,
        *,
        facts: Mapping[str, Any] | None = None,
        subjects: Any = (),
    ) -> ChildCase:
        with self._lock:
            subjects = list(subjects)
            self._call("open", case_id, facts, subjects)
            self._logs[case_id] = _Log(facts, subjects, [])
            return ChildCase(self, case_id)

    def tick(self, now: Moment) -> dict[str, DueItems]:
        with self._lock:
            result: dict[str, DueItems] = self._call("tick_all", now)
            for log in self._logs.values():
                log.ops.append(("tick", now))
            return result

    def close(self) -> None:
        """Stop the worker (it frees durable's memory on the way out)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._conn.send(("stop", ()))
                self._conn.recv()
            except (EOFError, OSError):
                pass
            self._stop()

    def __enter__(self) -> ChildProcessBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # plumbing ---------------------------------------------------------------------------------

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_worker, args=(child, self._pack, self._settings), daemon=True
        )
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        self._receive("start")

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join()
        self._proc = self._conn = None

    def _call(self, op: str, *args: Any) -> Any:
        if self._closed:
            raise BackendError("this backend is closed")
        if self._proc is None:
            self._restart()
        try:
            self._conn.send((op, args))
        except (OSError, ValueError):
            self._crashed(op)
        return self._receive(op)

    def _receive(self, op: str) -> Any:
        try:
            status, kind, payload = _unpack(self._conn.recv())
        except (EOFError, OSError):
            self._crashed(op)
        if status == "ok":
            return payload
        if status == "event_error":
            raise EventError(payload)
        if status == "unavailable":
            self._stop()
            raise BackendUnavailable(payload)
        raise BackendError(f"{kind}: {payload}")

    def _crashed(self, op: str) -> Any:
        code = None
        if self._proc is not None:
            self._proc.join(timeout=5)
            code = self._proc.exitcode
        self._stop()
        replayed = "; replaying the open cases failed too"
        try:
            self._restart()
            replayed = f"; a new worker replayed {len(self._logs)} open case(s)"
        except WorkerCrashed:
            pass
        raise WorkerCrashed(
            f"the durable worker died (exit code {code}) during {op!r}; the call "
            f"was not applied{replayed}"
        )

    def _restart(self) -> None:
        self.restarts += 1
        try:
            self._start()
            for case_id, log in self._logs.items():
                self._conn.send(("open", (case_id, log.facts, log.subjects)))
                self._receive("replay")
                for op, arg in log.ops:
                    self._conn.send((op, (case_id, arg)))
                    self._receive("replay")
        except (WorkerCrashed, EOFError, OSError) as exc:
            self._stop()
            raise WorkerCrashed(f"replay into a new worker failed: {exc}") from exc


def _unpack(message: Any) -> tuple[str, Any, Any]:
    if message[0] == "ok":
        return "ok", None, message[1]
    status, kind, payload = message
    return status, kind, payload


class ChildCase:
    """A live case served by a ``ChildProcessBackend`` worker (same methods as ``LiveCase``)."""

    def __init__(self, backend: ChildProcessBackend, case_id: str) -> None:
        self._backend = backend
        self.case_id = case_id

    def post(self, event: Event | Mapping[str, Any]) -> Consequences:
        with self._backend._lock:
            result: Consequences = self._backend._call("post", self.case_id, event)
            self._log.ops.append(("post", event))
            return result

    def tick(self, now: Moment) -> DueItems:
        with self._backend._lock:
            result: DueItems = self._backend._call("tick", self.case_id, now)
            self._log.ops.append(("tick", now))
            return result

    def decision(self, as_of: Moment) -> CaseDecision:
        with self._backend._lock:
            result: CaseDecision = self._backend._call("decision", self.case_id, as_of)
            return result

    def close(self) -> None:
        with self._backend._lock:
            if self.case_id in self._backend._logs:
                self._backend._call("close", self.case_id)
                del self._backend._logs[self.case_id]

    @property
    def events(self) -> tuple[Event | Mapping[str, Any], ...]:
        """The events accepted so far: this side's log, which survives a worker crash."""
        return tuple(arg for op, arg in self._log.ops if op == "post")

    def pure_session(self) -> CaseSession:
        """The same case on the pure engine (no durable), replayed from the log."""
        pack = self._backend._pack
        engine = Engine(
            load_pack(pack) if isinstance(pack, str | Path) else pack,
            settings=self._backend._settings,
        )
        session = engine.session(self.case_id, facts=self._log.facts, subjects=self._log.subjects)
        for event in self.events:
            session.post(event)
        return session

    @property
    def _log(self) -> _Log:
        try:
            return self._backend._logs[self.case_id]
        except KeyError:
            raise BackendError(f"live case {self.case_id!r} is closed") from None


__all__ = [
    "DURABLE_RULES_VERSION",
    "SLOTS_PER_RULESET",
    "BackendError",
    "BackendUnavailable",
    "ChildCase",
    "ChildProcessBackend",
    "LiveBackend",
    "LiveCase",
    "WorkerCrashed",
    "available",
    "fnv1a32",
]
