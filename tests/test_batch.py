"""evaluate_many: the same decisions as Engine.evaluate, in one process and in workers."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from mph_rules import Engine, load_case, load_pack
from mph_rules.batch import (
    PackMismatch,
    PackNotLoaded,
    PackSpec,
    engine_for,
    evaluate_jsonl,
    evaluate_many,
    summary,
)
from mph_rules.errors import EventError

ROOT = Path(__file__).resolve().parent.parent


def test_evaluate_many_matches_evaluate_in_and_out_of_process() -> None:
    engine = Engine(load_pack("hilversum"))
    cases = [load_case(p) for p in sorted((ROOT / "examples/hilversum").glob("*.yaml"))] * 3
    as_of = dt.date(2026, 6, 1)
    want = [engine.evaluate(c, as_of=as_of).to_json() for c in cases]
    assert [d.to_json() for d in evaluate_many(engine, cases, as_of=as_of)] == want
    got = list(evaluate_many(engine, cases, as_of=as_of, processes=2, chunksize=2, reduce=summary))
    assert got == [summary(engine.evaluate(c, as_of=as_of)) for c in cases]


def test_evaluate_many_on_an_executor_sends_the_pack_with_its_settings() -> None:
    """Any concurrent.futures.Executor; summaries by default, whole decisions when asked; the
    engine's settings travel with the pack."""
    engine = Engine(load_pack("zvh_midden_nl"), settings={"retention_regime": "protocol"})
    cases = [load_case(p) for p in sorted((ROOT / "examples/zvh_midden_nl").glob("*.yaml"))] * 4
    as_of = dt.date(2027, 6, 1)
    want = [engine.evaluate(c, as_of=as_of) for c in cases]
    assert want != [Engine(engine.pack).evaluate(c, as_of=as_of) for c in cases]
    with ThreadPoolExecutor(2) as pool:
        got = list(evaluate_many(engine, cases, as_of=as_of, executor=pool, chunksize=2))
        assert got == [summary(d) for d in want]
        whole = evaluate_many(engine, cases, as_of=as_of, executor=pool, reduce=None)
        assert [d.to_json() for d in whole] == [d.to_json() for d in want]
    with ProcessPoolExecutor(2) as pool:  # chunks after the first carry only the pack's key
        got = list(evaluate_many(engine, cases, as_of=as_of, executor=pool, chunksize=1))
        assert got == [summary(d) for d in want]


def test_due_items_cite_their_article() -> None:
    engine = Engine(load_pack("hilversum"))
    case = load_case(ROOT / "examples/hilversum/triage_declined.yaml")
    far = engine.evaluate(case, as_of=dt.date(2040, 1, 1))
    items = summary(far).due
    deletions = [d for d in far.deletions if d.date is not None]
    assert deletions and {("deletion", d.scope, d.source) for d in deletions} <= {
        (i.kind, i.id, i.source) for i in items
    }
    early = summary(engine.evaluate(case, as_of=case.events[0].at)).due
    assert not [i for i in early if i.kind == "deletion"]


def test_a_worker_refuses_a_pack_it_loads_to_another_hash() -> None:
    spec = PackSpec.of("hilversum")
    assert spec.content_hash == load_pack("hilversum").provenance.content_hash
    with pytest.raises(PackMismatch, match="pack refused"):
        engine_for(PackSpec(spec.text, spec.file, "sha256:" + "1" * 64, spec.settings))
    with pytest.raises(PackNotLoaded):
        engine_for(("sha256:" + "2" * 64, "{}"))
    assert pickle.loads(pickle.dumps(PackNotLoaded(spec.key))).key == spec.key


def _jsonl(cases: list[object]) -> list[str]:
    return [json.dumps(c.model_dump(mode="json", exclude_unset=True)) for c in cases]  # type: ignore[attr-defined]


def test_evaluate_jsonl_matches_evaluate_in_and_out_of_process(tmp_path: Path) -> None:
    """JSON Lines in, summaries out: the same as Engine.evaluate, from lines or a file, in this
    process, in a forked pool and on an executor; blank lines are skipped."""
    engine = Engine(load_pack("hilversum"))
    cases = [load_case(p) for p in sorted((ROOT / "examples/hilversum").glob("*.yaml"))] * 3
    as_of = dt.date(2026, 6, 1)
    want = [summary(engine.evaluate(c, as_of=as_of)) for c in cases]
    lines = _jsonl(cases)
    store = tmp_path / "cases.jsonl"
    store.write_text("\n".join([lines[0], "", *lines[1:]]) + "\n", encoding="utf-8")
    assert list(evaluate_jsonl(engine, lines, as_of=as_of)) == want
    assert list(evaluate_jsonl(engine, store, as_of=as_of, processes=2, chunksize=2)) == want
    with ThreadPoolExecutor(2) as pool:
        assert list(evaluate_jsonl("hilversum", store, as_of=as_of, executor=pool)) == want
    whole = evaluate_jsonl(engine, lines[:2], as_of=as_of, reduce=None)
    assert [d.to_json() for d in whole] == [
        engine.evaluate(c, as_of=as_of).to_json() for c in cases[:2]
    ]


@pytest.mark.parametrize("processes", [1, 2])
def test_a_malformed_line_is_reported_with_file_and_line(tmp_path: Path, processes: int) -> None:
    """Every line is validated (there is no trusted bypass): bad JSON, a case that is not an
    object and an event the models refuse each raise EventError at their file and line."""
    case = load_case(ROOT / "examples/hilversum/household_closed.yaml")
    good = _jsonl([case])[0]
    body = json.loads(good)
    body["events"][1]["payload"]["outcome"] = "maybe"
    store = tmp_path / "cases.jsonl"
    for bad, where in (("{not json", None), ("[1, 2]", None), (json.dumps(body), "events[1]")):
        store.write_text("\n".join([good, good, bad, good]) + "\n", encoding="utf-8")
        with pytest.raises(EventError) as info:
            list(
                evaluate_jsonl(
                    "hilversum", store, as_of=dt.date(2026, 6, 1), processes=processes, chunksize=2
                )
            )
        (problem, *_) = info.value.problems
        assert (problem.file, problem.line) == (str(store), 3)
        assert where is None or (problem.path or "").startswith(where)
        assert f"{store}:3" in str(problem)


def test_a_bad_line_past_the_first_pool_task_keeps_its_number(tmp_path: Path) -> None:
    """A chunk goes to the pool's workers in smaller tasks: a line keeps its number."""
    case = load_case(ROOT / "examples/hilversum/household_closed.yaml")
    good = _jsonl([case])[0]
    store = tmp_path / "cases.jsonl"
    store.write_text("\n".join([good] * 36 + ["[1]"] + [good] * 3) + "\n", encoding="utf-8")
    with pytest.raises(EventError) as info:
        list(evaluate_jsonl("hilversum", store, as_of=dt.date(2026, 6, 1), processes=2))
    assert (info.value.problems[0].file, info.value.problems[0].line) == (str(store), 37)
    lines = store.read_text(encoding="utf-8").splitlines()
    del lines[36]
    got = list(evaluate_jsonl("hilversum", lines, as_of=dt.date(2026, 6, 1), processes=2))
    assert [s.case_id for s in got] == [case.id] * 39
