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
  on every worker before timing; cluster start-up is reported on its own).

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


class Measure:
    """Wall seconds, and CPU seconds of this process (client and, for a local cluster, the
    scheduler) plus every worker's: CPU time is what the machine's load does not inflate."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.busiest: dict[str, list[float]] = {}  # CPU of the busiest worker

    def run(self, label: str, fn: Callable[[], int], count: int, client: Any = None) -> float:
        before = worker_cpu(client) if client is not None else {}
        cpu = time.process_time()
        start = time.perf_counter()
        done = fn()
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
        assert done == count, (done, count)
        busiest = cpu
        if client is not None:
            after = worker_cpu(client)
            per = [after[k] - before.get(k, 0.0) for k in after]
            cpu += sum(per)
            busiest = max(per)
        self.wall.setdefault(label, []).append(wall)
        self.cpu.setdefault(label, []).append(cpu)
        self.busiest.setdefault(label, []).append(busiest)
        return wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 cases")
    parser.add_argument("--cases", type=int, help="number of cases (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="repeats per way (default 3)")
    parser.add_argument("--pack", default="hilversum")
    parser.add_argument("--partitions", type=int, default=40)
    args = parser.parse_args(argv)
    count = args.cases or (5_000 if args.quick else 100_000)
    print(f"load average at start: {os.getloadavg()}, cores: {os.cpu_count()}", file=sys.stderr)

    engine = Engine(load_pack(args.pack))
    spec = PackSpec.of(engine)
    cases = list(generated_cases(args.pack, count))
    m = Measure()
    with tempfile.TemporaryDirectory(prefix="mph-sweep-") as tmp:
        paths = write_store(cases, tmp, per_partition=-(-count // args.partitions))
        want_due = sum(
            1 for s in evaluate_many(engine, cases[:500], as_of=AS_OF, reduce=summary) if s.due
        )

        def in_memory() -> int:
            return sum(1 for _ in evaluate_many(engine, cases, as_of=AS_OF, reduce=summary))

        def task_without_dask() -> int:
            return sum(evaluate_partition(spec, str(p), AS_OF).cases for p in paths)

        startup: dict[int, float] = {}
        with connect(workers=1) as one, connect(workers=2) as two:
            for workers, client in ((1, one), (2, two)):
                t = time.perf_counter()
                client.wait_for_workers(workers)
                client.run(warm, spec)  # the pack compiled on every worker
                startup[workers] = time.perf_counter() - t

            def on(client: Any) -> Callable[[], int]:
                def run() -> int:
                    report, _ = sweep(client, spec, paths, AS_OF)
                    assert not report.problems
                    return report.cases

                return run

            ways = [
                ("evaluate_many, 1 process, cases in memory", in_memory, None),
                ("sweep task without Dask, 1 process, from JSON Lines", task_without_dask, None),
                ("sweep on Dask, 1 worker", on(one), one),
                ("sweep on Dask, 2 workers", on(two), two),
            ]
            # warm every way's memo tables (deadline arithmetic, holiday tables, verdicts) on
            # a tenth of the store, so no way pays a cold start the others do not
            head = paths[: max(2, len(paths) // 10)]
            few = [c for p in head for _, c in read_partition(p)]
            sum(1 for _ in evaluate_many(engine, few, as_of=AS_OF, reduce=summary))
            for client in (one, two):
                sweep(client, spec, head, AS_OF)
            for r in range(args.repeat):
                for label, fn, client in ways:
                    wall = m.run(label, fn, count, client)
                    print(
                        f"  repeat {r + 1}: {label}: {wall:.2f} s wall, "
                        f"{m.cpu[label][-1]:.2f} s CPU",
                        file=sys.stderr,
                    )
        assert want_due > 0  # the sweep has something to find

    wall = {k: statistics.median(v) for k, v in m.wall.items()}
    cpu = {k: statistics.median(v) for k, v in m.cpu.items()}
    base = wall["evaluate_many, 1 process, cases in memory"]
    print(
        f"\n{count:,} cases of {args.pack} in {len(paths)} partitions, as of {AS_OF}; "
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
    alone, d1, d2 = (
        wall["sweep task without Dask, 1 process, from JSON Lines"],
        wall["sweep on Dask, 1 worker"],
        wall["sweep on Dask, 2 workers"],
    )
    c_alone, c1 = (
        cpu["sweep task without Dask, 1 process, from JSON Lines"],
        cpu["sweep on Dask, 1 worker"],
    )
    busiest2 = statistics.median(m.busiest["sweep on Dask, 2 workers"])
    w1 = statistics.median(m.busiest["sweep on Dask, 1 worker"])
    print(f"\n- 2 workers vs 1 worker, wall: {d1 / d2:.2f}x (target >= 1.8x)")
    print(
        f"- 2 workers vs 1 worker from CPU seconds (1 worker's CPU / busiest of 2): "
        f"{w1 / busiest2:.2f}x: the speed-up on two otherwise idle cores"
    )
    print(
        f"- Dask overhead per case, wall: {(d1 - alone) / count * 1e6:,.1f} µs = "
        f"{(d1 - alone) / alone:.1%} of the work without Dask (target <= 10%)"
    )
    print(
        f"- Dask overhead per case, CPU (workers + client + scheduler): "
        f"{(c1 - c_alone) / count * 1e6:,.1f} µs = {(c1 - c_alone) / c_alone:.1%}"
    )
    print(
        f"- cluster start-up and warm-up: 1 worker {startup[1]:.1f} s, "
        f"2 workers {startup[2]:.1f} s (not in the figures above)"
    )
    print(f"- load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
