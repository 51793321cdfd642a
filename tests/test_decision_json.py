"""to_json() is written by orjson, byte for byte what the sorted json.dumps writes."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from mph_rules import Engine, load_case, load_pack
from mph_rules.decision import Finding, PackRef, TraceEntry, Verdict

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
    for obj in (odd, lone):
        assert obj.to_json(indent=None) == reference(obj, None)


def test_moments_in_every_zone_and_free_values_sorted() -> None:
    """orjson writes dates and whole-minute offsets itself; a zone it writes otherwise (an
    offset with seconds, as Amsterdam's before 1937) goes through isoformat, every time."""
    from zoneinfo import ZoneInfo

    from mph_rules.decision import EventVerdict, Notification

    zones = [
        None,
        dt.UTC,
        dt.timezone(dt.timedelta(hours=5, minutes=30)),
        dt.timezone(-dt.timedelta(hours=3)),
        dt.timezone(dt.timedelta(seconds=61)),
        dt.timezone(dt.timedelta(microseconds=5)),
        ZoneInfo("Europe/Amsterdam"),
    ]
    for zone in zones:
        for year in (1900, 2024):
            at = dt.datetime(year, 3, 31, 2, 30, 0, 5, tzinfo=zone)
            verdict = EventVerdict(0, "t", at, True, "a", "b", ("r",), ("x",))
            note = Notification(
                "n", "d", "r", "i", "a", 0, "pending", at.date(), at, False, None, "s", "o"
            )
            for obj in (verdict, note, verdict, note):  # twice: a used encoder as a fresh one
                assert obj.to_json() == reference(obj)
                assert obj.to_json(indent=None) == reference(obj, None)
    settings = {"b": {"z": 1, "a": [{"y": True, "c": None}]}, "a": dt.date(2024, 1, 2)}
    assert PackRef("p", "1", "h", "e", settings).to_json() == reference(
        PackRef("p", "1", "h", "e", settings)
    )


def test_values_of_another_type_than_declared_fall_back() -> None:
    import enum

    class Kind(enum.Enum):
        A = "a"

    odd = Verdict(True, ("r",), (), (TraceEntry("r", "fired", "why", event=2),))
    mixed = Verdict(True, ("r",), (), (odd.trace[0], Finding("c", "r", "m")))  # type: ignore[arg-type]
    for obj in (
        mixed,
        PackRef("p", "1", "h", "e", {"kind": Kind.A}),
        PackRef("p", "1", "h", "e", {1: "x"}),
        TraceEntry("r", "fired", "why", event=2**64),
    ):
        assert obj.to_json() == reference(obj)
        assert obj.to_json(indent=None) == reference(obj, None)


def test_calls_of_any_length_and_in_threads_write_what_json_dumps_writes() -> None:
    """to_json keeps nothing between calls: traces of every length one after another, and
    calls in several threads at once, all write what json.dumps writes."""
    import concurrent.futures

    entries = [TraceEntry(f"r{i}", "fired", f"why {i}", "art. 1", "p", i) for i in range(5)]
    verdicts = [Verdict(i % 2 == 0, ("r",), (), tuple(entries[:i])) for i in (5, 1, 0, 3, 5)]
    for verdict in verdicts:
        assert verdict.to_json() == reference(verdict)
    engine = Engine(load_pack("hilversum"))
    case = load_case(EXAMPLES / "hilversum" / "household_closed.yaml")
    decisions = [
        engine.evaluate(case.model_copy(update={"events": case.events[:n]}), as_of=as_of)
        for n in (1, 5, len(case.events))
        for as_of in (dt.date(2024, 6, 1), dt.date(2040, 1, 1))
    ]
    expected = [reference(d) for d in decisions]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns inside to_json
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            for _ in range(20):
                assert list(pool.map(lambda d: d.to_json(), decisions)) == expected
    finally:
        sys.setswitchinterval(switch)
