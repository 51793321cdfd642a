"""Where the time of ``Engine.evaluate`` of a parsed 20-event example case goes: each event's
cost, the parts of building the decision, and each rule family's share, as minimums of single
runs (the run nobody interrupted), so two code versions can be compared on a busy machine.

    python benchmarks/evaluate_profile.py [--pack hilversum|zvh_midden_nl] [--runs 1500]

A family's share is measured by switching its effects (or the judges, or the preconditions)
off and timing the case again: an upper bound, since a family switched off also spares the
work its effects cause later (fewer open notifications to discharge, fewer records to list).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mph_rules import Engine, load_pack
from mph_rules.engine.session import CaseSession
from mph_rules.engine.state import cutoff

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_min import arguments
from evaluate_min import fastest as fastest_seconds

AS_OF = dt.date(2025, 1, 15)


def fastest(fn: Callable[[], object], runs: int) -> float:
    """The shortest of ``runs`` single calls, in µs."""
    return fastest_seconds(fn, runs) * 1e6


def replay(engine: Engine, case: Any, runs: int) -> tuple[list[float], float, float, Any]:
    """Per event the fastest apply, the fastest session set-up and decision (as evaluate
    does them), and the last state and verdicts."""
    events = case.events
    costs = [float("inf")] * len(events)
    setup = decide = float("inf")
    pc = time.perf_counter
    for _ in range(runs):
        start = pc()
        session = CaseSession(engine, case.id, case.facts, case.subjects)
        state = session._state
        state.whole_events = True
        setup = min(setup, pc() - start)
        verdicts = []
        for i, event in enumerate(events):
            start = pc()
            verdicts.append(engine.apply(i, event, state))
            costs[i] = min(costs[i], pc() - start)
        start = pc()
        engine.decide(state, case.id, AS_OF, tuple(verdicts), 0)
        decide = min(decide, pc() - start)
    return [c * 1e6 for c in costs], setup * 1e6, decide * 1e6, (state, tuple(verdicts))


def _off(*_: Any, **__: Any) -> None:
    return None


SWITCHES: dict[str, Callable[[Engine], None]] = {
    "records (effects)": lambda e: setattr(e.records, "apply", _off),
    "duties (effects)": lambda e: setattr(e.duties, "apply", _off),
    "lifecycle (effects)": lambda e: setattr(e.lifecycle, "apply", _off),
    "retention (effects)": lambda e: setattr(e.retention, "apply", _off),
    "case (effects)": lambda e: setattr(e.case, "apply", _off),
    "judges (access, sharing, duties, rights)": lambda e: e._judges.clear(),
    "preconditions": lambda e: setattr(e.lifecycle, "preconditions", lambda *a: (True, "")),
}


def main() -> None:
    args, raw = arguments(__doc__.splitlines()[0])
    text = json.dumps(raw, default=str)
    pack = load_pack(args.pack)

    def engine_for(switch: Callable[[Engine], None] | None = None) -> tuple[Engine, Any]:
        engine = Engine(pack)
        case = engine.validate_case(raw)
        if switch is not None:
            switch(engine)
        for _ in range(30):  # warm the pack's memo tables and the holiday data
            engine.evaluate(case, as_of=AS_OF)
        return engine, case

    ref = fastest(lambda: json.loads(text), 2 * args.runs)
    engine, case = engine_for()
    whole = fastest(lambda: engine.evaluate(case, as_of=AS_OF), args.runs)
    costs, setup, decide, (state, verdicts) = replay(engine, case, args.runs)
    print(f"{args.pack}: json.loads {ref:.1f} µs, evaluate {whole:.0f} µs = {whole / ref:.1f}x")
    print(f"  set-up {setup:.1f} µs, events {sum(costs):.0f} µs, decision {decide:.1f} µs")
    for i, (event, cost) in enumerate(zip(case.events, costs, strict=True)):
        word = "allowed" if verdicts[i].allowed else "denied"
        print(f"  {i:2} {event.type:40} {word:8} {cost:6.1f} µs")
    limit = cutoff(AS_OF)
    book = state.book
    parts: list[tuple[str, Callable[[], object]]] = [
        ("record statuses", lambda: book.record_statuses(limit)),
        ("open points", lambda: book.open_points(state.trace, engine.settings, verdicts)),
        ("allowed actions", lambda: engine.lifecycle.allowed_actions(state)),
        ("notifications", lambda: engine.duties.notifications(state, limit)),
        ("deadlines", lambda: [engine.lifecycle.deadline(d, limit) for d in state.deadlines]),
        ("deletions", lambda: engine.retention.deletions(state, limit)),
    ]
    print("  the decision's parts:")
    for name, part in parts:
        print(f"    {name:16} {fastest(part, args.runs):6.1f} µs")
    print("  switched off (events / decision; upper bounds of a part's share):")
    for name, switch in [("nothing", None), *SWITCHES.items(), ("all of the above", None)]:
        if name == "all of the above":

            def every(e: Engine) -> None:
                for each in SWITCHES.values():
                    each(e)

            switch = every
        off, _ = engine_for(switch)
        costs, _, decide, _ = replay(off, case, max(args.runs // 3, 100))
        print(f"    {name:42} {sum(costs):6.0f} µs / {decide:5.1f} µs")


if __name__ == "__main__":
    main()
