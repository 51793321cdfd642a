"""Problems the property suite found that are reported to the owners and not fixed yet.

Every entry is tested where it bites with ``xfail(strict=True)`` (or, for hypothesis tests
that may not meet the problem within the example budget, ``strict=False``): when the fix
lands the test passes, the strict marker turns that into a failure, and the entry must be
deleted here. Nothing is skipped silently; ``pytest -rxX`` lists them all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Gap:
    id: str
    what: str
    crash: tuple[str, str] | None = None  # (exception type name, message pattern) it raises


GAPS: dict[str, Gap] = {
    g.id: g
    for g in (
    )
}
# Fixed since they were reported (their tests in test_hostile_regressions.py, test_invariants.py
# and the corpus now hold them): rights_denials_uncited, hilversum_no_defaults,
# date_for_hour_deadline, year_before_1966, moment_out_of_range, deadline_past_9999,
# as_of_not_a_date, integer_at_accepted, unbounded_read.


def crash_gap(exc: BaseException) -> Gap | None:
    """The known gap an exception comes from, if any (for the fuzzers' triage)."""
    for gap in GAPS.values():
        if gap.crash is None:
            continue
        kind, pattern = gap.crash
        names = {t.__name__ for t in type(exc).__mro__}
        if kind in names and re.search(pattern, str(exc)):
            return gap
    return None


def tolerated(exc: BaseException) -> Gap:
    """The known gap behind ``exc``; re-raise ``exc`` if it is not a known one."""
    gap = crash_gap(exc)
    if gap is None:
        raise exc
    return gap


def known_gap(request: pytest.FixtureRequest, gap: str, *, strict: bool = True) -> None:
    """Mark the running test as expected to fail for a reported gap."""
    marker = pytest.mark.xfail(reason=f"known gap {gap}: {GAPS[gap].what}", strict=strict)
    request.applymarker(marker)
