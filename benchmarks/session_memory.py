"""Memory of live sessions over *different* cases: each session posts its own events of a
generated case (the pack's examples moved by a random number of days, fresh ids: the cases
`benchmarks/sweep.py` sweeps), so what sessions share is only what the engine produced for
equal outcomes, never an input object. `engine_v2.py --only sessions` posts one case many
times; this is the check that its figure is not an artefact of that.

    python benchmarks/session_memory.py [--pack hilversum] [--sessions 200]

Compare two checkouts with ``PYTHONPATH=<checkout>/src python benchmarks/session_memory.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import tracemalloc
from pathlib import Path

from mph_rules import Engine, EventError, load_pack
from mph_rules.events import Event

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sweep import generated_cases  # noqa: E402  (the sweep's case generator)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", default="hilversum")
    parser.add_argument("--sessions", type=int, default=200)
    args = parser.parse_args(argv)
    engine = Engine(load_pack(args.pack))
    for warm in generated_cases(args.pack, 5, seed=3):  # compile the plan, fill the memo
        engine.evaluate(warm, as_of=dt.date(2027, 1, 1))
    cases = list(generated_cases(args.pack, args.sessions))
    gc.collect()
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    sessions, posted = [], 0
    for case in cases:
        session = engine.session(
            case["id"], facts=case.get("facts") or {}, subjects=case.get("subjects") or []
        )
        for body in case["events"]:
            try:
                session.post(Event.model_validate(body))  # each session its own event objects
                posted += 1
            except EventError:
                pass  # an event the case's own history refuses to take: not held either way
        sessions.append(session)
    gc.collect()
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kib = (after - before) / len(cases) / 1024
    print(
        f"{args.pack}: {kib:.1f} KiB per live session over {len(cases)} different generated "
        f"cases ({posted / len(cases):.1f} events each)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
