"""The pack-test runner: data in, pass/fail out, settings per test."""

from __future__ import annotations

from pathlib import Path

from mph_rules.testing.packtests import run_paths

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"

CLOSED = """
    case:
      id: c
      events:
        - {type: case_registered, at: 2024-03-11, actor: {role: regisseur}}
        - {type: triage_decided, at: 2024-03-12, actor: {role: triagist},
           payload: {outcome: accepted}}
        - {type: household_heard, at: 2024-03-13}
        - {type: plan_established, at: 2024-03-14}
        - {type: case_closed, at: 2024-09-17}
"""


def test_settings_per_test_choose_the_engine(tmp_path: Path) -> None:
    file = tmp_path / "regimes.yaml"
    file.write_text(
        f"pack: {MINI}\ntests:\n"
        f"  - name: default regime\n    as_of: 2024-10-01\n{CLOSED}"
        "    expect: {deletions: [{scope: case_file, rule: r_closed, date: 2030-01-01}]}\n"
        f"  - name: short regime\n    settings: {{retention_regime: short}}\n"
        f"    as_of: 2024-10-01\n{CLOSED}"
        "    expect: {deletions: [{scope: case_file, rule: r_closed_short, date: 2025-09-17}]}\n"
        f"  - name: a wrong expectation fails\n    as_of: 2024-10-01\n{CLOSED}"
        "    expect: {deletions: [{scope: case_file, rule: r_closed_short}]}\n"
    )
    outcomes = run_paths([file])
    assert [o.passed for o in outcomes] == [True, True, False]
    assert "r_closed_short" in outcomes[2].failures[0]


CASEMODEL = Path(__file__).parent / "fixtures" / "casemodel.yaml"

FLAGGED = """
    as_of: 2024-04-01
    case:
      id: f
      events:
        - {type: case_registered, at: 2024-03-11, actor: {role: regisseur}}
        - {type: triage_decided, at: 2024-03-12, actor: {role: triagist},
           payload: {outcome: accepted}}
        - {type: case_meeting_held, at: 2024-03-15, actor: {role: regisseur}}
"""


def test_v2_findings_and_records_are_expectations_and_count_for_coverage(tmp_path: Path) -> None:
    file = tmp_path / "v2.yaml"
    file.write_text(
        f"pack: {CASEMODEL}\ntests:\n"
        f"  - name: meeting before the register entry is flagged\n{FLAGGED}"
        "    expect:\n"
        "      events: [{index: 2, allowed: true}]\n"
        "      findings: [{rule: note_before_meeting, code: precondition_not_met, event: 2}]\n"
        "      records: [{rule: rec_register, status: missing}]\n"
        f"  - name: a wrong finding expectation fails\n{FLAGGED}"
        "    expect: {findings: [{rule: note_before_meeting, event: 1}]}\n"
        f"  - name: no_findings fails on a raised finding\n{FLAGGED}"
        "    expect: {no_findings: [note_before_meeting]}\n"
        f"  - name: no_notifications passes for a duty not opened\n{FLAGGED}"
        "    expect: {no_notifications: [inform_late_triage]}\n"
        f"  - name: no_notifications fails on an opened duty\n{FLAGGED}"
        "    expect: {no_notifications: [inform_household]}\n"
    )
    outcomes = run_paths([file])
    assert [o.passed for o in outcomes] == [True, False, False, True, False]
    assert {"note_before_meeting", "rec_register"} <= outcomes[0].exercised
