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


HOUSING_CASE = """
    case:
      id: q
      subjects: [{id: mother, birth_date: 1985-02-01}, {id: son, birth_date: 2012-06-01}]
      events:
        - {type: case_registered, at: 2024-03-11, actor: {role: police_officer}}
        - {type: triage_decided, at: 2024-03-14, actor: {role: triagist},
           payload: {outcome: accepted}}
        - {type: household_heard, at: 2024-03-15, actor: {role: regisseur}}
        - {type: plan_established, at: 2024-03-25, actor: {role: regisseur}}
        - {type: consent_given, at: 2024-03-26, actor: {role: regisseur},
           payload: {scope: sharing_housing, subject: mother, recipients: [housing],
                     purposes: [coordinated_support]}}
"""
TO_HOUSING = (
    "    check_sharing: {from_role: regisseur, to_role: housing, categories: [identity],"
    " payload: {purpose: coordinated_support, subjects: [mother]}}\n"
)


def test_point_query_with_a_case_reads_that_cases_history(tmp_path: Path) -> None:
    # rule s_housing: sharing with the housing corporation needs the subject's consent, which
    # only the case's events (consent_given) can show
    file = tmp_path / "queries.yaml"
    NO_CASE = TO_HOUSING.replace("regisseur,", "regisseur, phase: execution,")
    file.write_text(
        f"pack: {CASEMODEL}\ntests:\n"
        f"  - name: with the mother's consent in the case\n{HOUSING_CASE}{TO_HOUSING}"
        "    expect: {allowed: true, rules: [s_housing]}\n"
        f"  - name: as of a day before the consent\n    as_of: 2024-03-25\n{HOUSING_CASE}"
        f"{TO_HOUSING}    expect: {{allowed: false}}\n"
        f"  - name: without a case nobody consented\n{NO_CASE}"
        "    expect: {allowed: false}\n"
        f"  - name: the son did not consent\n{HOUSING_CASE}"
        f"{TO_HOUSING.replace('[mother]', '[son]')}    expect: {{allowed: false}}\n"
        f"  - name: a wrong expectation fails\n{HOUSING_CASE}{TO_HOUSING}"
        "    expect: {allowed: false}\n"
        f"  - name: access in the case's phase (execution)\n{HOUSING_CASE}"
        "    check_access: {role: regisseur, category: identity, action: write,"
        " purpose: coordinated_support}\n"
        "    expect: {allowed: true}\n"
        f"  - name: access in a phase given by the query (triage)\n{HOUSING_CASE}"
        "    check_access: {role: regisseur, category: identity, phase: triage}\n"
        "    expect: {allowed: false}\n"
    )
    outcomes = run_paths([file])
    assert [o.passed for o in outcomes] == [True, True, True, True, False, True, True], [
        o.failures for o in outcomes
    ]
    assert "s_housing" in outcomes[0].exercised


def test_point_query_case_with_a_malformed_event_is_an_error_not_a_pass(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(
        f"pack: {CASEMODEL}\ntests:\n"
        f"  - name: unknown subject\n{HOUSING_CASE.replace('subject: mother', 'subject: mothr')}"
        f"{TO_HOUSING}    expect: {{allowed: true}}\n"
    )
    (outcome,) = run_paths([file])
    assert not outcome.passed and "mothr" in outcome.failures[0]


def test_owner_is_an_expectation(tmp_path: Path) -> None:
    # phase `meeting` of the test pack has `owner: regisseur`; `triage` has none
    file = tmp_path / "owner.yaml"
    file.write_text(
        f"pack: {CASEMODEL}\ntests:\n"
        f"  - name: the regisseur owns the meeting phase\n{FLAGGED}"
        "    expect: {phase: meeting, owner: regisseur}\n"
        f"  - name: a wrong owner fails\n{FLAGGED}"
        "    expect: {owner: triagist}\n"
        f"  - name: no owner in triage\n{FLAGGED.replace('2024-04-01', '2024-03-11')}"
        "    expect: {phase: triage, owner: null}\n"
    )
    outcomes = run_paths([file])
    assert [o.passed for o in outcomes] == [True, False, True], [o.failures for o in outcomes]
    assert "owner: expected 'triagist', got 'regisseur'" in outcomes[1].failures[0]


def test_a_point_query_lacking_a_field_is_a_failed_test_naming_it(tmp_path: Path) -> None:
    # written with `category` for `categories` (as a pack author did): a failure that says so,
    # never a KeyError traceback out of `mph-rules test`
    file = tmp_path / "misspelt.yaml"
    file.write_text(
        f"pack: {CASEMODEL}\ntests:\n"
        f"  - name: category for categories\n{HOUSING_CASE}"
        f"{TO_HOUSING.replace('categories:', 'category:')}    expect: {{allowed: true}}\n"
        "  - name: no role\n"
        "    check_access: {category: identity, phase: triage}\n"
        "    expect: {allowed: false}\n"
    )
    first, second = run_paths([file])
    assert not first.passed and not second.passed
    assert first.failures == [
        "malformed test: check_sharing lacks 'categories' "
        "('category' given: did you mean 'categories'?)"
    ]
    assert second.failures == ["malformed test: check_access lacks 'role'"]
