"""The Dask sweep and batch path: a 2-worker LocalCluster (processes, small memory) gives, for
every bundled pack, exactly the summaries of a single-process run; malformed lines are reported
by file and line; a refused pack stops the run; a worker killed mid-run loses nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from mph_rules import Engine, bundled_names, load_case, load_pack
from mph_rules.batch import PackMismatch, PackSpec, evaluate_many, summary
from mph_rules.cli import main
from mph_rules.testing import strategies

distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("mph_rules.distributed")

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 6, 1)
PACKS = bundled_names()


def shifted_examples(pack: str, count: int, seed: int) -> Iterator[dict[str, Any]]:
    """The pack's examples, each moved by a random number of days, with fresh ids."""
    templates = [
        load_case(p).model_dump(mode="python", by_alias=True)
        for p in sorted((ROOT / "examples" / pack).glob("*.yaml"))
    ]
    rng = random.Random(seed)
    for i in range(count):
        t = templates[i % len(templates)]
        shift = dt.timedelta(days=rng.randrange(-400, 400))
        yield {
            **t,
            "id": f"{pack}-{i}",
            "events": [{**e, "at": e["at"] + shift} for e in t["events"]],
        }


def generated(engine: Engine, count: int) -> list[dict[str, Any]]:
    """``count`` cases from the pack's hypothesis strategy, the same on every run."""
    out: list[dict[str, Any]] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategies.cases(engine, max_events=10))
    def collect(case: dict[str, Any]) -> None:
        out.append(case)

    collect()
    return out


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with dd.connect(workers=2, memory_limit="512MiB") as c:
        yield c


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[Path], list[Any]]]:
    """Per pack: its partitions (generated and shifted example cases) and each case's
    single-process summary."""
    out = {}
    for i, name in enumerate(PACKS):
        engine = Engine(load_pack(name))
        cases = generated(engine, 8) + list(shifted_examples(name, 18, seed=i))
        folder = tmp_path_factory.mktemp(name)
        paths = dd.write_store(cases, folder / name, per_partition=13)
        want = [summary(engine.evaluate(c, as_of=AS_OF)) for c in cases]
        out[name] = (paths, want)
    return out


@pytest.mark.parametrize("name", PACKS)
def test_sweep_matches_single_process_summaries(
    client: Any, stores: dict[str, tuple[list[Path], list[Any]]], name: str
) -> None:
    paths, want = stores[name]
    report, located = dd.sweep(client, name, paths, AS_OF, every=True)
    assert [item.summary for item in located] == want
    assert report.cases == len(want) and not report.problems
    assert report.cases_due == sum(1 for s in want if s.due)
    assert sum(report.tally.values()) == sum(len(s.due) for s in want)
    assert {item.file for item in located} == {str(p) for p in paths}
    if name == "hilversum":  # by default only the cases with something due travel back
        _, due = dd.sweep(client, name, paths, AS_OF)
        assert [item.summary for item in due] == [s for s in want if s.due]


def test_something_is_due_somewhere(stores: dict[str, tuple[list[Path], list[Any]]]) -> None:
    """The comparison above would be weak if nothing were ever due."""
    kinds = {d.kind for _, want in stores.values() for s in want for d in s.due}
    assert {"deletion", "notification"} <= kinds
    assert all(
        d.source for _, want in stores.values() for s in want for d in s.due if d.kind != "deletion"
    )


def test_evaluate_many_on_a_dask_executor(
    client: Any, stores: dict[str, tuple[list[Path], list[Any]]]
) -> None:
    name = "zvh_midden_nl"
    engine = Engine(load_pack(name))
    cases = list(shifted_examples(name, 20, seed=3))
    executor = client.get_executor()
    got = list(evaluate_many(engine, cases, as_of=AS_OF, executor=executor, chunksize=3))
    assert got == [summary(engine.evaluate(c, as_of=AS_OF)) for c in cases]
    whole = evaluate_many(name, cases[:4], as_of=AS_OF, executor=executor, reduce=None)
    assert [d.to_json() for d in whole] == [
        engine.evaluate(c, as_of=AS_OF).to_json() for c in cases[:4]
    ]


def test_malformed_lines_are_reported_and_the_sweep_goes_on(client: Any, tmp_path: Path) -> None:
    good = list(shifted_examples("hilversum", 3, seed=1))
    part = dd.write_store(good, tmp_path, per_partition=10)[0]
    bad_case = {**good[0], "id": "broken", "events": [{"type": "no_such_event"}]}
    with part.open("a", encoding="utf-8") as f:
        f.write("{not json\n\n[1, 2]\n" + json.dumps(bad_case, default=str) + "\n")
        f.write(json.dumps(good[1], default=str) + "\n")
    report, located = dd.sweep(client, "hilversum", [part], AS_OF, every=True)
    assert report.cases == 5 and len(located) == 4
    assert [(p.file, p.line) for p in report.problems] == [
        (str(part), 4),
        (str(part), 6),
        (str(part), 7),
    ]
    assert "not JSON" in report.problems[0].message
    assert "no_such_event" in report.problems[2].message or "events" in report.problems[2].message
    assert not any(p.internal for p in report.problems)
    assert [x.line for x in located] == [1, 2, 3, 8]


def test_bad_bytes_and_a_truncated_file_are_problems_not_crashes(tmp_path: Path) -> None:
    import gzip

    good = json.dumps(next(shifted_examples("hilversum", 1, seed=2)), default=str).encode()
    plain = tmp_path / "a.jsonl"
    plain.write_bytes(good + b"\n" + b'{"id": "caf\xe9"}\n' + good + b"\n")
    got = list(dd.read_partition(plain))
    assert [n for n, _ in got] == [1, 2, 3]
    assert isinstance(got[1][1], dd.CaseProblem) and "not JSON" in got[1][1].message
    packed = gzip.compress(good + b"\n" + good + b"\n")
    (tmp_path / "b.jsonl.gz").write_bytes(packed[: len(packed) - 12])  # cut short
    got = list(dd.read_partition(tmp_path / "b.jsonl.gz"))
    assert isinstance(got[-1][1], dd.CaseProblem)
    assert "cannot read the partition" in got[-1][1].message


def test_a_worker_refuses_a_pack_whose_hash_differs(client: Any, stores: Any) -> None:
    spec = PackSpec.of("hilversum")
    forged = PackSpec(spec.text, spec.file, "sha256:" + "0" * 64, spec.settings)
    paths, _ = stores["hilversum"]
    with pytest.raises(PackMismatch, match="pack refused"):
        dd.sweep(client, forged, paths[:1], AS_OF)


def test_cli_sweep_text_and_jsonl(client: Any, tmp_path: Path, capsys: Any) -> None:
    store = tmp_path / "store"
    for name in ("hilversum", "nijmegen"):
        dd.write_store(shifted_examples(name, 9, seed=5), store / name, per_partition=4)
    with (store / "nijmegen" / "part-00000.jsonl").open("a", encoding="utf-8") as f:
        f.write("oops\n")
    out = tmp_path / "due.jsonl"
    address = client.scheduler.address
    code = main(
        [
            "sweep",
            "--cases",
            str(store),
            "--as-of",
            "2026-06-01",
            "--scheduler",
            address,
            "--jsonl",
            str(out),
            "--no-progress",
        ]
    )
    text = capsys.readouterr().out
    assert code == 1  # one line could not be evaluated
    assert "Retention sweep as of 2026-06-01: hilversum" in text
    assert "Retention sweep as of 2026-06-01: nijmegen" in text
    assert f"{store / 'nijmegen' / 'part-00000.jsonl'}:5: error: not JSON" in text
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    errors = [r for r in lines if "error" in r]
    cases = [r for r in lines if "case" in r]
    assert len(errors) == 1 and errors[0]["line"] == 5
    engines = {n: Engine(load_pack(n)) for n in ("hilversum", "nijmegen")}
    assert cases and all(r["due"] and r["pack"] in engines for r in cases)
    for r in cases:
        case = json.loads(Path(r["file"]).read_text().splitlines()[r["line"] - 1])
        expected = summary(engines[r["pack"]].evaluate(case, as_of=AS_OF)).to_dict()
        assert r["due"] == expected["due"] and r["case"] == expected["case"]
    # workers write the partitions back; only counts travel
    back = tmp_path / "back"
    code = main(
        [
            "sweep",
            "--cases",
            str(store / "hilversum"),
            "--pack",
            "hilversum",
            "--as-of",
            "2026-06-01",
            "--scheduler",
            address,
            "--out-dir",
            str(back),
            "--format",
            "jsonl",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0 and captured.out == ""
    written = sorted(p.name for p in back.iterdir())
    assert written == ["part-00000.due.jsonl", "part-00001.due.jsonl", "part-00002.due.jsonl"]
    back_cases = [
        json.loads(x) for p in sorted(back.iterdir()) for x in p.read_text().split("\n") if x
    ]
    assert sorted(r["case"] for r in back_cases) == sorted(
        r["case"] for r in cases if r["pack"] == "hilversum"
    )


def test_bad_arguments_exit_2(tmp_path: Path, capsys: Any) -> None:
    assert (
        main(
            [
                "sweep",
                "--cases",
                str(tmp_path / "nope"),
                "--as-of",
                "2026-06-01",
                "--pack",
                "hilversum",
            ]
        )
        == 2
    )
    assert (
        main(["sweep", "--cases", str(tmp_path), "--as-of", "2026-13-01", "--pack", "hilversum"])
        == 2
    )
    assert main(["sweep", "--cases", str(tmp_path), "--as-of", "2026-06-01"]) == 2
    err = capsys.readouterr().err
    assert "expected a folder" in err and "--as-of" in err and "no pack given" in err


def test_a_worker_killed_mid_run_loses_no_result(client: Any, tmp_path: Path) -> None:
    """Runs last: the nanny restarts the killed worker, but nothing here waits for it."""
    engine = Engine(load_pack("hilversum"))
    cases = list(shifted_examples("hilversum", 300, seed=9))
    paths = dd.write_store(cases, tmp_path, per_partition=25)
    want = [summary(engine.evaluate(c, as_of=AS_OF)) for c in cases]
    pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_a_busy_worker(result: Any) -> None:
        if killed:
            return
        for address, keys in client.processing().items():
            if keys and address in pids:
                os.kill(pids[address], signal.SIGKILL)
                killed.append(pids[address])
                return

    report, located = dd.sweep(
        client, engine.pack, paths, AS_OF, every=True, on_result=kill_a_busy_worker
    )
    assert killed, "no worker was busy after the first partition"
    assert [item.summary for item in located] == want
    assert report.partitions == len(paths) and report.cases == len(cases)


def test_an_unreachable_scheduler_is_a_message_not_a_traceback(tmp_path: Path, capsys: Any) -> None:
    import dask

    dd.write_store(shifted_examples("hilversum", 2, seed=1), tmp_path)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main(
            [
                "sweep",
                "--cases",
                str(tmp_path),
                "--pack",
                "hilversum",
                "--as-of",
                "2026-06-01",
                "--scheduler",
                "tcp://127.0.0.1:9",
            ]
        )
    err = capsys.readouterr().err
    assert code == 2 and "the sweep failed" in err and "scheduler running" in err


def test_progress_bar() -> None:
    import io

    stream = io.StringIO()
    bar = dd.Progress(2, stream=stream, enabled=True)
    result = dd.PartitionResult("p", cases=1500, cases_due=0, tally=(), problems=())
    bar.update(result)
    bar.update(result)
    text = stream.getvalue()
    assert "1/2 partitions, 1,500 cases" in text and "2/2 partitions, 3,000 cases" in text
    assert text.endswith("\n")
    quiet = io.StringIO()
    dd.Progress(1, stream=quiet).update(result)  # not a terminal: nothing drawn
    assert quiet.getvalue() == ""


def _worker_settings() -> tuple[Any, ...]:
    import dask

    return tuple(dask.config.get(k) for k in dd.QUIET)


def test_the_local_cluster_runs_quiet(client: Any) -> None:
    """The sweep's local cluster runs with QUIET in every worker (the nanny hands its
    configuration to its worker) and in the scheduler: no profiler, slow ticks, one task per
    worker, no stealing (docs/scale.md: Dask's background work). Runs after the worker killed
    above: the worker its nanny started again must run QUIET too."""
    client.wait_for_workers(2, timeout=120)
    want = tuple(dd.QUIET.values())
    assert set(client.run(_worker_settings).values()) == {want}

    def scheduler(dask_scheduler: Any) -> tuple[Any, ...]:
        return dask_scheduler.WORKER_SATURATION, "stealing" in dask_scheduler.extensions

    assert client.run_on_scheduler(scheduler) == (1.0, False)
    import dask

    assert dask.config.get("distributed.worker.profile.enabled") is True  # the caller's own
