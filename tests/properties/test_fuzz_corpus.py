"""Replay the committed fuzz corpus (tests/fuzz_corpus) through the library and the CLI."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from mph_rules import Engine, EventError, PackError, load_pack
from mph_rules.cli import main
from mph_rules.loading import load_case

from .known_gaps import GAPS, known_gap

CORPUS = Path(__file__).parent.parent / "fuzz_corpus"
MINI = str(Path(__file__).parent.parent / "fixtures" / "mini.yaml")
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
FILES = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*") if p.is_file())
TIME_BOUND = 10.0  # seconds per file


def test_corpus_and_manifest_agree() -> None:
    """Every manifest entry names a corpus file, and every gap named is a known one."""
    assert FILES, "the corpus is empty"
    assert sorted(set(EXPECTED) - set(FILES)) == []
    assert all(spec.get("gap") in (None, *GAPS) for spec in EXPECTED.values())


def _library(name: str, spec: dict[str, Any]) -> tuple[str, str, Any]:
    path = CORPUS / name
    try:
        if name.startswith("pack/"):
            return "ok", "", load_pack(path)
        engine = Engine(load_pack(spec.get("pack", MINI)))
        return "ok", "", engine.evaluate(load_case(path), as_of=_as_of(spec))
    except (PackError, EventError) as exc:
        assert exc.problems and all(p.message.strip() for p in exc.problems)
        return "error", str(exc), None


def _as_of(spec: dict[str, Any]) -> dt.date:
    value = spec.get("as_of", dt.date(2030, 1, 1))
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@pytest.mark.parametrize("name", FILES)
def test_replay_library(name: str, request: pytest.FixtureRequest) -> None:
    spec = EXPECTED.get(name, {})
    if spec.get("gap"):
        known_gap(request, spec["gap"])
    start = time.perf_counter()
    outcome, message, result = _library(name, spec)
    assert time.perf_counter() - start < TIME_BOUND
    if "outcome" in spec:
        assert outcome == spec["outcome"], message
    if "message" in spec:
        assert spec["message"] in message, message
    for index in spec.get("denied", ()):
        assert not result.events[index].allowed, result.events[index]


@pytest.mark.parametrize("name", FILES)
def test_replay_cli(
    name: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit status 0 (ok) or 2 (refused), plain messages, no exception escapes main()."""
    spec = EXPECTED.get(name, {})
    if spec.get("gap"):
        known_gap(request, spec["gap"])
    path = str(CORPUS / name)
    if name.startswith("pack/"):
        args = ["validate", path]
    else:
        as_of = _as_of(spec).isoformat()
        args = ["evaluate", "--pack", spec.get("pack", MINI), path, "--as-of", as_of]
    code = main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if spec.get("outcome") == "error":
        assert code == 2 and err.strip(), err
    elif spec.get("outcome") == "ok":
        assert code == 0, err
    else:
        assert code in (0, 2)
