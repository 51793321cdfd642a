"""Memoised access and sharing verdicts, keyed by the outcomes of their conditions' tests.

A verdict depends on the context only through the outcome of each field test and consent test
its rules' compiled conditions make (their ``leaves``, whose ``reads`` say what they look at),
so a memoised answer is the fresh answer by construction, and a key never holds a caller's
value: its size is fixed by the pack. A condition that reads case history (``occurred``) is
never memoised; nor is a query whose purpose is not text. The memo is bounded by bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from mph_rules.conditions import Node
from mph_rules.decision import TraceEntry, Verdict, new_trace_entry
from mph_rules.engine.state import Context

# The memo's budget: the estimated size of its keys and verdicts (sys.getsizeof of the
# objects and strings they hold). Exceeding it empties the memo.
MEMO_BYTES = 16 * 1024 * 1024
_DERIVED = 20_000  # verdicts kept as recurring, their combinations and re-indexed traces

Test = Callable[[Context], bool]
_R = TypeVar("_R")


def tests_of(conditions: Iterable[Node | None]) -> tuple[Test, ...] | None:
    """The leaf tests of these conditions; None if one reads case history."""
    out: list[Test] = []
    for node in conditions:
        if node is None:
            continue
        if node.reads_history:
            return None
        out += [leaf.holds for leaf in node.leaves]
    return tuple(out)


def _entry_bytes(key: Any, verdict: Verdict) -> int:
    """An estimate of what one memo entry holds: key, verdict, their strings, a dict slot."""
    size = 100 + sys.getsizeof(key) + sys.getsizeof(key[2]) + sys.getsizeof(verdict)
    if key[1] is not None:
        size += sys.getsizeof(key[1])
    size += sum(sys.getsizeof(r) for r in verdict.reasons) + sys.getsizeof(verdict.trace)
    for t in verdict.trace:
        size += sys.getsizeof(t) + sys.getsizeof(t.reason)
    return size


class Memo:
    """A byte-bounded table of verdicts."""

    def __init__(self) -> None:
        self._table: dict[Any, Verdict] = {}
        self._bytes = 0
        self._tests: dict[Any, tuple[Test, ...] | None] = {}
        self._indexed: dict[tuple[int, int], tuple[TraceEntry, ...]] = {}

        self._kept: dict[int, Verdict] = {}  # verdicts that recur: memoised or fixed
        self._combined: dict[tuple[int, ...], Verdict] = {}
        self._derived: dict[tuple[str, int], Any] = {}

    def keep(self, verdict: Verdict) -> Verdict:
        """Mark a verdict that recurs (a precomputed cell's), so its derivations are kept."""
        if id(verdict) not in self._kept:
            self._room()
            self._kept[id(verdict)] = verdict
        return verdict

    def _recurs(self, verdict: Verdict) -> bool:
        return self._kept.get(id(verdict)) is verdict

    def _room(self) -> None:
        if (
            len(self._kept) + len(self._indexed) + len(self._combined) + len(self._derived)
            >= _DERIVED
        ):
            self._kept.clear()
            self._indexed.clear()
            self._combined.clear()
            self._derived.clear()

    def combined(
        self, verdicts: list[Verdict], combine: Callable[[list[Verdict]], Verdict]
    ) -> Verdict:
        """``combine(verdicts)``, kept when every part recurs (a pure function of the parts)."""
        if not all(self._recurs(v) for v in verdicts):
            return combine(verdicts)
        key = tuple(id(v) for v in verdicts)
        found = self._combined.get(key)
        if found is None:
            found = combine(verdicts)
            self._room()
            self._combined[key] = found
            self._kept[id(found)] = found
            self._kept.update((id(v), v) for v in verdicts)  # the key's ids stay theirs
        return found

    def derived(self, kind: str, verdict: Verdict, make: Callable[[Verdict], _R]) -> _R:
        """``make(verdict)`` for a pure ``make`` named ``kind``, kept for verdicts that recur
        (the result must be immutable: it is handed out again)."""
        if not self._recurs(verdict):
            return make(verdict)
        key = (kind, id(verdict))
        found = self._derived.get(key)
        if found is None:
            found = make(verdict)
            self._room()
            self._derived[key] = found
            self._kept[id(verdict)] = verdict
        return found

    def indexed(self, verdict: Verdict, event: int) -> tuple[TraceEntry, ...]:
        """The verdict's trace entries for event ``event`` (a pure function of the two; kept
        for verdicts that recur)."""
        recurs = self._recurs(verdict)
        if recurs:
            found = self._indexed.get((id(verdict), event))
            if found is not None:
                return found
        entries = tuple(
            new_trace_entry(t.rule, t.outcome, t.reason, t.source, t.origin, event)
            for t in verdict.trace
        )
        if recurs:
            self._room()
            self._indexed[(id(verdict), event)] = entries
            self._kept[id(verdict)] = verdict
        return entries

    def key(
        self,
        cell: Any,
        conditions: Callable[[], Iterable[Node | None]],
        ctx: Context,
        extra: Any = None,
        seen: dict[Test, bool] | None = None,
    ) -> Any:
        """The key of ``cell`` in ``ctx``, or None when the verdict must be decided afresh.

        ``seen``: outcomes of tests already made on this same ``ctx`` (an event's several
        cells share many rules; the caller passes one dict per judged event, never across
        a change of the case)."""
        if cell in self._tests:
            tests = self._tests[cell]
        else:
            tests = self._tests[cell] = tests_of(conditions())
        if tests is None or not (extra is None or type(extra) is str):
            return None
        try:
            if seen is None:
                outcomes = tuple([bool(test(ctx)) for test in tests])
            else:
                found = []
                for test in tests:
                    outcome = seen.get(test)
                    if outcome is None:
                        outcome = seen[test] = bool(test(ctx))
                    found.append(outcome)
                outcomes = tuple(found)
        except Exception:  # an odd value: decided afresh, where it may raise
            return None
        return (cell, extra, outcomes)

    def get(self, key: Any) -> Verdict | None:
        return self._table.get(key) if key is not None else None

    def put(self, key: Any, verdict: Verdict) -> None:
        if key is None:
            return
        size = _entry_bytes(key, verdict)
        if self._bytes + size > MEMO_BYTES:
            self._table.clear()
            self._bytes = 0
        self._table[key] = verdict
        self._bytes += size
        self._room()
        self._kept[id(verdict)] = verdict


__all__ = ["MEMO_BYTES", "Memo", "tests_of"]
