"""The CLI as a user meets it: readable output, JSON for machines, exit 2 and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mph_rules.cli import main

ROOT = Path(__file__).parent.parent
MINI = str(ROOT / "tests" / "fixtures" / "mini.yaml")
CASE = str(ROOT / "examples" / "mini" / "case.yaml")


def test_evaluate_text_names_articles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--pack", MINI, CASE, "--as-of", "2024-10-01"]) == 0
    out = capsys.readouterr().out
    assert "DENIED #5" in out and "cv art. 3(3)" in out
    assert "delete on 2030-01-01" in out


def test_evaluate_json_is_stable(capsys: pytest.CaptureFixture[str]) -> None:
    main(["evaluate", "--pack", MINI, CASE, "--as-of", "2024-10-01", "--format", "json"])
    first = capsys.readouterr().out
    main(["evaluate", "--pack", MINI, CASE, "--as-of", "2024-10-01", "--format", "json"])
    assert capsys.readouterr().out == first
    assert json.loads(first)["phase"] == "closed"


def test_evaluate_markdown_is_a_page_in_both_languages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--format markdown`: headed tables with the same decision as the text report; the
    refused event, the deletion date and each row's article are there, in the language."""
    args = ["evaluate", "--pack", MINI, CASE, "--as-of", "2024-10-01", "--format", "markdown"]
    assert main([*args, "--lang", "en"]) == 0
    en = capsys.readouterr().out
    assert en.startswith("# Case ") and "\n## Events\n" in en
    assert "| #5 |" in en and "| DENIED |" in en
    assert "2030-01-01" in en and "cv art. 3(3)" in en
    assert main([*args, "--lang", "nl"]) == 0
    nl = capsys.readouterr().out
    assert nl.startswith("# Casus ") and "\n## Gebeurtenissen\n" in nl and "| GEWEIGERD |" in nl


def test_explain_prints_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--pack", MINI, CASE, "--as-of", "2024-10-01"]) == 0
    assert "heard_before_plan (cv art. 11)" in capsys.readouterr().out


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "pack" in schema["properties"] and schema["additionalProperties"] is False


def test_bad_input_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(MINI).read_text().replace("label: Regisseur", "lable: Regisseur"))
    for args in (
        ["validate", str(bad)],
        ["evaluate", "--pack", MINI, CASE, "--as-of", "yesterday"],
        ["evaluate", "--pack", MINI, str(tmp_path / "missing.yaml"), "--as-of", "2024-10-01"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "mph_rules.cli", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr
        assert proc.stderr.strip()
    proc = subprocess.run(
        [sys.executable, "-m", "mph_rules.cli", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    line = 1 + Path(MINI).read_text().splitlines().index(
        next(x for x in Path(MINI).read_text().splitlines() if "label: Regisseur" in x)
    )
    assert f"bad.yaml:{line}:" in proc.stderr and "did you mean 'label'" in proc.stderr
