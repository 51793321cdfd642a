"""Memoised access and sharing verdicts, keyed by what their conditions read.

A verdict is a pure function of its cell and of the values its rules' conditions read; those
are the compiled conditions' ``reads``, so the key is transparent by construction: a used
engine answers exactly as a fresh one. Values are keyed with their type (``True`` is not
``1``), absence is its own value, and a condition that reads case history is never memoised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mph_rules.conditions import MISSING, Node
from mph_rules.conditions.nodes import field_getter
from mph_rules.decision import Verdict
from mph_rules.engine.state import Context

_LIMIT = 100_000  # entries; a long-lived engine stays bounded

Reader = Callable[[Context], Any]


def readers(conditions: Iterable[Node | None]) -> tuple[Reader, ...] | None:
    """Functions reading every input of these conditions; None if one reads history."""
    names: set[tuple[str, str]] = set()
    for node in conditions:
        if node is None:
            continue
        if node.reads_history:
            return None
        names |= node.reads
    return tuple(
        _consent_reader(name) if kind == "consent" else field_getter(name)
        for kind, name in sorted(names)
    )


def _consent_reader(scope: str) -> Reader:
    def read(ctx: Context) -> Any:
        return ctx.has_consent(scope)

    return read


def _typed(value: Any) -> Any:
    return value if value is MISSING else (type(value), value)


class Memo:
    """A bounded table of verdicts."""

    def __init__(self) -> None:
        self._table: dict[Any, Verdict] = {}
        self._readers: dict[Any, tuple[Reader, ...] | None] = {}

    def key(
        self,
        cell: Any,
        conditions: Callable[[], Iterable[Node | None]],
        ctx: Context,
        extra: Any = None,
    ) -> Any:
        """The key of ``cell`` in ``ctx``, or None when the verdict must be decided afresh
        (a condition reads history, or a value read is unhashable)."""
        if cell in self._readers:
            found = self._readers[cell]
        else:
            found = self._readers[cell] = readers(conditions())
        if found is None:
            return None
        key = (cell, _typed(extra), tuple(_typed(read(ctx)) for read in found))
        try:
            hash(key)
        except TypeError:
            return None
        return key

    def get(self, key: Any) -> Verdict | None:
        return self._table.get(key) if key is not None else None

    def put(self, key: Any, verdict: Verdict) -> None:
        if key is None:
            return
        if len(self._table) >= _LIMIT:
            self._table.clear()
        self._table[key] = verdict


__all__ = ["Memo", "readers"]
