"""The core event vocabulary is declared once (events.VOCABULARY); every core event has a rule
family that handles it, a hypothesis strategy that generates it, and a line in the docs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mph_rules import Engine, load_pack
from mph_rules.events import CORE_EVENTS, VOCABULARY
from mph_rules.testing import strategies

DOCS = Path(__file__).resolve().parents[1] / "docs" / "pack-format.md"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_pack("hilversum"))


def test_core_events_are_the_vocabulary() -> None:
    assert set(CORE_EVENTS) == set(VOCABULARY)
    for name, spec in VOCABULARY.items():
        assert CORE_EVENTS[name] is spec.payload
        assert spec.families, f"{name} names no rule family"
        assert spec.summary, f"{name} has no summary"


def test_every_core_event_has_a_handler(engine: Engine) -> None:
    families = {f.name: f for f in engine.families}
    for name, spec in VOCABULARY.items():
        for family in spec.families:
            assert family in families, f"{name}: unknown rule family {family!r}"
            assert name in families[family].reacts_to, f"{family} has no handler for {name}"
    for family in engine.families:
        for name in family.reacts_to:
            assert family.name in VOCABULARY[name].families, (
                f"{family.name} reacts to {name} but events.VOCABULARY does not say so"
            )
        assert family.checks <= family.reacts_to


def test_every_core_event_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    first_cells = re.findall(r"^\| ([^|]+) \|", text, flags=re.MULTILINE)
    documented = {name for cell in first_cells for name in re.findall(r"`([a-z_]+)`", cell)}
    assert set(VOCABULARY) <= documented, sorted(set(VOCABULARY) - documented)


def test_every_reference_field_exists() -> None:
    for name, spec in VOCABULARY.items():
        for field, kind in spec.references:
            assert field in spec.payload.model_fields, f"{name}.{field}"
            assert kind in ("role", "party", "category", "duty", "ground")


@pytest.mark.parametrize("event_type", sorted(VOCABULARY))
def test_every_core_event_has_a_strategy(engine: Engine, event_type: str) -> None:
    model = VOCABULARY[event_type].payload

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        payload = data.draw(strategies.payloads(engine, event_type))
        model.model_validate(payload)

    check()


def test_triage_strategy_reaches_every_outcome(engine: Engine) -> None:
    seen: set[str] = set()

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategies.payloads(engine, "triage_decided"))
    def collect(payload: dict[str, object]) -> None:
        seen.add(str(payload["outcome"]))

    collect()
    assert "referred_to_regular_care" in seen
