"""The v2 pack vocabulary (issue 14): accepted where right, refused with a located error."""

from __future__ import annotations

from pathlib import Path

import pytest

from mph_rules import PackError, load_pack, load_pack_text
from mph_rules.schema import PACK_SCHEMA_VERSION

FIXTURES = Path(__file__).parent / "fixtures"
MINI = (FIXTURES / "mini.yaml").read_text()

HEAD = """\
pack:
  id: demo
  title: Demo
  version: "1"
  sources: [{id: cv, title: Convenant, kind: covenant}]
  effective: {valid_from: 2024-01-01}
roles:
  - {id: r, label: R, source: {document: cv, article: "art. 1", quote: "q"}}
"""
SRC = '{document: cv, article: "art. 1", quote: "q"}'


def problems(text: str) -> list[str]:
    with pytest.raises(PackError) as info:
        load_pack_text(text, "demo.yaml")
    return [str(p) for p in info.value.problems]


def test_the_v2_test_pack_loads_with_every_v2_section() -> None:
    pack = load_pack(FIXTURES / "casemodel.yaml")
    assert pack.pack.schema_version == PACK_SCHEMA_VERSION == 2
    assert [r.id for r in pack.records] == ["rec_register", "rec_waiver_reason", "rec_provision"]
    duties = {d.id: d for d in pack.information_duties}
    assert duties["inform_each_member"].per == "subject"
    assert duties["inform_each_member"].required_content == ("outcome", "expectations")
    assert duties["inform_partners_of_closure"].recipients == ("housing",)
    assert duties["inform_late_triage"].opened_by_missed == "d_triage"
    pre = {p.id: p for p in pack.preconditions}
    assert pre["note_before_meeting"].on_violation == "flag"
    assert pre["escalation_open"].outcome == "unspecified"
    assert pre["cooling_off_before_plan"].not_before is not None
    clocks = {c.id: c for c in pack.retention}
    assert clocks["r_closed"].surviving_fields == ("postcode_area",)
    assert clocks["r_consent_records"].restart_within is True


def test_v1_packs_are_version_1_and_load_unchanged() -> None:
    pack = load_pack_text(MINI, "mini.yaml")
    assert pack.pack.schema_version == 1
    assert pack.records == ()
    assert all(p.on_violation == "deny" for p in pack.preconditions)


def test_on_violation_takes_deny_or_flag_only() -> None:
    text = HEAD + (
        "preconditions:\n"
        f"  - {{id: p, event: plan_established, require: {{occurred: x}}, message: m, "
        f"on_violation: warn, source: {SRC}}}\n"
    )
    out = problems(text)
    assert any("demo.yaml:10" in p and "on_violation" in p and "flag" in p for p in out), out


def test_outcome_unspecified_needs_a_note() -> None:
    text = HEAD + (
        "preconditions:\n"
        f"  - {{id: p, event: escalated, require: {{occurred: x}}, message: m, "
        f"outcome: unspecified, source: {SRC}}}\n"
    )
    assert any("needs a `note`" in p for p in problems(text))


def test_record_needs_what_and_trigger_and_refuses_unknown_keys() -> None:
    text = HEAD + (f"records:\n  - id: rec\n    label: L\n    wat: x\n    source: {SRC}\n")
    out = problems(text)
    assert any("unknown key 'wat'" in p and "did you mean 'what'" in p for p in out), out
    assert any("demo.yaml:12:5" in p and "records[0].wat" in p for p in out), out
    assert any("missing required key 'trigger'" in p for p in out), out


def test_duration_from_needs_exactly_one_source() -> None:
    text = HEAD + (
        "rights:\n"
        f"  - {{id: x, right: access, label: L, handler: r, source: {SRC}, "
        "deadline: {duration_from: {setting: s, field: payload.term}}}\n"
    )
    assert any("exactly one of `setting` or `field`" in p for p in problems(text))


def test_working_days_calendar_setting_is_checked() -> None:
    text = HEAD + (
        "settings:\n"
        "  - {id: working_days_calendar, label: L, choices: [atw, cao], default: atw, "
        f"justification: j, source: {SRC}}}\n"
    )
    assert any("holidays_package" in p for p in problems(text))


def test_windows_are_durations() -> None:
    text = HEAD + (
        "retention:\n"
        "  - {id: c, label: L, trigger: {event: case_closed}, duration: P1Y, scope: s, "
        f"cancelled_by: [{{event: case_reregistered, within: one year}}], source: {SRC}}}\n"
    )
    assert any("within" in p and "ISO 8601" in p for p in problems(text))


def test_schema_version_is_1_or_2() -> None:
    text = HEAD.replace('version: "1"\n', 'version: "1"\n  schema_version: 3\n', 1)
    assert any("schema_version" in p for p in problems(text))


def test_v2_references_are_checked_with_did_you_mean() -> None:
    text = HEAD + (
        "records:\n"
        f"  - {{id: rec, label: L, what: w, by: rr, trigger: {{event: case_closed}}, "
        f"discharged_by: [{{event: demo.entry}}], source: {SRC}}}\n"
    )
    out = problems(text)
    assert any("records[0].by" in p and "undefined role 'rr'" in p and "'r'" in p for p in out), out
    assert any("undefined event type 'demo.entry'" in p for p in out), out


def test_duration_from_must_name_a_duration_setting() -> None:
    text = HEAD + (
        "settings:\n"
        f"  - {{id: s, label: L, choices: [a], default: a, justification: j, source: {SRC}}}\n"
        "rights:\n"
        f"  - {{id: x, right: access, label: L, handler: r, source: {SRC}, "
        "deadline: {duration_from: {setting: s}}}\n"
    )
    assert any("must have type duration" in p for p in problems(text))


def test_retention_categories_name_data_categories() -> None:
    text = HEAD + (
        "data_categories:\n"
        f"  - {{id: police, label: P, kind: police, source: {SRC}}}\n"
        "retention:\n"
        "  - {id: c, label: L, trigger: {event: case_closed}, duration: P1Y, scope: s, "
        f"categories: [polise], source: {SRC}}}\n"
    )
    out = problems(text)
    assert any("retention[0].categories" in p and "'police'" in p for p in out), out
    ok = load_pack_text(text.replace("[polise]", "[police]"), "demo.yaml")
    assert ok.retention[0].categories == ("police",)
    assert load_pack_text(text.replace("[polise]", "[]"), "demo.yaml").retention[0].categories == ()
