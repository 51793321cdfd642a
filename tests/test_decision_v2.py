"""The v2 decision parts (issue 14) are additive: a v1-style case decides exactly as before."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from mph_rules import Engine, load_pack
from mph_rules.decision import (
    DENIED,
    UNSPECIFIED,
    EventVerdict,
    Finding,
    OpenPoint,
    RecordStatus,
    Verdict,
)
from mph_rules.events import Case, Event

FIXTURES = Path(__file__).parent / "fixtures"

# Keys v2 added, per object kind; everything else must be byte-identical to the v1 golden
# decision (produced by the v1 engine from the same pack and case).
NEW_DECISION_KEYS = {"records", "findings", "open_points", "owner"}
NEW_EVENT_KEYS = {"verdict", "subjects"}
NEW_NOTIFICATION_KEYS = {"subject", "addressee"}
NEW_DELETION_KEYS = {"subject", "surviving_fields"}


def _strip_v2(decision: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in decision.items() if k not in NEW_DECISION_KEYS}
    out["events"] = [
        {k: v for k, v in e.items() if k not in NEW_EVENT_KEYS} for e in decision["events"]
    ]
    out["notifications"] = [
        {k: v for k, v in n.items() if k not in NEW_NOTIFICATION_KEYS}
        for n in decision["notifications"]
    ]
    out["deletions"] = [
        {k: v for k, v in d.items() if k not in NEW_DELETION_KEYS} for d in decision["deletions"]
    ]
    return out


def test_v1_case_decision_is_byte_identical_except_for_the_new_fields() -> None:
    engine = Engine(load_pack(FIXTURES / "mini.yaml"))
    case = json.loads((FIXTURES / "mini_case_v1.json").read_text())
    decision = engine.evaluate(case, as_of=dt.date(2024, 12, 1))
    golden = (FIXTURES / "mini_case_v1.decision.json").read_text()
    mine = decision.to_dict()
    again = json.dumps(_strip_v2(mine), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    # the pack hash and engine version are part of the golden: compare them too
    assert again == golden
    # the new fields are there, with their v1 meaning
    assert mine["records"] == [] and mine["findings"] == []
    # the one open point: mini counts "werkdagen" without saying which calendar
    assert [(p["rule"], p["setting"]) for p in mine["open_points"]] == [
        ("d_triage", "working_days_calendar")
    ]
    assert [e["verdict"] for e in mine["events"]] == [
        "allowed" if e["allowed"] else "denied" for e in mine["events"]
    ]
    assert all(e["subjects"] is None for e in mine["events"])
    assert all(n["subject"] is None for n in mine["notifications"])
    assert all(n["addressee"] is None for n in mine["notifications"])


def test_verdict_defaults_from_allowed_and_keeps_unspecified() -> None:
    assert Verdict(True, (), ()).verdict == "allowed"
    assert Verdict(False, (), ()).verdict == DENIED
    open_ = Verdict(True, ("r",), ("open",), verdict=UNSPECIFIED)
    assert open_.verdict == UNSPECIFIED and open_.allowed
    ev = EventVerdict(0, "x", dt.date(2024, 1, 1), False, "a", "a", (), ())
    assert ev.to_dict()["verdict"] == "denied"


def test_new_parts_serialise_with_sorted_keys() -> None:
    finding = Finding("precondition_not_met", "r1", "m", source="cv art. 1", event=3)
    record = RecordStatus("rec", "rec", "what", "missing", "cv art. 2", 0, due=dt.date(2024, 1, 5))
    point = OpenPoint("s1", "conflict", "why", setting="s1", reading="a", events=(1,))
    text = json.dumps([finding.to_dict(), record.to_dict(), point.to_dict()], sort_keys=True)
    assert '"due": "2024-01-05"' in text and '"events": [1]' in text
    assert list(json.loads(finding.to_json())) == sorted(finding.to_dict())


def test_events_carry_subjects_and_the_new_payload_fields() -> None:
    event = Event.model_validate(
        {
            "type": "consent_given",
            "at": "2024-03-15",
            "subjects": ["mother"],
            "payload": {
                "scope": "sharing_housing",
                "subject": "mother",
                "recipients": ["housing"],
                "purposes": ["coordinated_support"],
                "categories": ["identity"],
                "given_by": "subject",
            },
        }
    )
    assert event.subjects == ("mother",)
    assert event.parsed.recipients == ("housing",)
    default = Event.model_validate({"type": "case_closed", "at": "2024-03-15"})
    assert default.subjects is None  # all subjects
    for type_, payload in [
        ("data_recorded", {"categories": ["identity"], "record": "rec_register"}),
        ("data_provided", {"from_role": "a", "to_role": "b", "categories": ["x"], "purpose": "p"}),
        ("file_accessed", {"categories": ["identity"], "purpose": "p"}),
        ("household_informed", {"about": "plan", "form": "oral", "content": ["outcome"]}),
        ("notification_sent", {"duty": "d", "form": "registered", "content": ["a"]}),
        ("subject_request_answered", {"request_id": "r", "outcome": "granted", "handler": "x"}),
    ]:
        Event.model_validate({"type": type_, "at": "2024-03-15", "payload": payload})
    Case.model_validate({"id": "c", "events": [event.model_dump(mode="json")]})
