"""What a point query (``Engine.check_access``) reads of its context, and how a conditional
cell keeps a verdict per context: which of its conditions read the context (``reads_context``),
the values they read (``context_plan``), the key of those values (``values_key``,
``planned_key``), the parts a context gives (``context_parts``), and the state a query reads
(``QueryState`` without a session, ``in_phase`` with one).

A key holds each value the conditions read with its exact type (1, 1.0, true and "1" differ),
and only plain values (text, number, boolean, null): a verdict kept under it is the fresh
verdict by construction. A context not in the plain form (facts or payload not dicts, consents
not a list or set of names) is never keyed: it is read as it always was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, cast

from mph_rules.engine.state import CaseState

NOTHING: Any = MappingProxyType({})  # an empty, read-only table (a query's missing parts)

_CONTEXT_ROOTS = frozenset({"facts", "payload", "subject", "request"})


def reads_context(reads: frozenset[tuple[str, str]]) -> bool:
    """Whether a condition reads what a point query's context gives: its facts, its payload
    (the ``subject`` and ``request`` roots are found through the payload) or its consents.
    Settings, the case's history and fields of earlier events (``earlier``) are not: a query
    without a session has no history. A kind of read not known here counts as reading it."""
    for kind, name in reads:
        if kind == "field":
            if name.partition(".")[0] in _CONTEXT_ROOTS:
                return True
        elif kind not in ("history", "earlier"):
            return True  # consent, or a kind this does not know
    return False


_ROOTS_BY_VALUE = ("facts", "payload")  # the context's parts a key can be read from
PLAIN = frozenset({str, int, float, bool, type(None)})
_SCOPES = frozenset({list, tuple, set, frozenset})
ABSENT: Any = object()


def context_plan(reads: list[frozenset[tuple[str, str]]]) -> tuple[tuple[str, str], ...] | None:
    """The (part of the context, field) pairs these conditions read, e.g. ``("facts",
    "age")``, and ``("consents", scope)`` per consent tested; None where they read something a
    key cannot hold (a whole part, a subject or request, a kind not known here)."""
    plan: set[tuple[str, str]] = set()
    for read in reads:
        for kind, name in read:
            if kind in ("history", "earlier"):
                continue
            if kind == "consent":
                plan.add(("consents", name))
                continue
            head, _, rest = name.partition(".")
            if kind != "field" or head == "settings":
                if kind == "field":
                    continue
                return None
            if head not in _ROOTS_BY_VALUE or not rest:
                return None
            plan.add((head, rest.partition(".")[0]))
    return tuple(sorted(plan))


NOT_PLAIN: Any = object()  # values_key: a context not in the plain form


PARTS = {"facts": 1, "payload": 2, "consents": 4}  # context_parts: a bit per part given
UNPLAIN = 8  # context_parts: not in the plain form
ROOTS = ("facts", "payload", "consents")  # the parts by their bit's position


def context_parts(context: Mapping[str, Any]) -> int:
    """The parts a query's context gives, a bit each (``PARTS``; given even when empty),
    or ``UNPLAIN`` where it is not in the plain form ``values_key`` reads (dicts of facts
    and payload, a list or set of consent scopes)."""
    if type(context) is dict:  # the usual case, read without a method call per part
        given = 0
        if "facts" in context:
            if type(context["facts"]) is not dict:
                return UNPLAIN
            given = 1
        if "payload" in context:
            if type(context["payload"]) is not dict:
                return UNPLAIN
            given |= 2
        if "consents" in context:
            if not _plain_scopes(context["consents"]):
                return UNPLAIN
            given |= 4
        return given
    get = context.get
    facts = get("facts", ABSENT)
    payload = get("payload", ABSENT)
    scopes = get("consents", ABSENT)
    given = 0
    if facts is not ABSENT:
        if type(facts) is not dict:
            return UNPLAIN
        given = 1
    if payload is not ABSENT:
        if type(payload) is not dict:
            return UNPLAIN
        given |= 2
    if scopes is not ABSENT:
        if not _plain_scopes(scopes):
            return UNPLAIN
        given |= 4
    return given


def values_key(
    plan: tuple[tuple[str, str], ...] | None, purpose: str | None, context: Mapping[str, Any]
) -> Any:
    """The key a cell keeps a context query's verdict under: the purpose and each planned
    value of the context with its exact type (so 1, 1.0 and true differ) and whether each
    planned consent is given. None where nothing can be kept (a value that is not plain text,
    number, boolean or null: a list, a mapping, a subclass; no plan; a purpose not text).
    ``NOT_PLAIN`` where the context's facts or payload are not dicts or its consents not a
    list or set of scope names: such a context is read as it always was (converted, or
    refused with the same error), whatever was asked before. (``values_keyer(plan)`` is
    this function for one plan.)"""
    return values_keyer(plan)(purpose, context)


def _plain_scopes(scopes: Any) -> bool:
    return type(scopes) in _SCOPES and all(type(s) is str for s in scopes)


Step = tuple[int, int, str]  # a planned value: its part's index in ROOTS, its bit, its name


def plan_steps(plan: tuple[tuple[str, str], ...] | None) -> tuple[Step, ...]:
    """A plan as (part index, bit, name) per value, resolved once per cell."""
    return tuple(
        (at, 1 << at, name)
        for root, name in plan or ()
        for at in ((2 if root == "consents" else 0 if root == "facts" else 1),)
    )


def planned_key(
    steps: tuple[Step, ...], purpose: str | None, context: Mapping[str, Any], given: int
) -> tuple[Any, ...] | None:
    """``values_key`` of a plain context that gives the parts ``given``
    (``context_parts``): the purpose, then per step whether the consent is given, or the
    value's type and value (``ABSENT`` for a part not given); None for a value not plain."""
    key: list[Any] = [purpose]
    for at, bit, name in steps:
        if not given & bit:
            key.append(False if at == 2 else ABSENT)
            continue
        part = context[ROOTS[at]]
        if at == 2:
            key.append(name in part)
            continue
        value = part[name] if name in part else ABSENT  # noqa: SIM401 (no call)
        if value is not ABSENT and type(value) not in PLAIN:
            return None
        key += (type(value), value)
    return tuple(key)


ValuesKey = Callable[[str | None, Mapping[str, Any]], Any]


def values_keyer(plan: tuple[tuple[str, str], ...] | None) -> ValuesKey:
    """``values_key`` for one plan, its steps resolved once (a cell's ``query``)."""
    steps = plan_steps(plan)

    def key(purpose: str | None, context: Mapping[str, Any]) -> Any:
        given = context_parts(context)
        if given & UNPLAIN:
            return NOT_PLAIN
        if plan is None or not (purpose is None or type(purpose) is str):
            return None
        return planned_key(steps, purpose, context, given)

    return key


def in_phase(state: CaseState, phase: str) -> CaseState:
    """A session's state as a point query reads it, in ``phase``: a shallow copy, as
    ``dataclasses.replace(state, phase=phase)`` gives (CaseState has no ``__post_init__``
    and every field is an init field), without its cost (27 µs: a call of ``__init__`` with
    every field by name). Its tables are the session's: the conditions only read them
    (``latest_match`` keeps how far it tested in ``matched``, as on the session itself)."""
    view = object.__new__(type(state))
    view.__dict__.update(state.__dict__)
    view.phase = phase
    return view


class QueryState:
    """What a point query with a context (and no session) reads of a case: the context's facts
    and consents and the engine's settings, in ``phase``; no history, subjects or requests
    (read-only and empty). Built per query at the cost of one small object, where a whole
    ``CaseState`` costs a dozen tables the conditions never read."""

    __slots__ = ("consents", "facts", "phase", "settings")
    subjects = occurred = last = matched = requests = NOTHING
    book = None

    def __init__(self, phase: str, facts: Any, consents: Any, settings: Mapping[str, Any]) -> None:
        self.phase = phase
        self.facts = facts
        self.consents = consents
        self.settings = settings


def query_state(phase: str, context: Mapping[str, Any], settings: Mapping[str, Any]) -> CaseState:
    """The state a point query with ``context`` and no session reads (its ``facts`` and
    ``consents``; the payload is the caller's to give). The caller's facts are read where
    they are a plain dict (conditions only read), copied otherwise, so a non-mapping fails
    here as it did when a whole ``CaseState`` was built per query."""
    facts: Any = context.get("facts")
    if type(facts) is not dict:  # absent: a fresh empty dict (the conditions' fast path)
        facts = {} if facts is None and "facts" not in context else dict(facts)
    consents = {s: True for s in context["consents"]} if "consents" in context else NOTHING
    return cast(CaseState, QueryState(phase, facts, consents, settings))


__all__ = [
    "ABSENT",
    "NOTHING",
    "NOT_PLAIN",
    "PARTS",
    "PLAIN",
    "ROOTS",
    "UNPLAIN",
    "QueryState",
    "context_parts",
    "context_plan",
    "in_phase",
    "plan_steps",
    "planned_key",
    "query_state",
    "reads_context",
    "values_key",
    "values_keyer",
]
