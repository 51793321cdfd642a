"""Evaluate many cases against one pack: in this process, or spread over every core.

A municipality re-evaluates its whole case load when a pack version changes or for a nightly
"what is overdue" run. Cases are independent, so the work splits into chunks; each worker
process compiles the pack once and evaluates its chunks with the same pure engine.
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mph_rules.decision import CaseDecision
from mph_rules.engine import Engine
from mph_rules.events import Case
from mph_rules.loading import load_pack
from mph_rules.schema import Pack

T = TypeVar("T")
Moment = dt.date | dt.datetime
CaseLike = Case | Mapping[str, Any]

_engine: Engine | None = None  # the engine of a worker process (set by _init)


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """What a nightly run keeps of a decision: where the case stands and what is due."""

    case_id: str
    phase: str
    overdue: tuple[str, ...]  # notification ids
    deletions_due: tuple[str, ...]  # data scopes whose deletion date has come


def summary(decision: CaseDecision) -> CaseSummary:
    """A ``reduce`` for ``evaluate_many``: small to send back from a worker."""
    as_of = decision.as_of
    day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
    return CaseSummary(
        decision.case_id,
        decision.phase,
        tuple(n.id for n in decision.notifications if n.status == "overdue"),
        tuple(d.scope for d in decision.deletions if d.date is not None and d.date <= day),
    )


def _make_engine(pack: Pack | str | Path, settings: Mapping[str, Any] | None) -> Engine:
    return Engine(load_pack(pack) if isinstance(pack, str | Path) else pack, settings=settings)


def _init(pack: Pack | str | Path, settings: Mapping[str, Any] | None) -> None:
    global _engine
    _engine = _make_engine(pack, settings)


def _chunk(
    job: tuple[list[CaseLike], Moment, Callable[[CaseDecision], Any] | None],
) -> list[Any]:
    cases, as_of, reduce = job
    assert _engine is not None, "worker not initialised"
    return _evaluate(_engine, cases, as_of, reduce)


def _evaluate(
    engine: Engine,
    cases: Iterable[CaseLike],
    as_of: Moment,
    reduce: Callable[[CaseDecision], Any] | None,
) -> list[Any]:
    out = []
    for case in cases:
        decision = engine.evaluate(case, as_of=as_of)
        out.append(decision if reduce is None else reduce(decision))
    return out


def _chunks(cases: Iterable[CaseLike], size: int) -> Iterator[list[CaseLike]]:
    it = iter(cases)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def evaluate_many(
    pack: Pack | Engine | str | Path,
    cases: Iterable[CaseLike],
    *,
    as_of: Moment,
    processes: int | None = 1,
    chunksize: int = 250,
    settings: Mapping[str, Any] | None = None,
    reduce: Callable[[CaseDecision], T] | None = None,
) -> Iterator[CaseDecision | T]:
    """Each case's decision as of ``as_of``, in input order.

    ``processes=1`` evaluates here; ``None`` uses every core (``os.cpu_count()``); more than one
    starts worker processes. ``reduce`` (a module-level function, so it can be sent to the
    workers) turns each decision into what the caller keeps, in the worker: sending a small
    summary back costs far less than a whole decision. A bad case raises EventError.
    """
    if processes is None:
        processes = os.cpu_count() or 1
    if processes < 1:
        raise ValueError("processes must be at least 1")
    if processes == 1:
        engine = pack if isinstance(pack, Engine) else _make_engine(pack, settings)
        for chunk in _chunks(cases, chunksize):
            yield from _evaluate(engine, chunk, as_of, reduce)
        return
    if isinstance(pack, Engine):
        settings = {**pack.settings, **(settings or {})}
        pack = pack.pack
    with multiprocessing.get_context().Pool(
        processes, initializer=_init, initargs=(pack, settings)
    ) as pool:
        jobs = ((chunk, as_of, reduce) for chunk in _chunks(cases, chunksize))
        for results in pool.imap(_chunk, jobs):
            yield from results


__all__ = ["CaseSummary", "evaluate_many", "summary"]
