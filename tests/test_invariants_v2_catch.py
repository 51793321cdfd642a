"""The v2 invariants fail on decisions that break them (they are not vacuous)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from mph_rules import Engine, load_pack
from mph_rules.decision import Finding
from mph_rules.testing import invariants

ENGINE = Engine(load_pack(Path(__file__).parent / "fixtures" / "casemodel.yaml"))
SUBJECTS = [{"id": "mother"}, {"id": "son"}]


def ev(type_: str, at: str, role: str, **extra: Any) -> dict[str, Any]:
    subjects = extra.pop("subjects", None)
    event: dict[str, Any] = {"type": type_, "at": at, "actor": {"role": role}, "payload": extra}
    if subjects is not None:
        event["subjects"] = subjects
    return event


START = [
    ev("case_registered", "2024-03-11", "police_officer"),
    ev("triage_decided", "2024-03-14", "triagist", outcome="accepted"),
    ev("household_heard", "2024-03-15", "regisseur"),
    ev("plan_established", "2024-03-25", "regisseur"),
]


def flip(decision: Any, index: int) -> Any:
    events = list(decision.events)
    events[index] = dataclasses.replace(events[index], allowed=True, verdict="allowed")
    return dataclasses.replace(decision, events=tuple(events))


def test_reading_after_the_deletion_date_is_caught() -> None:
    case = {
        "id": "c",
        "subjects": SUBJECTS,
        "events": [
            *START,
            ev("case_closed", "2024-09-30", "regisseur"),
            ev("file_accessed", "2030-01-02", "regisseur", categories=["identity"]),
        ],
    }
    decision = ENGINE.evaluate(case, as_of=dt.date(2030, 2, 1))
    invariants.nothing_processed_after_deletion(ENGINE, case, decision)
    assert not decision.events[-1].allowed
    with pytest.raises(invariants.InvariantViolation, match="after the deletion date"):
        invariants.nothing_processed_after_deletion(ENGINE, case, flip(decision, -1))


def test_the_deletion_invariant_is_per_scope() -> None:
    # r_police_data: police_incidents deleted 6 months after the plan (2024-09-25); identity not
    case = {
        "id": "c",
        "subjects": SUBJECTS,
        "events": [
            *START,
            ev("file_accessed", "2024-10-01", "regisseur", categories=["police_incidents"]),
            ev("file_accessed", "2024-10-01", "regisseur", categories=["identity"]),
        ],
    }
    decision = ENGINE.evaluate(case, as_of=dt.date(2024, 10, 2))
    assert not decision.events[-2].allowed and decision.events[-1].allowed
    invariants.nothing_processed_after_deletion(ENGINE, case, decision)
    with pytest.raises(invariants.InvariantViolation, match="police_data"):
        invariants.nothing_processed_after_deletion(ENGINE, case, flip(decision, -2))


def test_processing_after_an_upheld_objection_is_caught() -> None:
    case = {
        "id": "c",
        "subjects": SUBJECTS,
        "events": [
            *START,
            ev(
                "subject_request_received",
                "2024-03-26",
                "controller",
                request_id="o",
                right="objection",
                subject="son",
            ),
            ev(
                "subject_request_answered",
                "2024-03-27",
                "controller",
                request_id="o",
                outcome="granted",
            ),
            ev(
                "data_recorded",
                "2024-03-28",
                "regisseur",
                categories=["identity"],
                subjects=["son"],
            ),
        ],
    }
    decision = ENGINE.evaluate(case, as_of=dt.date(2024, 4, 1))
    invariants.objection_and_withdrawal_honoured(ENGINE, case, decision)
    with pytest.raises(invariants.InvariantViolation, match="after the objection"):
        invariants.objection_and_withdrawal_honoured(ENGINE, case, flip(decision, -1))


def test_a_refusal_beyond_a_recipient_limited_withdrawal_is_caught() -> None:
    scoping = {"scope": "sharing_partners", "subject": "mother"}
    give = {"from_role": "regisseur", "categories": ["identity"], "subjects": ["mother"]}
    case = {
        "id": "c",
        "subjects": SUBJECTS,
        "events": [
            *START,
            ev("consent_given", "2024-03-26", "regisseur", **scoping),
            ev("consent_withdrawn", "2024-03-27", "regisseur", recipients=["housing"], **scoping),
            ev("data_provided", "2024-03-28", "regisseur", to_role="police_officer", **give),
            ev("data_provided", "2024-03-28", "regisseur", to_role="housing", **give),
        ],
    }
    decision = ENGINE.evaluate(case, as_of=dt.date(2024, 4, 1))
    assert decision.events[-2].allowed and not decision.events[-1].allowed
    invariants.objection_and_withdrawal_honoured(ENGINE, case, decision)
    # the refusal of the provision to housing, pinned on the provision to the police officer
    events = list(decision.events)
    events[-2] = dataclasses.replace(
        events[-1], index=events[-2].index, allowed=False, verdict="denied"
    )
    bad = dataclasses.replace(decision, events=tuple(events))
    with pytest.raises(invariants.InvariantViolation, match="limited to other recipients"):
        invariants.objection_and_withdrawal_honoured(ENGINE, case, bad)


def test_an_uncited_finding_is_caught() -> None:
    case = {"id": "c", "subjects": SUBJECTS, "events": START[:1]}
    decision = ENGINE.evaluate(case, as_of=dt.date(2024, 4, 1))
    invariants.findings_and_records_cite_rules(ENGINE, decision)
    bad = dataclasses.replace(decision, findings=(Finding("x", "no_such_rule", "m"),))
    with pytest.raises(invariants.InvariantViolation, match="no_such_rule"):
        invariants.findings_and_records_cite_rules(ENGINE, bad)
