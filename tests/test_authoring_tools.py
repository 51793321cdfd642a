"""The authoring tools as an author meets them: lint, test (with coverage), docs, compare.

The last test walks the path the authoring guide promises a new author: copy a pack, change a
retention period, see the pack test fail under plain pytest with expected vs actual, fix it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mph_rules import Engine, load_pack
from mph_rules.cli import main
from mph_rules.cli.docs import EXAMPLE_EARLIER, EXAMPLE_TRIGGER, render_reference

FIXTURES = Path(__file__).parent / "fixtures"
TIDY = str(FIXTURES / "tidy.yaml")
MINI = str(FIXTURES / "mini.yaml")

PACK_TEST = """\
pack: ../../../mypack.yaml
tests:
  - name: a closed case is deleted five years after 1 January following closure
    as_of: 2024-10-01
    case:
      id: c1
      events:
        - {type: case_registered, at: 2024-03-13, actor: {role: regisseur}}
        - type: triage_decided
          at: 2024-03-15
          actor: {role: triagist}
          payload: {outcome: accepted}
        - {type: household_heard, at: 2024-04-02, actor: {role: regisseur}}
        - {type: case_closed, at: 2024-09-17, actor: {role: regisseur}}
    expect:
      phase: closed
      deletions: [{scope: case_file, date: 2030-01-01, rule: r_closed}]
  - name: the regisseur reads the file in the meeting
    check_access: {role: regisseur, category: identity, phase: meeting}
    expect: {allowed: true, rules: [a_regisseur]}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A new author's project: a copied pack and one pack test file for it."""
    shutil.copy(TIDY, tmp_path / "mypack.yaml")
    tests = tmp_path / "tests" / "packs" / "mypack"
    tests.mkdir(parents=True)
    (tests / "retention.yaml").write_text(PACK_TEST, encoding="utf-8")
    return tmp_path


# --- lint -------------------------------------------------------------------------------------


def test_lint_clean_pack_exits_0_even_strict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--strict", TIDY]) == 0
    out = capsys.readouterr().out
    assert "tidy: 0 error(s), 0 warning(s)" in out and "access matrix: 128 cells" in out


def test_lint_errors_exit_1_warnings_only_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = Path(TIDY).read_text(encoding="utf-8")
    dead_end = tmp_path / "dead_end.yaml"
    dead_end.write_text(text.replace("terminal: true, ", ""), encoding="utf-8")
    assert main(["lint", str(dead_end)]) == 0
    assert main(["lint", "--strict", str(dead_end)]) == 1
    unreachable = tmp_path / "unreachable.yaml"
    unreachable.write_text(
        text.replace(
            "  phases:\n",
            "  phases:\n    - {id: limbo, label: Limbo, "
            "source: {document: cv, article: 'art. 5', quote: x}}\n",
        ),
        encoding="utf-8",
    )
    assert main(["lint", str(unreachable)]) == 1
    out = capsys.readouterr().out
    assert f"{unreachable}:" in out and "error[phase-unreachable]" in out and "hint:" in out


def test_lint_json_and_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--format", "json", "--matrix", TIDY]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["pack"] == "tidy" and data[0]["errors"] == 0
    assert len(data[0]["access_matrix"]["cells"]) == 128
    assert main(["lint", "--matrix", TIDY]) == 0
    out = capsys.readouterr().out
    assert "regisseur:" in out and "phases: 1 none, 2 triage, 3 meeting, 4 closed" in out
    assert "roles allowed nothing anywhere:\n  household: 4 cells denied (ethnicity)" in out


def test_lint_list_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--list-checks", TIDY]) == 0
    assert "no-legal-basis" in capsys.readouterr().out


def test_lint_unloadable_pack_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("pack: {id: x}\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mph_rules.cli", "lint", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


# --- test and coverage ------------------------------------------------------------------------


def test_test_command_reports_coverage(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    assert main(["test", "tests/packs", "--coverage"]) == 0
    out = capsys.readouterr().out
    assert "2 passed, 0 failed" in out
    assert "coverage tidy: " in out
    assert "not exercised: s_police (mypack.yaml:" in out
    assert main(["test", "tests/packs", "--coverage", "--fail-under", "100"]) == 1
    capsys.readouterr()
    assert main(["test", "tests/packs", "--coverage", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    cov = data["coverage"][0]
    assert cov["pack"] == "tidy"
    assert {"r_closed", "a_regisseur", "t_close", "heard_before_close"} <= set(cov["exercised"])
    missed = {m["rule"] for m in cov["not_exercised"]}
    assert {"s_police", "r_declined", "ethnicity", "c_domains"} <= missed
    assert not missed & set(cov["exercised"])


def test_test_command_fails_on_a_failing_pack_test(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    pack = project / "mypack.yaml"
    pack.write_text(pack.read_text().replace("duration: P5Y", "duration: P6Y"))
    assert main(["test", "tests/packs"]) == 1
    out = capsys.readouterr().out
    assert "expected '2030-01-01', got '2031-01-01'" in out


def test_test_command_missing_path_exits_2() -> None:
    assert main(["test", "no/such/dir"]) == 2


# --- docs -------------------------------------------------------------------------------------


def test_docs_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", TIDY, MINI, "--out", str(tmp_path)]) == 0
    page = (tmp_path / "tidy.md").read_text(encoding="utf-8")
    for anchor, heading in (
        ("parties-and-roles", "Parties and roles"),
        ("lifecycle", "Lifecycle"),
        ("access-matrix", "Access matrix"),
        ("sharing", "Sharing"),
        ("information-duties", "Information duties"),
        ("retention", "Retention"),
        ("rights", "Rights"),
    ):
        assert f'## <a id="{anchor}"></a>{heading}\n' in page
    assert "```mermaid\nstateDiagram-v2\n    [*] --> none\n" in page
    assert "    meeting --> closed : case_closed" in page
    assert "| `identity` (ordinary) | R in meeting, closed; W in meeting | R in triage |" in page
    assert '[cv art. 15(1)](#src-cv "vijf jaar")' in page
    assert '<a id="src-cv"></a>' in page
    assert "`case_closed` 2024-09-17: delete on 2030-01-01" in page
    # the pack is English: the Dutch page is in nl/, with the same anchors, linked both ways
    dutch = (tmp_path / "nl" / "tidy.md").read_text(encoding="utf-8")
    assert "Nederlands: [nl/tidy.md](nl/tidy.md)" in page
    assert "English: [../tidy.md](../tidy.md)" in dutch
    assert '## <a id="parties-and-roles"></a>Partijen en rollen\n' in dutch
    assert "| `identity` (gewoon) | R in meeting, closed; W in meeting | R in triage |" in dutch
    assert "`case_closed` 2024-09-17: vernietigen op 2030-01-01" in dutch
    assert set(re.findall(r'id="([^"]+)"', page)) == set(re.findall(r'id="([^"]+)"', dutch))
    assert (tmp_path / "nl" / "tidy.access.svg").exists()
    assert main(["docs", TIDY, MINI, "--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "mini.md").write_text("stale", encoding="utf-8")
    (tmp_path / "nl" / "mini.md").unlink()
    assert main(["docs", TIDY, MINI, "--out", str(tmp_path), "--check"]) == 1
    out = capsys.readouterr().out
    assert "mini.md: out of date" in out and "nl/mini.md: out of date" in out
    # one language on request, as <pack>.md
    assert main(["docs", TIDY, "--out", str(tmp_path / "one"), "--lang", "nl"]) == 0
    assert (tmp_path / "one" / "tidy.md").read_text(encoding="utf-8").startswith(
        "<!-- Gemaakt door"
    )
    assert not (tmp_path / "one" / "nl").exists()


def test_docs_worked_examples_match_the_engine() -> None:
    """A worked example in the docs is the date the engine gives for the same events."""
    engine = Engine(load_pack(TIDY))
    page = render_reference(engine.pack)
    register = {"type": "case_registered", "at": EXAMPLE_EARLIER, "actor": {"role": "regisseur"}}
    cases = {
        "r_declined": [
            register,
            {
                "type": "triage_decided",
                "at": EXAMPLE_TRIGGER,
                "actor": {"role": "triagist"},
                "payload": {"outcome": "declined"},
            },
        ],
        "r_closed": [
            register,
            {
                "type": "triage_decided",
                "at": EXAMPLE_EARLIER,
                "actor": {"role": "triagist"},
                "payload": {"outcome": "accepted"},
            },
            {"type": "household_heard", "at": EXAMPLE_EARLIER, "actor": {"role": "regisseur"}},
            {"type": "case_closed", "at": EXAMPLE_TRIGGER, "actor": {"role": "regisseur"}},
        ],
    }
    for rule, events in cases.items():
        decision = engine.evaluate({"id": rule, "events": events}, as_of=EXAMPLE_TRIGGER)
        [date] = [d.date for d in decision.deletions if d.rule == rule]
        assert date is not None
        row = next(line for line in page.splitlines() if line.startswith(f"| `{rule}`"))
        assert f"{EXAMPLE_TRIGGER}: delete on {date.isoformat()}" in row


def test_docs_are_deterministic() -> None:
    pack = load_pack("hilversum")
    assert render_reference(pack) == render_reference(load_pack("hilversum"))


# --- compare ----------------------------------------------------------------------------------


def test_compare_text_markdown_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", TIDY, MINI, "--width", "100"]) == 0
    out = capsys.readouterr().out
    assert "\nRETENTION\n" in out and "| on case_closed" in out and "tidy" in out and "mini" in out
    assert "(same)" not in out and "--all shows them" in out
    assert max(len(line) for line in out.splitlines() if line.startswith(("|", "+"))) <= 100
    assert main(["compare", TIDY, MINI, "--all", "--width", "100"]) == 0
    assert "(same)" in capsys.readouterr().out
    assert main(["compare", TIDY, MINI, "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "### rights\n\n| rights | `tidy` | `mini` |" in md and "| rectification |" in md
    assert main(["compare", TIDY, MINI, "--format", "html", "--lang", "nl"]) == 0
    page = capsys.readouterr().out
    assert "<h2>rechten van betrokkenen</h2>" in page and 'class="differs"' in page
    assert 'class="same"' not in page
    assert main(["compare", TIDY, MINI, "--format", "json", "--all"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert any(not r["differs"] for r in rows)


def test_compare_needs_two_packs() -> None:
    assert main(["compare", TIDY]) == 2


# --- the new author's path --------------------------------------------------------------------


def test_a_changed_retention_period_fails_the_pack_test_in_plain_pytest(project: Path) -> None:
    def pytest_run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )

    first = pytest_run()
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 passed" in first.stdout
    pack = project / "mypack.yaml"
    pack.write_text(pack.read_text().replace("duration: P5Y", "duration: P6Y"))
    second = pytest_run()
    assert second.returncode == 1
    assert "a closed case is deleted five years" in second.stdout
    assert "deletions[scope=case_file].date: expected '2030-01-01', got '2031-01-01'" in (
        second.stdout
    )
    test_file = project / "tests" / "packs" / "mypack" / "retention.yaml"
    test_file.write_text(test_file.read_text().replace("2030-01-01", "2031-01-01"))
    assert pytest_run().returncode == 0
