"""Compiled conditions: one node type per operator, each with ``holds``, ``describe`` and
``reads``, built once per pack with the field paths resolved at compile time.

``reads`` names everything a node's verdict depends on, as ``(kind, name)`` pairs:
``("field", "payload.outcome")`` and ``("consent", "special_data")`` are values of the case as it
stands; ``("history", "household_heard")`` means the verdict depends on earlier events, and
``("earlier", path)`` a field read from such an earlier event. A verdict memoised under the
values of its ``field`` and ``consent`` reads (and never when it reads ``history``) is therefore
transparent by construction.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from mph_rules.conditions.model import (
    COMPARES,
    MISSING,
    OPERATORS,
    AllOf,
    AnyOf,
    Condition,
    ConsentGiven,
    FieldTest,
    Not,
    Occurred,
)

Read = tuple[str, str]


class ConditionContext(Protocol):
    """What a compiled condition may look at; the engine supplies it, tests may fake it.
    (The engine's context also holds the ``payload`` root and a ``state`` with the ``facts``
    and ``settings`` roots as attributes, which compiled leaves read directly: see
    ``root_reader``; a context without them is read through ``root``.)"""

    def root(self, head: str) -> Any:
        """The value a field path starts from (``payload``, ``facts``, ``actor``, ``subject``,
        ``request``, ``settings``), or ``MISSING``."""

    def occurred(self, event_type: str, where: Node | None, since: str | None = None) -> bool:
        """Whether an earlier, allowed event of this type (matching ``where``) happened
        (v2: not before the latest earlier event of type ``since``, if one happened)."""

    def has_consent(self, scope: str) -> bool:
        """Whether consent for ``scope`` was given and not withdrawn."""


class Node:
    """A compiled condition. ``holds`` is a closure built once; ``reads`` is exact."""

    __slots__ = ("holds", "leaves", "reads", "text")

    holds: Callable[[ConditionContext], bool]
    reads: frozenset[Read]
    text: str
    leaves: tuple[Node, ...]  # the field and consent tests it is built from

    def describe(self) -> str:
        """The readable rendering used in traces and generated docs."""
        return self.text

    @property
    def reads_history(self) -> bool:
        return any(kind == "history" for kind, _ in self.reads)


# The pydantic model types met (the event payloads): on the hot paths a set lookup
# (``type(value) in MODEL_TYPES or is_model(value)``) where isinstance of an ABC costs three
# times as much. Only a type found to be a model is added, and a subclass stays one, so the
# answer is isinstance's; bounded. Read here and by ``engine.state.field_of``.
MODEL_TYPES: set[type] = set()


def is_model(value: object) -> bool:
    """``isinstance(value, BaseModel)``, remembering the type in ``MODEL_TYPES``."""
    if isinstance(value, BaseModel):
        if len(MODEL_TYPES) < 1024:
            MODEL_TYPES.add(type(value))
        return True
    return False


# The roots the engine's context holds as attributes (``Context.payload``, its state's facts
# and settings): read by one C-level attribute getter instead of a call of ``root``.
_ATTRIBUTE_ROOTS = {"payload": "payload", "facts": "state.facts", "settings": "state.settings"}


def root_reader(head: str) -> Callable[[ConditionContext], Any]:
    """A function from a context to the value a field path starting with ``head`` starts
    from, resolved here: an attribute getter for the roots the engine's context holds as
    attributes (see ``_ATTRIBUTE_ROOTS``), ``root(head)`` for the others. A context that
    only has ``root`` (the protocol's one promise) is read through it: the leaves catch the
    getter's AttributeError and ask ``root``."""
    attribute = _ATTRIBUTE_ROOTS.get(head)
    return operator.attrgetter(attribute) if attribute else operator.methodcaller("root", head)


@functools.lru_cache(maxsize=4096)
def field_getter(path: str) -> Callable[[ConditionContext], Any]:
    """A function from a context to the value at ``path``, the path split once, here."""
    head, _, rest = path.partition(".")
    parts = tuple(rest.split(".")) if rest else ()

    step = _step
    read = root_reader(head)
    if len(parts) == 1:
        (only,) = parts

        def get_one(ctx: ConditionContext) -> Any:
            try:
                value = read(ctx)
            except AttributeError:  # a context with ``root`` only
                value = ctx.root(head)
            if type(value) is dict:
                return value.get(only, MISSING)
            if isinstance(value, BaseModel):
                # a field is in the model's __dict__; anything else through getattr, as _step
                fields = value.__dict__
                return fields[only] if only in fields else getattr(value, only, MISSING)
            return MISSING if value is MISSING else step(value, only)

        return get_one

    def get(ctx: ConditionContext) -> Any:
        try:
            value = read(ctx)
        except AttributeError:  # a context with ``root`` only
            value = ctx.root(head)
        for part in parts:
            if value is MISSING:
                return MISSING
            value = step(value, part)
        return value

    return get


def _step(value: Any, part: str) -> Any:
    if isinstance(value, BaseModel):
        return getattr(value, part, MISSING)
    if isinstance(value, Mapping):
        return value.get(part, MISSING)
    return MISSING


def _leaf(path: str, pred: Callable[[Any], bool]) -> Callable[[ConditionContext], bool]:
    """``pred`` of the value at ``path``: for a one-step path (``payload.outcome``, the
    usual case) the root is read by a getter chosen here and the step is inlined, so a test
    costs two calls less (it is the innermost loop of memo keys)."""
    head, _, rest = path.partition(".")
    if not rest or "." in rest:
        get = field_getter(path)
        return lambda ctx: pred(get(ctx))
    only = rest
    step = _step
    read = root_reader(head)
    models = MODEL_TYPES

    def holds(ctx: ConditionContext) -> bool:
        try:
            value = read(ctx)
        except AttributeError:  # a context with ``root`` only
            value = ctx.root(head)
        kind = type(value)
        if kind is dict:
            return pred(value.get(only, MISSING))
        if kind in models or is_model(value):
            fields = value.__dict__
            return pred(fields[only] if only in fields else getattr(value, only, MISSING))
        return pred(MISSING if value is MISSING else step(value, only))

    return holds


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Sequence) and not isinstance(value, str):
        return len(value)
    return None


def _is_list(value: Any) -> bool:
    if type(value) is tuple or type(value) is list:  # the usual payload lists, without the ABC
        return True
    return isinstance(value, Sequence) and not isinstance(value, str)


def same(value: Any, expected: Any) -> bool:
    """Equality without Python's bool/int mixing: ``equals: true`` holds for true only, never
    for 1, 1.0 or "true" (YAML 1.2 and JSON types are kept)."""
    if isinstance(expected, bool) or isinstance(value, bool):
        return type(value) is type(expected) and value == expected
    return bool(value == expected)


def _field_predicate(test: FieldTest) -> Callable[[Any], bool]:
    """The operator of a field test as a predicate on the value (absent is ``MISSING``)."""
    if test.present is not None:
        want = test.present
        return lambda v: (v is not MISSING and v is not None) == want
    if test.equals is not None:
        eq = test.equals
        if isinstance(eq, bool):
            return lambda v: v is eq  # same(): only the boolean itself (MISSING, None never)
        if type(eq) is str:
            # same() with text: no boolean, None or MISSING equals it, anything else by ==,
            # which is ``v in (eq,)``: a built-in method, no Python call
            return (eq,).__contains__
        return lambda v: v is not MISSING and v is not None and same(v, eq)
    if test.in_ is not None:
        choices = test.in_
        if type(choices) is tuple and all(type(c) is str for c in choices):
            # same() with text choices: no boolean, None or MISSING matches, anything else
            # by ==, which is ``v in choices``: a built-in method, no Python call
            return choices.__contains__
        return lambda v: v is not MISSING and v is not None and any(same(v, c) for c in choices)
    if test.at_least is not None:
        low = test.at_least
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= low
    if test.at_most is not None:
        high = test.at_most
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v <= high
    if test.count_at_least is not None:
        least = test.count_at_least

        def counted(v: Any) -> bool:
            n = _count(v) if v is not MISSING and v is not None else None
            return n is not None and n >= least

        return counted
    if test.contains is not None:
        item = test.contains
        return lambda v: v is not MISSING and v is not None and _is_list(v) and item in v
    wanted = test.contains_any or ()
    return lambda v: (
        v is not MISSING and v is not None and _is_list(v) and any(w in v for w in wanted)
    )


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


def _compare(op: str) -> Callable[[Any, Any], bool]:
    """v2 two-field tests: false when either side is missing or they are not comparable."""

    def compare(left: Any, right: Any) -> bool:
        a, b = _comparable(left), _comparable(right)
        if a is None or b is None:
            return False
        try:
            if op == "equals_field":
                return bool(a == b)
            return bool(a >= b) if op == "at_least_field" else bool(a <= b)
        except TypeError:
            return False

    return compare


def _field_text(test: FieldTest) -> str:
    for op in OPERATORS:
        value = getattr(test, op)
        if value is not None:
            if op in COMPARES:
                return f"{test.field} {op[:-6].replace('_', ' ')} {value}"
            shown = list(value) if isinstance(value, tuple) else value
            return f"{test.field} {op.rstrip('_').replace('_', ' ')} {shown}"
    return test.field  # unreachable: the validator requires one operator


def _node(
    holds: Callable[[ConditionContext], bool],
    reads: frozenset[Read],
    text: str,
    parts: tuple[Node, ...] | None = None,
) -> Node:
    """A node; a leaf (no ``parts``) is its own only leaf."""
    node = Node()
    node.holds, node.reads, node.text = holds, reads, text
    node.leaves = (node,) if parts is None else tuple(x for p in parts for x in p.leaves)
    return node


def _earlier(reads: frozenset[Read]) -> frozenset[Read]:
    """Reads of a ``where`` refer to the earlier event, not to the case as it stands."""
    return frozenset(("earlier", name) if kind == "field" else (kind, name) for kind, name in reads)


def _all_of(tests: tuple[Callable[[ConditionContext], bool], ...]) -> Any:
    """``all(t(ctx) for t in tests)`` as a loop: no generator per test (a hot path)."""

    def holds(ctx: ConditionContext) -> bool:
        for test in tests:  # noqa: SIM110 (see the docstring)
            if not test(ctx):
                return False
        return True

    return holds


def _any_of(tests: tuple[Callable[[ConditionContext], bool], ...]) -> Any:
    """``any(t(ctx) for t in tests)`` as a loop (see ``_all_of``)."""

    def holds(ctx: ConditionContext) -> bool:
        for test in tests:  # noqa: SIM110 (see the docstring)
            if test(ctx):
                return True
        return False

    return holds


def compile_condition(condition: Condition) -> Node:
    """One node per operator, built recursively; call once per pack and keep the result."""
    if isinstance(condition, AllOf | AnyOf):
        parts = tuple(
            compile_condition(c)
            for c in (condition.all if isinstance(condition, AllOf) else condition.any)
        )
        tests = tuple(p.holds for p in parts)
        reads = frozenset().union(*(p.reads for p in parts))
        if isinstance(condition, AllOf):
            text = "(" + " and ".join(p.text for p in parts) + ")"
            return _node(_all_of(tests), reads, text, parts)
        text = "(" + " or ".join(p.text for p in parts) + ")"
        return _node(_any_of(tests), reads, text, parts)
    if isinstance(condition, Not):
        inner = compile_condition(condition.not_)
        test = inner.holds
        return _node(lambda ctx: not test(ctx), inner.reads, "not " + inner.text, (inner,))
    if isinstance(condition, FieldTest):
        get = field_getter(condition.field)
        compared = [(op, getattr(condition, op)) for op in COMPARES if getattr(condition, op)]
        if compared:
            op, other = compared[0]
            get_other, compare = field_getter(other), _compare(op)
            both = frozenset({("field", condition.field), ("field", other)})
            text = _field_text(condition)
            return _node(lambda ctx: compare(get(ctx), get_other(ctx)), both, text)
        pred = _field_predicate(condition)
        reads = frozenset({("field", condition.field)})
        return _node(_leaf(condition.field, pred), reads, _field_text(condition))
    if isinstance(condition, Occurred):
        where = compile_condition(condition.where) if condition.where is not None else None
        kind = condition.occurred
        extra = f" where {where.text}" if where is not None else ""
        reads = frozenset({("history", kind)}) | (_earlier(where.reads) if where else frozenset())
        since = condition.since
        if since is not None:
            # v2 `occurred ... since`
            reads |= {("history", since)}
            text = f"{kind} occurred{extra} since the latest {since}"
            return _node(lambda ctx: ctx.occurred(kind, where, since), reads, text, ())
        text = f"{kind} occurred{extra}"
        return _node(lambda ctx: ctx.occurred(kind, where), reads, text, ())
    assert isinstance(condition, ConsentGiven)
    scope = condition.consent
    return _node(
        lambda ctx: ctx.has_consent(scope),
        frozenset({("consent", scope)}),
        f"consent for {scope} given",
    )


__all__ = [
    "MODEL_TYPES",
    "ConditionContext",
    "Node",
    "Read",
    "compile_condition",
    "field_getter",
    "is_model",
]
