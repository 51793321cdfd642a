"""Smallest reproducers of what the fuzzers found (each was a crash, now an EventError), and
the CLI's handling of hostile files: exit status 2, plain messages, no traceback."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from mph_rules import Engine, EventError, load_pack
from mph_rules.cli import main
from mph_rules.loading import load_case

MINI = str(Path(__file__).parent.parent / "fixtures" / "mini.yaml")
REGISTER = {"type": "case_registered", "actor": {"role": "police_officer"}}


def _case(*events: dict[str, object]) -> dict[str, object]:
    return {"id": "c", "events": list(events)}


def test_event_before_1966_is_an_event_error(mini: Engine) -> None:
    with pytest.raises(EventError):
        mini.evaluate(_case({**REGISTER, "at": "1900-01-01"}), as_of=dt.date(2024, 1, 1))


def test_moment_at_the_calendar_edge_is_an_event_error(
    mini: Engine,
) -> None:
    with pytest.raises(EventError):
        mini.evaluate(
            _case({**REGISTER, "at": "0001-01-01T00:30:00+05:00"}), as_of=dt.date(2024, 1, 1)
        )


def test_as_of_at_the_calendar_edge_is_an_event_error(
    mini: Engine,
) -> None:
    as_of = dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    with pytest.raises(EventError):
        mini.evaluate(_case(), as_of=as_of)


def test_deadline_past_9999_is_an_event_error(mini: Engine) -> None:
    with pytest.raises(EventError):
        mini.evaluate(_case({**REGISTER, "at": "9999-12-28"}), as_of=dt.date(9999, 12, 31))


def test_plain_date_for_an_hour_deadline() -> None:
    """breach_detected starts the AVG's 72-hour notification (baseline avg): a plain date
    counts from the start of that day (it crashed with DurationError before)."""
    engine = Engine(load_pack("hilversum"))
    breach = {"type": "breach_detected", "at": "2024-03-11", "payload": {"breach_id": "b1"}}
    breach["actor"] = {"role": sorted(engine.compiled.roles)[0]}
    decision = engine.evaluate(_case(breach), as_of=dt.date(2024, 4, 1))
    assert any(n.due == dt.date(2024, 3, 14) for n in decision.notifications)


def test_as_of_must_be_a_date(mini: Engine) -> None:
    with pytest.raises(EventError):
        mini.evaluate(_case(), as_of="2024-01-01")  # type: ignore[arg-type]


def test_a_number_is_not_a_timestamp(mini: Engine) -> None:
    with pytest.raises(EventError):
        mini.evaluate(_case({**REGISTER, "at": 12345}), as_of=dt.date(2024, 1, 1))


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_file_is_refused_without_reading_it_all() -> None:
    """load_case('/dev/zero') is refused without reading it all. Run in a child process
    limited to 1 GB of address space, so a regression (read until memory runs out) cannot
    hurt the test run."""
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from mph_rules.errors import EventError\n"
        "from mph_rules.loading import load_case\n"
        "try:\n    load_case('/dev/zero')\nexcept EventError:\n    sys.exit(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-300:]


# --- the command line --------------------------------------------------------------------------

BAD_CASES = {
    "naive.yaml": "id: c\nevents:\n  - {type: case_registered, at: '2024-03-11T10:00:00'}\n",
    "feb29.yaml": "id: c\nevents:\n  - {type: case_registered, at: 2023-02-29}\n",
    "order.yaml": (
        "id: c\nevents:\n  - {type: case_registered, at: 2024-03-12, actor: {role: regisseur}}\n"
        "  - {type: household_heard, at: 2024-03-11}\n"
    ),
    "unknown.yaml": "id: c\nevents:\n  - {type: no_such_event, at: 2024-03-11}\n",
    "role.yaml": "id: c\nevents:\n  - {type: case_registered, at: 2024-03-11, actor: {role: x}}\n",
    "types.yaml": "id: [1]\nevents: 5\n",
    "dupes.yaml": "id: c\nid: d\nevents: []\n",
    "bomb.yaml": "a: &a [1,1,1,1,1,1,1,1,1,1]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    ),
    "deep.yaml": "a: " + "[" * 300 + "]" * 300 + "\n",
    "binary.yaml": "\udcff\udcfe",
    "empty.yaml": "",
}


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_cli_evaluate_refuses_hostile_case(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_bytes(BAD_CASES[name].encode("utf-8", "surrogateescape"))
    code = main(["evaluate", "--pack", MINI, str(path), "--as-of", "2024-06-01"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip() and "Traceback" not in err


BAD_PACKS = {
    "truncated.yaml": Path(MINI).read_text()[:1500],
    "dupes.yaml": Path(MINI).read_text() + "roles: []\n",
    "bomb.yaml": BAD_CASES["bomb.yaml"],
    "tabs.yaml": "pack:\n\tid: x\n",
}


@pytest.mark.parametrize("name", sorted(BAD_PACKS))
@pytest.mark.parametrize("command", ["validate", "evaluate"])
def test_cli_refuses_hostile_pack(
    name: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_text(BAD_PACKS[name])
    case = tmp_path / "case.yaml"
    case.write_text("id: c\nevents: []\n")
    args = (
        ["validate", str(path)]
        if command == "validate"
        else ["evaluate", "--pack", str(path), str(case), "--as-of", "2024-06-01"]
    )
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2 and str(path) in err and "Traceback" not in err, err


def test_cli_process_exits_2_without_traceback(tmp_path: Path) -> None:
    """The installed entry point, as a separate process: plain message, exit status 2."""
    case = tmp_path / "case.yaml"
    case.write_text(BAD_CASES["naive.yaml"])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mph_rules",
            "evaluate",
            "--pack",
            MINI,
            str(case),
            "--as-of",
            "2024-06-01",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "UTC offset" in done.stderr and "Traceback" not in done.stderr


def test_cli_case_before_1966(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "old.yaml"
    case.write_text(
        "id: c\nevents:\n  - {type: case_registered, at: 1900-01-01, "
        "actor: {role: police_officer}}\n"
    )
    assert main(["evaluate", "--pack", MINI, str(case), "--as-of", "2024-01-01"]) == 2


def test_load_case_gives_lines(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(BAD_CASES["dupes.yaml"])
    with pytest.raises(EventError, match=r"case.yaml:2:1: error\[MPH-Y007\]: duplicate key 'id'"):
        load_case(case)
