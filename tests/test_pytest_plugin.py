"""The pytest plugin collects pack tests only where a project asks for it, and leaves
coverage measurement whole (it imports mph_rules only when a pack test is collected)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

PACK_TEST = """\
pack: hilversum
tests:
  - name: the chair may read the file
    check_access: {role: chair, category: household_identity, phase: expert_team, action: read}
    expect: {allowed: true, rules: [pr13_1_file_access]}
"""


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


def project(tmp_path: Path, ini: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{ini}\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "access.yaml").write_text(PACK_TEST)
    (tmp_path / "config.yaml").write_text(PACK_TEST)  # looks like a pack test, is not asked for
    return tmp_path


def test_yaml_is_left_alone_unless_asked(tmp_path: Path) -> None:
    result = run(project(tmp_path), ".")
    # exit code 5: no tests collected (the summary wording differs between pytest versions)
    assert result.returncode == 5 and "passed" not in result.stdout, result.stdout


def test_the_convention_folder_is_collected_without_configuration(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "tests" / "packs").mkdir()
    (root / "tests" / "packs" / "access.yaml").write_text(PACK_TEST)
    assert "1 passed" in run(root, ".").stdout
    off = run(project_in(root, "mph_rules_packtests = []"), ".")
    assert off.returncode == 5 and "passed" not in off.stdout, off.stdout


def project_in(root: Path, ini: str) -> Path:
    (root / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{ini}\n")
    return root


def test_ini_option_names_the_folders(tmp_path: Path) -> None:
    result = run(project(tmp_path, 'mph_rules_packtests = ["tests"]'), ".")
    assert "1 passed" in result.stdout, result.stdout + result.stderr


def test_marker_file_names_a_folder(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "tests" / ".mph-rules-packtests").write_text("")
    result = run(root, ".")
    assert "1 passed" in result.stdout, result.stdout + result.stderr


@pytest.mark.skipif(importlib.util.find_spec("pytest_cov") is None, reason="needs pytest-cov")
def test_coverage_is_whole(tmp_path: Path) -> None:
    root = project(tmp_path, 'mph_rules_packtests = ["tests"]')
    # every line of a small module, module-level statements included: they are counted only
    # if the plugin did not import mph_rules before coverage started
    (root / "tests" / "test_hints.py").write_text(
        "from mph_rules.suggestions import Hints, did_you_mean\n"
        "def test_hints():\n"
        "    assert did_you_mean('rol', ['role']) and did_you_mean('x', ['role']) is None\n"
        "    assert did_you_mean('a', (str(i) for i in range(6000))) is None\n"
        "    h = Hints(budget=3)\n"
        "    assert h('rol', iter(['role'])) and h('rol', ['a', 'b', 'c']) is None\n"
    )
    result = run(root, "--cov=mph_rules", "--cov-report=term-missing", ".")
    assert "2 passed" in result.stdout, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if "mph_rules/suggestions.py" in x)
    assert line.split()[3] == "100%", line
