"""The published JSON Schemas (case input, CaseDecision) are current and describe what the
library really produces for every bundled pack."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mph_rules import Engine, bundled_names, load_case, load_pack
from mph_rules.decision import SCHEMA_VERSION
from mph_rules.published_schemas import CASE_FILE, DECISION_FILE, files, main

jsonschema = pytest.importorskip("jsonschema")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PACKS = [p for p in bundled_names() if "/" not in p]


def _validator(path: Path) -> object:
    schema = json.loads(path.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_shipped_files_are_current() -> None:
    for path, text in files().items():
        assert path.read_text("utf-8") == text, (
            f"{path.name} is stale: python -m mph_rules.published_schemas --write"
        )
    assert main([]) == 0


@pytest.mark.parametrize("pack", PACKS)
def test_real_cases_and_decisions_validate(pack: str) -> None:
    decisions = _validator(DECISION_FILE)
    cases = _validator(CASE_FILE)
    engine = Engine(load_pack(pack))
    paths = sorted((EXAMPLES / pack).glob("*.yaml"))
    assert paths
    for path in paths:
        case = load_case(path).model_dump(mode="json")
        cases.validate(case)  # type: ignore[attr-defined]
        for as_of in (dt.date(2024, 3, 20), dt.date(2026, 6, 1), dt.date(2060, 1, 1)):
            out = json.loads(engine.evaluate(case, as_of=as_of).to_json())
            decisions.validate(out)  # type: ignore[attr-defined]
            assert out["schema_version"] == SCHEMA_VERSION


def test_schemas_catch_what_they_should() -> None:
    decisions = _validator(DECISION_FILE)
    cases = _validator(CASE_FILE)
    engine = Engine(load_pack("hilversum"))
    case = load_case(EXAMPLES / "hilversum" / "household_closed.yaml").model_dump(mode="json")
    out = json.loads(engine.evaluate(case, as_of=dt.date(2025, 1, 1)).to_json())
    for broken in (
        {**out, "schema_version": "0"},
        {**out, "surprise": 1},
        {k: v for k, v in out.items() if k != "phase"},
        {**out, "notifications": [{"id": "x"}]},
    ):
        assert not decisions.is_valid(broken)  # type: ignore[attr-defined]
    first = case["events"][0]
    assert first["type"] == "case_registered"
    for event in (
        {**first, "payload": {"no_such_field": 1}},
        {**first, "type": "triage_decided", "payload": {"outcome": "maybe"}},
        {k: v for k, v in first.items() if k != "at"},
    ):
        assert not cases.is_valid({**case, "events": [event]})  # type: ignore[attr-defined]
