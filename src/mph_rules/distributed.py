"""Evaluate a partitioned case store on a Dask cluster: batch runs and the retention sweep.

A case store is a folder of JSON Lines files (``*.jsonl`` or ``*.jsonl.gz``), one case per line
as a case system sends it; each file is one partition and one Dask task. The pack travels once
per worker: the client scatters a ``PackSpec`` (text, settings, content hash) to every worker,
each worker compiles it on first use and refuses it if its own content hash differs. A task
returns compact per-case summaries (or writes them next to the input as a partition of its own)
and reports every malformed line by file and line without stopping. A task lost with its worker
is run again by the scheduler on another one; the partition's result is the same either way.

Workers read the partitions by path, so every worker must see the store at the same path (one
machine, or a shared file system on a cluster). Needs the extra ``dask``.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import gzip
import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, BinaryIO, Final, TextIO, cast

import dask
import orjson
from distributed import Client, Future, LocalCluster, as_completed

from mph_rules.batch import CaseSummary, PackSpec, engine_for, summary
from mph_rules.errors import MphRulesError, Problem
from mph_rules.schema import Pack

Moment = dt.date | dt.datetime
SUFFIXES = (".jsonl", ".jsonl.gz")
WAIT_FOR_WORKERS = 120  # seconds a remote cluster has to show its first worker


@dataclass(frozen=True, slots=True)
class CaseProblem:
    """A line of the store that could not be evaluated; the sweep goes on without it."""

    file: str
    line: int
    message: str
    internal: bool = False  # the engine failed on valid input: a bug to report, not bad data

    def to_dict(self) -> dict[str, Any]:
        kind = "internal-error" if self.internal else "error"
        return {kind: self.message, "file": self.file, "line": self.line}

    def __str__(self) -> str:
        what = "internal error (please report)" if self.internal else "error"
        return f"{self.file}:{self.line}: {what}: {self.message}"


@dataclass(frozen=True, slots=True)
class Located:
    """A case's summary with the place of the case in the store."""

    file: str
    line: int
    summary: CaseSummary

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary.to_dict(), "file": self.file, "line": self.line}


Tally = tuple[tuple[tuple[str, str | None, str | None], int], ...]  # (kind, rule, source): cases


@dataclass(frozen=True, slots=True)
class PartitionResult:
    """What one partition sends back: counts always, summaries unless written back."""

    partition: str
    cases: int
    cases_due: int
    tally: Tally
    problems: tuple[CaseProblem, ...]
    summaries: tuple[Located, ...] = ()
    written: str | None = None
    worker_pid: int = 0


def partitions(store: str | Path) -> list[Path]:
    """The partitions of a store: its JSON Lines files, in name order, as absolute paths (a
    worker's working folder need not be the client's)."""
    root = Path(store).absolute()
    if not root.is_dir():
        raise MphRulesError(
            [Problem("a case store is a folder of .jsonl files", str(root), code="MPH-A007")]
        )
    found = sorted(p for p in root.iterdir() if p.is_file() and p.name.endswith(SUFFIXES))
    if not found:
        raise MphRulesError(
            [
                Problem(
                    "no partitions: expected .jsonl or .jsonl.gz files", str(root), code="MPH-A007"
                )
            ]
        )
    return found


def _open(path: Path) -> BinaryIO:
    if path.name.endswith(".gz"):
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


def read_partition(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | CaseProblem]]:
    """Each non-blank line's case as plain data, or the problem with that line (bytes that are
    not UTF-8 included). A file that cannot be read to its end (truncated gzip, I/O error) is
    one more problem at the line where reading stopped."""
    path = Path(path)
    number = 0
    try:
        with _open(path) as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    data = orjson.loads(line)  # bytes: invalid UTF-8 is a ValueError here
                except ValueError as exc:
                    yield number, CaseProblem(str(path), number, f"not JSON: {exc}")
                    continue
                if not isinstance(data, dict):
                    what = "a case is an object with id, facts, subjects, events"
                    yield number, CaseProblem(str(path), number, what)
                    continue
                yield number, data
    except (OSError, EOFError) as exc:
        yield number + 1, CaseProblem(str(path), number + 1, f"cannot read the partition: {exc}")


def _message(problems: Sequence[Problem]) -> str:
    return "; ".join(
        (f"{p.path}: " if p.path else "") + p.message + (f" ({p.hint})" if p.hint else "")
        for p in problems
    )


def evaluate_partition(
    spec: PackSpec, path: str, as_of: Moment, out_dir: str | None = None, every: bool = False
) -> PartitionResult:
    """One task: every case of one partition, summarised; the cases with something due are
    kept (``every``: all of them). With ``out_dir`` they are written there as
    ``<partition>.due.jsonl`` (replaced whole, so a rerun after a lost worker leaves one
    complete file) and only the counts travel back."""
    engine = engine_for(spec)
    located: list[Located] = []
    problems: list[CaseProblem] = []
    cases = 0
    for number, item in read_partition(path):
        if isinstance(item, CaseProblem):
            problems.append(item)
            continue
        cases += 1
        try:
            located.append(Located(path, number, summary(engine.evaluate(item, as_of=as_of))))
        except MphRulesError as exc:
            problems.append(CaseProblem(path, number, _message(exc.problems)))
        except Exception as exc:  # one engine failure must not stop the sweep: reported
            problems.append(CaseProblem(path, number, f"{type(exc).__name__}: {exc}", True))
    tally: Counter[tuple[str, str | None, str | None]] = Counter(
        (item.kind, item.rule, item.source) for c in located for item in c.summary.due
    )
    due = [c for c in located if c.summary.due]
    result = PartitionResult(
        partition=path,
        cases=cases,
        cases_due=len(due),
        tally=tuple(sorted(tally.items(), key=lambda kv: tuple(str(x) for x in kv[0]))),
        problems=tuple(problems),
        worker_pid=os.getpid(),
    )
    if out_dir is None:
        return replace(result, summaries=tuple(located if every else due))
    target = Path(out_dir) / (
        Path(path).name.removesuffix(".gz").removesuffix(".jsonl") + ".due.jsonl"
    )
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for record in records(due, problems, engine.ref.id):
            handle.write(json.dumps(record, sort_keys=True) + "\n")
    os.replace(temporary, target)
    return replace(result, written=str(target))


def records(
    located: Sequence[Located], problems: Sequence[CaseProblem], pack: str | None = None
) -> Iterator[dict[str, Any]]:
    """The JSON Lines records of a partition: cases with something due, then its problems,
    each naming the pack when given."""
    head = {} if pack is None else {"pack": pack}
    for item in located:
        yield {**head, **item.to_dict()}
    for problem in problems:
        yield {**head, **problem.to_dict()}


@dataclass
class SweepReport:
    """The whole run: counts, what is due by kind, rule and article, and every problem."""

    as_of: Moment
    pack_id: str
    pack_version: str
    content_hash: str
    partitions: int = 0
    cases: int = 0
    cases_due: int = 0
    tally: Counter[tuple[str, str | None, str | None]] = field(default_factory=Counter)
    problems: list[CaseProblem] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 0

    def add(self, result: PartitionResult) -> None:
        self.partitions += 1
        self.cases += result.cases
        self.cases_due += result.cases_due
        self.tally.update(dict(result.tally))
        self.problems.extend(result.problems)


class Progress:
    """A one-line progress bar on stderr (drawn only when asked or on a terminal)."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None):
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        self.cases = 0
        self.start = time.perf_counter()

    def update(self, result: PartitionResult) -> None:
        self.done += 1
        self.cases += result.cases
        if not self.enabled:
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        rate = self.cases / max(time.perf_counter() - self.start, 1e-9)
        end = "\n" if self.done == self.total else ""
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} partitions, "
            f"{self.cases:,} cases, {rate:,.0f} cases/s{end}"
        )
        self.stream.flush()


def run(
    client: Client,
    spec: PackSpec,
    paths: Sequence[str | Path],
    as_of: Moment,
    *,
    out_dir: str | Path | None = None,
    on_result: Callable[[PartitionResult], None] | None = None,
    every: bool = False,
) -> Iterator[PartitionResult]:
    """Evaluate every partition on the cluster; results in partition order (so a nightly
    output is stable), ``on_result`` called as each finishes (for progress). A pack refused by
    a worker (PackMismatch) stops the run and is raised here."""
    shared: Future[PackSpec] = client.scatter(spec, broadcast=True, hash=False)
    out = None if out_dir is None else str(out_dir)
    futures: list[Future[PartitionResult]] = [
        client.submit(evaluate_partition, shared, str(p), as_of, out, every, pure=False)
        for p in paths
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    ready: dict[int, PartitionResult] = {}
    next_out = 0
    try:
        for future in as_completed(futures):
            result = future.result()
            ready[index[future.key]] = result
            if on_result is not None:
                on_result(result)
            while next_out in ready:
                yield ready.pop(next_out)
                next_out += 1
    finally:
        client.cancel([f for f in futures if not f.done()])
        client.cancel(shared)


def sweep(
    client: Client,
    pack: Pack | str | Path | PackSpec,
    store: str | Path | Sequence[str | Path],
    as_of: Moment,
    *,
    settings: Mapping[str, Any] | None = None,
    out_dir: str | Path | None = None,
    on_result: Callable[[PartitionResult], None] | None = None,
    every: bool = False,
) -> tuple[SweepReport, list[Located]]:
    """The retention sweep as a library call: what is due by ``as_of`` across a store, per
    case with something due (``every``: every case's summary), in store order."""
    spec = pack if isinstance(pack, PackSpec) else PackSpec.of(pack, settings)
    paths = partitions(store) if isinstance(store, str | Path) else list(store)
    engine = engine_for(spec)
    report = SweepReport(as_of, engine.ref.id, engine.ref.version, spec.content_hash)
    report.workers = len(client.scheduler_info().get("workers", {}))
    located: list[Located] = []
    start = time.perf_counter()
    for result in run(
        client, spec, paths, as_of, out_dir=out_dir, on_result=on_result, every=every
    ):
        report.add(result)
        located.extend(result.summaries)
    report.seconds = time.perf_counter() - start
    return report, located


#: Dask settings for the sweep's own local cluster. Dask's defaults serve an interactive
#: dashboard; a batch of a few long tasks needs none of that, and on a small machine the
#: background work competes with the workers (measured in docs/scale.md: about a tenth of a core
#: on 2 cores, a hundredth with these settings).
QUIET: Final[Mapping[str, Any]] = {
    # the statistical profiler samples every worker's stack every 10 ms, for the dashboard only
    "distributed.worker.profile.enabled": False,
    # the tick (every 20 ms in the scheduler, each nanny and each worker) only watches for a
    # blocked event loop; the system monitor (every 500 ms) samples psutil for the dashboard
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    # the nanny checks its worker's memory against the limit every second, not ten times
    "distributed.worker.memory.monitor-interval": "1s",
    # one task per single-threaded worker at a time: an idle worker takes the next partition
    # from the scheduler's queue, so nothing waits behind a busy worker and no stealing is needed
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.scheduler.work-stealing": False,
}


@contextlib.contextmanager
def connect(
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | None = None,
    *,
    quiet: bool = True,
) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (default: Dask's ``scheduler-address``
    setting, e.g. ``DASK_SCHEDULER_ADDRESS`` as a Kubernetes DaskJob sets it), or else of a
    local cluster of ``workers`` single-threaded worker processes (the engine is pure Python:
    processes, not threads, run it in parallel). A local cluster runs with ``QUIET`` and no
    dashboard unless ``quiet`` is false; a remote cluster keeps its own configuration."""
    scheduler = scheduler or dask.config.get("scheduler-address", None)
    if scheduler is not None:
        with Client(scheduler) as client:
            client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)  # a cluster may be scaling up
            yield client
        return
    # the scheduler and each nanny read these when created; a nanny hands them to its worker,
    # also to one it restarts: so it gets its own copy (its default is a shallow copy of the
    # global settings, which dask.config.set puts back when it ends)
    with dask.config.set(dict(QUIET) if quiet else {}):
        own = {"config": {"distributed": copy.deepcopy(dask.config.get("distributed"))}}
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None if quiet else ":0",  # no fixed port: several may run
            memory_limit=memory_limit or "auto",
            silence_logs=logging.ERROR,
            **(own if quiet else {}),
        )
    with cluster, Client(cluster) as client:
        yield client


def write_store(
    cases: Iterator[Mapping[str, Any]] | Sequence[Mapping[str, Any]],
    folder: str | Path,
    per_partition: int = 10_000,
) -> list[Path]:
    """Write plain-data cases as a store of ``part-00000.jsonl`` files (tests, benchmarks,
    exports); returns the partitions written."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    handle: IO[str] | None = None
    try:
        for i, case in enumerate(cases):
            if i % per_partition == 0:
                if handle is not None:
                    handle.close()
                written.append(root / f"part-{len(written):05d}.jsonl")
                handle = written[-1].open("w", encoding="utf-8")
            assert handle is not None
            handle.write(json.dumps(case, default=_plain, sort_keys=True) + "\n")
    finally:
        if handle is not None:
            handle.close()
    return written


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


__all__ = [
    "QUIET",
    "CaseProblem",
    "Located",
    "PartitionResult",
    "Progress",
    "SweepReport",
    "connect",
    "evaluate_partition",
    "partitions",
    "read_partition",
    "records",
    "run",
    "sweep",
    "write_store",
]
