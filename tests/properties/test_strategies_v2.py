"""The case strategies reach the v2 case model: subjects, scoped consent and purposes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from mph_rules import Engine, load_pack
from mph_rules.testing.strategies import cases, events

ENGINE = Engine(load_pack(Path(__file__).parent.parent / "fixtures" / "casemodel.yaml"))
SEEN: dict[str, int] = {"subjects": 0, "scoped_consent": 0, "purpose": 0}


def _tally(case: dict[str, Any]) -> None:
    for event in case["events"]:
        payload = event.get("payload", {})
        SEEN["subjects"] += "subjects" in event
        SEEN["scoped_consent"] += event["type"] == "consent_given" and any(
            k in payload for k in ("recipients", "purposes", "categories")
        )
        SEEN["purpose"] += "purpose" in payload


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=cases(ENGINE, min_events=4, max_events=12))
def _draw(case: dict[str, Any]) -> None:
    _tally(case)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(event=events(ENGINE, phase="execution"))
def _draw_execution(event: dict[str, Any]) -> None:
    # in execution the test pack accepts provisions, recordings and reads: purposes appear
    _tally({"events": [event]})


def test_generated_cases_carry_subjects_scoped_consent_and_purposes() -> None:
    _draw()
    _draw_execution()
    assert SEEN["subjects"] > 0, SEEN
    assert SEEN["scoped_consent"] > 0, SEEN
    assert SEEN["purpose"] > 0, SEEN
