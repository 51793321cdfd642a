"""Did-you-mean hints for misspelt keys and references.

A hint compares the word with every choice, so its cost grows with the number of choices;
hints are a convenience and their total cost is bounded (issue 12 #10: a pack with 20,000
roles and 300 misspelt references took 56 s to report, almost all of it in hints).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable

MAX_CHOICES = 5_000
"""A hint is given only among at most this many choices (one comparison costs ~10 µs)."""

HINT_BUDGET = 100_000
"""Comparisons a ``Hints`` object may spend over all its hints (about a second at most)."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, or None when nothing is close (or there are more
    than MAX_CHOICES choices)."""
    pool = choices if isinstance(choices, Collection) else list(choices)
    if len(pool) > MAX_CHOICES:
        return None
    close = difflib.get_close_matches(word, sorted(set(pool)), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class Hints:
    """did_you_mean with a budget: once ``budget`` comparisons are spent, no more hints.
    One per report (a pack's validation, a case's), so many misspellings against many
    names cost a bounded time."""

    def __init__(self, budget: int = HINT_BUDGET) -> None:
        self.left = budget

    def __call__(self, word: str, choices: Iterable[str]) -> str | None:
        pool = choices if isinstance(choices, Collection) else list(choices)
        if len(pool) > self.left:
            self.left = 0
            return None
        self.left -= len(pool)
        return did_you_mean(word, pool)
