"""The retention sweep on Dask against one process, measured in the same run.

    python benchmarks/sweep.py            # 100,000 generated cases (several minutes)
    python benchmarks/sweep.py --quick    # 5,000 cases, for a smoke run

Four ways over the same generated cases (the pack's examples moved by random numbers of days,
written as a JSON Lines store), each repeated and interleaved so a change in machine load hits
them alike; the median of the repeats is quoted:

* ``evaluate_many`` in one process over the cases already in memory (the issue's reference);
* the sweep's own task function over every partition in this process, without Dask: reading
  the JSON Lines, evaluating, summarising (the same work a Dask worker does);
* the sweep on a local Dask cluster of 1 worker process and of 2 (warmed: the pack is compiled
  on every worker before timing; cluster start-up is reported on its own), one cluster at a
  time, with the sweep's settings (``mph_rules.distributed.QUIET``); ``--dask-defaults`` adds
  both with Dask's default settings.

The CPU seconds of every process are read (psutil): this process (client, scheduler, nannies)
and each worker, per 10,000 cases, and the CPU an idle cluster uses per second (its background
work), so the cost of Dask itself can be seen on a loaded machine where wall time says little.

Dask overhead per case = (1 worker - the same work without Dask) / cases; its share is that
over the cost of the work without Dask. The load average is printed: on a shared machine the
2-worker figure needs two idle cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mph_rules import Engine, load_case, load_pack
from mph_rules.batch import PackSpec, engine_for, evaluate_many, summary
from mph_rules.distributed import (
    connect,
    evaluate_partition,
    read_partition,
    sweep,
    write_store,
)

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 6, 1)


def generated_cases(pack_name: str, count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """``count`` cases as a case system sends them: the pack's examples, each moved by a
    random number of days, with fresh ids (as benchmarks/run.py generates them)."""
    templates = [
        load_case(p).model_dump(mode="python", by_alias=True)
        for p in sorted((ROOT / "examples" / pack_name).glob("*.yaml"))
    ]
    rng = random.Random(seed)
    for i in range(count):
        t = templates[i % len(templates)]
        shift = dt.timedelta(days=rng.randrange(0, 700))
        yield {**t, "id": f"gen-{i}", "events": [{**e, "at": e["at"] + shift} for e in t["events"]]}


def _cpu() -> float:
    import psutil

    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def worker_cpu(client: Any) -> dict[str, float]:
    """CPU seconds each worker process has used so far."""
    return {k: float(v) for k, v in client.run(_cpu).items()}


def warm(spec: PackSpec) -> None:
    engine_for(spec)


def idle_background(client: Any, seconds: float = 5.0) -> tuple[float, float]:
    """CPU used per second by a cluster with no work: this process (client, scheduler and, for a
    local cluster, the nannies) and all the workers together, as fractions of a core."""
    before, cpu, start = worker_cpu(client), time.process_time(), time.perf_counter()
    time.sleep(seconds)
    after, cpu = worker_cpu(client), time.process_time() - cpu
    wall = time.perf_counter() - start
    return cpu / wall, sum(after[k] - before.get(k, 0.0) for k in after) / wall


class Measure:
    """Wall seconds, and CPU seconds of this process (client and, for a local cluster, the
    scheduler and the nannies) and of every worker: CPU time is what the machine's load does not
    inflate."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}  # every process
        self.client: dict[str, list[float]] = {}  # this process
        self.workers: dict[str, list[list[float]]] = {}  # each worker, busiest first
        self.idle: dict[str, list[tuple[float, float]]] = {}

    def run(self, label: str, fn: Callable[[], int], count: int, client: Any = None) -> float:
        before = worker_cpu(client) if client is not None else {}
        cpu = time.process_time()
        start = time.perf_counter()
        done = fn()
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
        assert done == count, (done, count)
        per = [cpu]
        if client is not None:
            after = worker_cpu(client)
            per = sorted((after[k] - before.get(k, 0.0) for k in after), reverse=True)
            self.client.setdefault(label, []).append(cpu)
        self.wall.setdefault(label, []).append(wall)
        self.cpu.setdefault(label, []).append(cpu + (sum(per) if client is not None else 0.0))
        self.workers.setdefault(label, []).append(per)
        return wall

    def busiest(self, label: str) -> float:
        return statistics.median(w[0] for w in self.workers[label])


IN_MEMORY = "evaluate_many, 1 process, cases in memory"
ALONE = "sweep task without Dask, 1 process, from JSON Lines"


def dask_label(workers: int, quiet: bool) -> str:
    worker_s = "worker" if workers == 1 else "workers"
    return f"sweep on Dask, {workers} {worker_s}" + ("" if quiet else ", Dask's default settings")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 cases")
    parser.add_argument("--cases", type=int, help="number of cases (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats per way (default 3)")
    parser.add_argument("--pack", default="hilversum")
    parser.add_argument("--partitions", type=int, default=40)
    parser.add_argument(
        "--dask-defaults",
        action="store_true",
        help="also run 1 and 2 workers with Dask's default settings (mph_rules.distributed.QUIET "
        "off, as before): the before/after of the background work",
    )
    args = parser.parse_args(argv)
    count = args.cases or (5_000 if args.quick else 100_000)
    print(f"load average at start: {os.getloadavg()}, cores: {os.cpu_count()}", file=sys.stderr)

    engine = Engine(load_pack(args.pack))
    spec = PackSpec.of(engine)
    cases = list(generated_cases(args.pack, count))
    m = Measure()
    startup: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="mph-sweep-") as tmp:
        paths = write_store(cases, tmp, per_partition=-(-count // args.partitions))
        want_due = sum(
            1 for s in evaluate_many(engine, cases[:500], as_of=AS_OF, reduce=summary) if s.due
        )
        # warm every way's memo tables (deadline arithmetic, holiday tables, verdicts) on a
        # tenth of the store, so no way pays a cold start the others do not
        head = paths[: max(2, len(paths) // 10)]
        few = [c for p in head for _, c in read_partition(p)]
        sum(1 for _ in evaluate_many(engine, few, as_of=AS_OF, reduce=summary))

        def in_memory() -> int:
            return sum(1 for _ in evaluate_many(engine, cases, as_of=AS_OF, reduce=summary))

        def task_without_dask() -> int:
            return sum(evaluate_partition(spec, str(p), AS_OF).cases for p in paths)

        def on_dask(label: str, workers: int, quiet: bool) -> None:
            # one cluster at a time: an idle second cluster would take CPU from this one
            t = time.perf_counter()
            with connect(workers=workers, quiet=quiet) as client:
                client.wait_for_workers(workers)
                client.run(warm, spec)  # the pack compiled on every worker
                sweep(client, spec, head, AS_OF)
                startup.setdefault(label, []).append(time.perf_counter() - t)
                m.idle.setdefault(label, []).append(idle_background(client))

                def run() -> int:
                    report, _ = sweep(client, spec, paths, AS_OF)
                    assert not report.problems
                    return report.cases

                m.run(label, run, count, client)

        settings = (True, False) if args.dask_defaults else (True,)
        local: list[tuple[str, Callable[[], int]]] = [
            (IN_MEMORY, in_memory),
            (ALONE, task_without_dask),
        ]
        clusters = [(dask_label(w, q), w, q) for q in settings for w in (1, 2)]
        for r in range(args.repeat):
            for label, fn in local:
                m.run(label, fn, count)
                print(
                    f"  repeat {r + 1}: {label}: {m.wall[label][-1]:.2f} s wall, "
                    f"{m.cpu[label][-1]:.2f} s CPU",
                    file=sys.stderr,
                )
            for label, workers, quiet in clusters:
                on_dask(label, workers, quiet)
                print(
                    f"  repeat {r + 1}: {label}: {m.wall[label][-1]:.2f} s wall, "
                    f"{m.cpu[label][-1]:.2f} s CPU",
                    file=sys.stderr,
                )
        assert want_due > 0  # the sweep has something to find

    report(m, count, args, len(paths), startup, settings)
    return 0


def report(
    m: Measure,
    count: int,
    args: argparse.Namespace,
    partitions: int,
    startup: dict[str, list[float]],
    settings: tuple[bool, ...],
) -> None:
    med = statistics.median
    wall = {k: med(v) for k, v in m.wall.items()}
    cpu = {k: med(v) for k, v in m.cpu.items()}
    base = wall[IN_MEMORY]
    print(
        f"\n{count:,} cases of {args.pack} in {partitions} partitions, as of {AS_OF}; "
        f"median of {args.repeat}"
    )
    print("| way | wall | cases/s | wall per case | CPU per case | vs evaluate_many (wall) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label in wall:
        w, c = wall[label], cpu[label]
        print(
            f"| {label} | {w:.2f} s | {count / w:,.0f} | {w / count * 1e6:,.0f} µs | "
            f"{c / count * 1e6:,.0f} µs | {base / w:.2f}x |"
        )
    per10k = 10_000 / count
    print(
        "\nCPU seconds per 10,000 cases by process (client process = client, scheduler and "
        "nannies), and the background CPU of the idle cluster in % of a core:"
    )
    print("| way | client process | each worker | all | idle: client process | idle: workers |")
    print("|---|---:|---:|---:|---:|---:|")
    for label in wall:
        workers = [med(w[i] for w in m.workers[label]) for i in range(len(m.workers[label][0]))]
        each = ", ".join(f"{w * per10k:.2f} s" for w in workers)
        if label in m.client:
            idle_c = med(i[0] for i in m.idle[label])
            idle_w = med(i[1] for i in m.idle[label])
            print(
                f"| {label} | {med(m.client[label]) * per10k:.2f} s | {each} | "
                f"{cpu[label] * per10k:.2f} s | {idle_c:.1%} | {idle_w:.1%} |"
            )
        else:
            print(f"| {label} | {each} | | {cpu[label] * per10k:.2f} s | | |")

    print("\n== issue 21 figures ==")
    alone, c_alone = wall[ALONE], cpu[ALONE]
    for quiet in settings:
        one, two = dask_label(1, quiet), dask_label(2, quiet)
        d1, d2, c1 = wall[one], wall[two], cpu[one]
        which = "mph-rules settings (QUIET)" if quiet else "Dask's default settings"
        ratio = d1 / d2
        print(f"{which}:")
        print(
            f"- 2 workers vs 1 worker, wall: {ratio:.2f}x (target >= 1.8x): "
            f"{'MET' if ratio >= 1.8 else 'NOT MET'}"
        )
        print(
            f"- 2 workers vs 1 worker, CPU (1 worker's CPU / busiest of 2): "
            f"{m.busiest(one) / m.busiest(two):.2f}x: the speed-up on two otherwise idle cores"
        )
        share = (d1 - alone) / alone
        print(
            f"- Dask overhead per case, wall: {(d1 - alone) / count * 1e6:,.1f} µs = {share:.1%} "
            f"of the work without Dask (target <= 10%): {'MET' if share <= 0.10 else 'NOT MET'}"
        )
        print(
            f"- Dask overhead per case, CPU of every process (workers, client, scheduler, "
            f"nannies): {(c1 - c_alone) / count * 1e6:,.1f} µs = {(c1 - c_alone) / c_alone:.1%}"
        )
        print(
            f"- cluster start-up and warm-up: 1 worker {med(startup[one]):.1f} s, "
            f"2 workers {med(startup[two]):.1f} s (not in the figures above)"
        )
    print(f"- load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
