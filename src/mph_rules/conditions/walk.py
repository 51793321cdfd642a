"""The one traversal of a condition tree: every other module (the compiler, lint, the
hypothesis strategies, the durable backend, reference checks) walks conditions through here."""

from __future__ import annotations

from collections.abc import Iterator

from mph_rules.conditions.model import AllOf, AnyOf, Condition, Not, Occurred


def children(condition: Condition) -> tuple[Condition, ...]:
    """The direct sub-conditions (an ``occurred``'s ``where`` included)."""
    if isinstance(condition, AllOf):
        return condition.all
    if isinstance(condition, AnyOf):
        return condition.any
    if isinstance(condition, Not):
        return (condition.not_,)
    if isinstance(condition, Occurred) and condition.where is not None:
        return (condition.where,)
    return ()


def walk(
    condition: Condition | None, event: str | None = None
) -> Iterator[tuple[Condition, str | None]]:
    """Every node, pre-order, with the event it reads from: ``event`` for the event being
    judged, the ``occurred`` type for the nodes of its ``where`` (an earlier event)."""
    if condition is None:
        return
    yield condition, event
    inner = condition.occurred if isinstance(condition, Occurred) else event
    for child in children(condition):
        yield from walk(child, inner)


def nodes(condition: Condition | None) -> Iterator[Condition]:
    """Every node, pre-order."""
    for node, _ in walk(condition):
        yield node


__all__ = ["children", "nodes", "walk"]
