"""The audit trail: a stored decision reproduces with the same pack, and not with another."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mph_rules import Engine, EventError, Pack, __version__, load_pack, load_pack_text
from mph_rules.cli import main
from mph_rules.loading import load_case
from mph_rules.testing import audit, invariants, strategies

from .profiles import active

PROFILE = active()
MINI = Path(__file__).parent.parent / "fixtures" / "mini.yaml"
CASE = Path(__file__).parent.parent.parent / "examples" / "mini" / "case.yaml"


def _pack_text(engine: Engine) -> str:
    return Path(engine.pack.provenance.files[-1]).read_text(encoding="utf-8")


def _changed(text: str) -> str:
    """The same pack with one rule's wording changed (a label: no effect on any verdict)."""
    # a label may be a plain string or a two-language flow mapping `{nl: ..., en: ...}`
    changed, n = re.subn(r"(\n\s+label: (?:\{nl: )?)([\"']?)", r"\1\2(changed) ", text, count=1)
    assert n == 1
    return changed


def test_decision_names_pack_version_hash_and_engine(engine: Engine) -> None:
    decision = engine.evaluate({"id": "c", "events": []}, as_of=dt.date(2024, 1, 1))
    ref = decision.pack
    assert (ref.id, ref.version) == (engine.pack.pack.id, engine.pack.pack.version)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", ref.content_hash)
    assert ref.engine_version == __version__
    invariants.decision_names_pack(engine, decision)


def test_changed_pack_changes_the_hash(engine: Engine) -> None:
    text = _pack_text(engine)
    same = load_pack_text(text + "\n# a comment changes nothing\n")
    other = load_pack_text(_changed(text))
    assert same.provenance.content_hash == engine.pack.provenance.content_hash
    assert other.provenance.content_hash != engine.pack.provenance.content_hash


_CHANGED: dict[str, Pack] = {}


def _changed_pack(engine: Engine) -> Pack:
    key = engine.pack.provenance.content_hash
    if key not in _CHANGED:
        _CHANGED[key] = load_pack_text(_changed(_pack_text(engine)))
    return _CHANGED[key]


@PROFILE
@given(data=st.data())
def test_stored_record_replays_exactly_and_detects_a_changed_pack(
    engine: Engine, data: st.DataObject
) -> None:
    case = data.draw(strategies.cases(engine), label="case")
    as_of = data.draw(strategies.as_of_dates(case), label="as_of")
    stored = json.loads(audit.dumps(audit.record(engine, case, as_of)))
    assert audit.replay(stored, engine.pack).reproduced
    result = audit.replay(stored, _changed_pack(engine))
    assert not result.reproduced
    assert any(d.startswith("pack.content_hash: recorded") for d in result.differences)


def test_changed_engine_version_is_reported(mini: Engine) -> None:
    rec = audit.record(mini, {"id": "c", "events": []}, dt.date(2024, 1, 1))
    rec["decision"]["pack"]["engine_version"] = "0.0.1"
    rec["hashes"]["output"] = audit.canonical_hash(rec["decision"])  # as an old engine wrote it
    result = audit.replay(rec, mini.pack)
    assert not result.reproduced
    assert result.differences == (f'pack.engine_version: recorded "0.0.1", now "{__version__}"',)


def test_not_a_record_is_an_event_error(mini: Engine) -> None:
    with pytest.raises(EventError, match="not an audit record"):
        audit.replay({"format": "something else"}, mini.pack)


def test_cli_record_then_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Stored as a file by one command, reproduced by another; a changed pack exits 1."""
    assert main(["audit", "record", "--pack", str(MINI), str(CASE), "--as-of", "2024-10-01"]) == 0
    record = tmp_path / "record.json"
    record.write_text(capsys.readouterr().out)
    assert main(["audit", "replay", "--pack", str(MINI), str(record)]) == 0
    assert "reproduced: pack mini 1" in capsys.readouterr().out
    changed = tmp_path / "mini.yaml"
    changed.write_text(_changed(MINI.read_text()))
    assert main(["audit", "replay", "--pack", str(changed), str(record)]) == 1
    assert "pack.content_hash: recorded" in capsys.readouterr().err
    record.write_text("{not json")
    assert main(["audit", "replay", "--pack", str(MINI), str(record)]) == 2


def test_readme_example_reproduces() -> None:
    """The README's first command (example case, test pack), recorded and replayed."""
    invariants.reproducible(Engine(load_pack(MINI)), load_case(CASE), dt.date(2024, 10, 1))
