"""The condition language: structured predicates over an event's context, with no eval.

A condition is data (YAML mapping) of one of these shapes::

    {all: [c, ...]}  {any: [c, ...]}  {not: c}
    {field: payload.outcome, equals: accepted}
    {field: facts.life_domains, count_at_least: 3}
    {field: payload.categories, contains_any: [police_identity]}
    {occurred: household_heard}            # an earlier allowed event of this type
    {occurred: hearing_waived, where: {...}}
    {consent: special_data}                # consent for this scope, given and not withdrawn

``model`` holds the pack-side models, ``nodes`` compiles them once into one node per operator
(``holds`` / ``describe`` / ``reads``), ``walk`` is the one traversal every module uses.
"""

from __future__ import annotations

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
from mph_rules.conditions.nodes import ConditionContext, Node, Read, compile_condition
from mph_rules.conditions.walk import children, nodes, walk


def holds(condition: Condition, ctx: ConditionContext) -> bool:
    """Evaluate ``condition`` in ``ctx`` (compiled on the spot: for one-off use; the engine
    compiles each condition of a pack once)."""
    node = compile_condition(condition)
    return node.holds(ctx)


def describe(condition: Condition) -> str:
    """A readable rendering of a condition for traces and generated docs."""
    return compile_condition(condition).text


def referenced_fields(condition: Condition, *, inside_occurred: bool = True) -> set[str]:
    """Field paths a condition reads (for reference checks). With ``inside_occurred=False``,
    only those read from the event being judged, not from the earlier events ``occurred``
    looks at."""
    return {
        path
        for node, event in walk(condition)
        if isinstance(node, FieldTest) and (inside_occurred or event is None)
        for path in (node.field, *(getattr(node, op) for op in COMPARES))
        if path is not None
    }


def referenced_events(condition: Condition) -> set[str]:
    """Event types a condition refers to (for reference checks and lint)."""
    return {
        name
        for node in nodes(condition)
        if isinstance(node, Occurred)
        for name in (node.occurred, node.since)
        if name is not None
    }


def consent_scopes(condition: Condition | None) -> set[str]:
    """The consent scopes a condition tests."""
    return {node.consent for node in nodes(condition) if isinstance(node, ConsentGiven)}


__all__ = [
    "MISSING",
    "OPERATORS",
    "AllOf",
    "AnyOf",
    "Condition",
    "ConditionContext",
    "ConsentGiven",
    "FieldTest",
    "Node",
    "Not",
    "Occurred",
    "Read",
    "children",
    "compile_condition",
    "consent_scopes",
    "describe",
    "holds",
    "nodes",
    "referenced_events",
    "referenced_fields",
    "walk",
]
