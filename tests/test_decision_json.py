"""to_json() is written by orjson, byte for byte what the sorted json.dumps writes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mph_rules import Engine, load_case, load_pack
from mph_rules.decision import PackRef, TraceEntry, Verdict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CASES = sorted(p for p in EXAMPLES.glob("*/*.yaml") if (EXAMPLES / p.parent.name).is_dir())


def reference(obj: object, indent: int | None = 2) -> str:
    return json.dumps(obj.to_dict(), indent=indent, sort_keys=True, ensure_ascii=False)  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_decisions_byte_identical(path: Path) -> None:
    pack = "mini" if path.parent.name == "mini" else path.parent.name
    try:
        engine = Engine(load_pack(pack))
    except Exception:
        pytest.skip(f"no bundled pack {pack}")
    case = load_case(path)
    for as_of in (dt.date(2024, 6, 1), dt.date(2026, 1, 1), dt.date(2040, 1, 1)):
        decision = engine.evaluate(case, as_of=as_of)
        assert decision.to_json() == reference(decision)
        assert decision.to_json(indent=None) == reference(decision, None)
        session = engine.session(case.id, facts=case.facts, subjects=case.subjects)
        for event in case.events:
            consequences = session.post(event)
            assert consequences.to_json() == reference(consequences)


def test_awkward_text_and_values() -> None:
    text = "".join(chr(i) for i in range(0x80)) + '\u2028é😀 "quoted" \\ /'
    entry = TraceEntry(text, "fired", text, None, "x", 3)
    verdict = Verdict(True, (text,), (text, ""), (entry,))
    assert verdict.to_json() == reference(verdict)
    moments = PackRef("p", "1", "h", "e", {"at": dt.datetime(2024, 3, 31, 2, 30, 0, 5, dt.UTC)})
    assert moments.to_json() == reference(moments)


def test_values_orjson_writes_differently_fall_back() -> None:
    odd = PackRef("p", "1", "h", "e", {"ratio": 1e16, "small": 1e-05, "big": 2**70, "n": [1, 2.5]})
    assert odd.to_json() == reference(odd)
    lone = Verdict(True, ("\ud800",), ())
    assert lone.to_json() == reference(lone)
