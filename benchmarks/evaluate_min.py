"""Evaluate, evaluate from a dict and to_json of the 20-event example cases, as the minimum of
many single runs against the minimum of json.loads of the same case (same process).

On a machine shared with other work a median moves with the load; the minimum of single runs
is the run that was not interrupted, so two code versions can be compared run after run
(``PYTHONPATH=<other checkout>/src python benchmarks/evaluate_min.py``, alternated).

    python benchmarks/evaluate_min.py [--pack hilversum|zvh_midden_nl] [--runs 1500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mph_rules import Engine, load_pack

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "hilversum": ROOT / "examples/hilversum/household_closed.yaml",
    "zvh_midden_nl": ROOT / "examples/zvh_midden_nl/topx_case_closed.yaml",
}


def fastest(fn: Callable[[], object], runs: int) -> float:
    """The shortest of ``runs`` single calls, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def arguments(description: str) -> tuple[argparse.Namespace, dict[str, Any]]:
    """``--pack`` and ``--runs``, and the pack's example case cut to its first 20 events (as
    the outside check measures it)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pack", choices=sorted(CASES), default="hilversum")
    parser.add_argument("--runs", type=int, default=1500)
    args = parser.parse_args()
    raw = yaml.safe_load(CASES[args.pack].read_text(encoding="utf-8"))
    raw["events"] = raw["events"][:20]
    return args, raw


def main() -> None:
    args, raw = arguments(__doc__.splitlines()[0])
    engine = Engine(load_pack(args.pack))
    case = engine.validate_case(raw)
    as_of = dt.date(2025, 1, 15)
    text = json.dumps(raw, default=str)
    decision = engine.evaluate(case, as_of=as_of)
    for _ in range(30):  # warm the pack's memo tables and the holiday data
        engine.evaluate(case, as_of=as_of)
    ref = fastest(lambda: json.loads(text), 2 * args.runs)
    rows = [
        ("evaluate, parsed", fastest(lambda: engine.evaluate(case, as_of=as_of), args.runs)),
        (
            "evaluate, from a dict",
            fastest(lambda: engine.evaluate(raw, as_of=as_of), args.runs // 3),
        ),
        ("to_json", fastest(decision.to_json, args.runs)),
    ]
    print(f"{args.pack}: json.loads {ref * 1e6:.1f} µs")
    for name, took in rows:
        print(f"  {name}: {took * 1e6:.0f} µs = {took / ref:.1f}x json.loads")


if __name__ == "__main__":
    main()
