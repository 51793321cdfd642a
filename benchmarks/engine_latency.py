"""Engine latency on a bundled pack, with peers measured in the same run.

    python benchmarks/engine_latency.py [--pack hilversum] [--quick]

Prints: pack load + compile time; ``check_access`` median latency next to a naive scan of all
access rules and a bare dict lookup; ``evaluate`` median latency for a 20-event case next to
parsing that case (pydantic validation). Targets (issue 2): load + compile < 200 ms,
check_access < 5 us, 20-event evaluate < 200 us.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mph_rules import Case, Engine, load_case, load_pack
from mph_rules.schema import Pack

ROOT = Path(__file__).resolve().parent.parent


def median_ns(fn: Callable[[], Any], *, repeat: int, inner: int) -> float:
    """Median over ``repeat`` batches of the per-call time of ``inner`` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter_ns() - start) / inner)
    return statistics.median(samples)


def naive_access(pack: Pack, role: str, category: str, phase: str, action: str) -> bool:
    """The peer: scan every access rule, deny wins, default deny."""
    allowed = False
    for rule in pack.access:
        if role not in rule.roles or action not in rule.actions:
            continue
        if rule.categories != "*" and category not in rule.categories:
            continue
        if rule.phases != "*" and phase not in rule.phases:
            continue
        if rule.effect.value == "deny":
            return False
        allowed = True
    return allowed


def fmt(ns: float) -> str:
    return f"{ns / 1000:.2f} us" if ns < 1_000_000 else f"{ns / 1_000_000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pack", default="hilversum")
    parser.add_argument("--case", default=str(ROOT / "examples/hilversum/household_closed.yaml"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 5 if args.quick else 25

    load = median_ns(lambda: Engine(load_pack(args.pack)), repeat=repeat if args.quick else 15,
                     inner=1)
    engine = Engine(load_pack(args.pack))
    pack = engine.pack
    cp = engine.compiled
    rng = random.Random(1)
    cells = [
        (rng.choice(sorted(cp.roles)), rng.choice(sorted(cp.categories)),
         rng.choice(cp.phases), rng.choice(("read", "write")))
        for _ in range(1000)
    ]
    table = {cell: engine.check_access(cell[0], cell[1], phase=cell[2], action=cell[3])
             for cell in cells}
    it = iter(cells * 10_000)

    def ours() -> None:
        role, cat, phase, action = next(it)
        engine.check_access(role, cat, phase=phase, action=action)

    it2 = iter(cells * 10_000)

    def naive() -> None:
        role, cat, phase, action = next(it2)
        naive_access(pack, role, cat, phase, action)

    it3 = iter(cells * 10_000)

    def lookup() -> None:
        table.get(next(it3))

    inner = 2_000 if args.quick else 10_000
    access = median_ns(ours, repeat=repeat, inner=inner)
    scan = median_ns(naive, repeat=repeat, inner=inner)
    bare = median_ns(lookup, repeat=repeat, inner=inner)

    full = load_case(args.case)
    raw: dict[str, Any] = full.model_dump(mode="json")
    raw["events"] = raw["events"][:20]
    case = Case.model_validate(raw)
    last = case.events[-1].at
    evaluate = median_ns(lambda: engine.evaluate(case, as_of=last), repeat=repeat,
                         inner=50 if args.quick else 200)
    parse = median_ns(lambda: Case.model_validate(raw), repeat=repeat,
                      inner=50 if args.quick else 200)

    rows = [
        ("load + compile", load, None, "< 200 ms"),
        ("check_access (median)", access, None, "< 5 us"),
        ("  peer: naive scan of all access rules", scan, scan / access, ""),
        ("  peer: bare dict lookup", bare, bare / access, ""),
        (f"evaluate, {len(case.events)} events", evaluate, None, "< 200 us"),
        ("  peer: parsing the same case (pydantic)", parse, parse / evaluate, ""),
    ]
    print(f"pack {pack.pack.id} {pack.pack.version}: {len(pack.access)} access rules, "
          f"{len(cp.access_cells)} indexed cells")
    print(f"{'measure':44} {'median':>12} {'peer/ours':>10}  target")
    for name, ns, ratio, target in rows:
        shown = f"{ratio:.2f}x" if ratio is not None else ""
        print(f"{name:44} {fmt(ns):>12} {shown:>10}  {target}")


if __name__ == "__main__":
    main()
