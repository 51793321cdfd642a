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
