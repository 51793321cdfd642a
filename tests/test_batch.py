"""evaluate_many: the same decisions as Engine.evaluate, in one process and in workers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mph_rules import Engine, load_case, load_pack
from mph_rules.batch import evaluate_many, summary

ROOT = Path(__file__).resolve().parent.parent


def test_evaluate_many_matches_evaluate_in_and_out_of_process() -> None:
    engine = Engine(load_pack("hilversum"))
    cases = [load_case(p) for p in sorted((ROOT / "examples/hilversum").glob("*.yaml"))] * 3
    as_of = dt.date(2026, 6, 1)
    want = [engine.evaluate(c, as_of=as_of).to_json() for c in cases]
    assert [d.to_json() for d in evaluate_many(engine, cases, as_of=as_of)] == want
    got = list(evaluate_many(engine, cases, as_of=as_of, processes=2, chunksize=2, reduce=summary))
    assert got == [summary(engine.evaluate(c, as_of=as_of)) for c in cases]
