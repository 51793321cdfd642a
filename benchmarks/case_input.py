"""The cost of taking a case as a plain dict: ``Engine.validate_case`` of the 20-event example
case (pydantic, then the pack's names and the time order), as a ratio to a ``json.loads`` of
the same case measured in the same rounds (issue 13: evaluate from a dict <= 6x json.loads,
i.e. the dict's validation should cost little next to the evaluation).

Rows, each the median of interleaved rounds of CPU time (``time.process_time``) and the median
of the per-round ratios: the case as YAML gives it (``at`` already a datetime) and as JSON
gives it (``at`` as text); ``Case.model_validate`` (the general pydantic path, which the one
pass falls back to for its errors); and evaluate from the dict minus evaluate of the parsed
case (what the dict costs inside ``evaluate``). Compare two checkouts with
``PYTHONPATH=<other checkout>/src python benchmarks/case_input.py``, alternated.

    python benchmarks/case_input.py [--pack hilversum|zvh_midden_nl] [--rounds 15]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from mph_rules import Engine, load_pack
from mph_rules.events import Case

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "hilversum": ROOT / "examples/hilversum/household_closed.yaml",
    "zvh_midden_nl": ROOT / "examples/zvh_midden_nl/topx_case_closed.yaml",
}


def rounds(fns: dict[str, Callable[[], object]], calls: int, n: int) -> dict[str, list[float]]:
    """Per function, the CPU µs of one call in each of ``n`` interleaved rounds."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(n):
        for name, fn in fns.items():
            start = time.process_time_ns()
            for _ in range(calls):
                fn()
            out[name].append((time.process_time_ns() - start) / calls / 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", choices=sorted(CASES), default="hilversum")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    raw = yaml.safe_load(CASES[args.pack].read_text(encoding="utf-8"))
    raw["events"] = raw["events"][:20]
    text = json.dumps(raw, default=str)
    as_json = json.loads(text)
    engine = Engine(load_pack(args.pack))
    case = engine.validate_case(raw)
    as_of = dt.date(2025, 1, 15)
    for _ in range(30):  # warm the pack's memo tables and the holiday data
        engine.evaluate(case, as_of=as_of)
    fns: dict[str, Callable[[], object]] = {
        "json.loads of the case (reference)": lambda: json.loads(text),
        "validate_case, dict as YAML gives it": lambda: engine.validate_case(raw),
        "validate_case, dict as JSON gives it": lambda: engine.validate_case(as_json),
        "Case.model_validate, YAML dict": lambda: Case.model_validate(raw),
        "evaluate, parsed": lambda: engine.evaluate(case, as_of=as_of),
        "evaluate, from the YAML dict": lambda: engine.evaluate(raw, as_of=as_of),
    }
    times = rounds(fns, args.calls, args.rounds)
    ref = times["json.loads of the case (reference)"]
    for name, values in times.items():
        ratio = statistics.median(v / r for v, r in zip(values, ref, strict=True))
        print(f"{name:40s} {statistics.median(values):8.1f} µs CPU  {ratio:5.2f}x json.loads")
    extra = [
        d - p
        for d, p in zip(
            times["evaluate, from the YAML dict"], times["evaluate, parsed"], strict=True
        )
    ]
    ratio = statistics.median(e / r for e, r in zip(extra, ref, strict=True))
    name = "evaluate from the dict - parsed"
    print(f"{name:40s} {statistics.median(extra):8.1f} µs CPU  {ratio:5.2f}x json.loads")


if __name__ == "__main__":
    main()
