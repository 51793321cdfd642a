"""CI gates on the bundled packs: they lint without errors, their pack tests exercise every
rule, their committed reference docs are current, and the shipped editor schema is current.

Every gate iterates over what exists (``bundled_names()``, ``tests/packs/<pack>/``,
``docs/packs/*.md``), so a pack added later is held to the same bar without editing this file.
A pack with known, reported findings is listed in KNOWN_* with the reason; those entries are
strict xfails, so the list must shrink as soon as the pack is fixed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mph_rules.analysis import lint_pack
from mph_rules.cli.docs import reference_files
from mph_rules.cli.test import coverage
from mph_rules.loading import bundled_names, load_pack
from mph_rules.pack_schema import SCHEMA_FILE, build_pack_schema, render, undocumented
from mph_rules.testing.packtests import run_paths

ROOT = Path(__file__).parent.parent
PACK_TESTS = ROOT / "tests" / "packs"
DOCS = ROOT / "docs" / "packs"

# pack -> why it does not lint clean yet (findings reported to the pack's author)
KNOWN_LINT_FINDINGS: dict[str, str] = {}
# pack -> why its tests do not exercise every rule yet
KNOWN_UNCOVERED: dict[str, str] = {}


def _marked(names: list[str], known: dict[str, str]) -> list[object]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=known[n], strict=True)) if n in known else n
        for n in names
    ]


@pytest.mark.parametrize("name", _marked(bundled_names(), KNOWN_LINT_FINDINGS))
def test_bundled_pack_lints_clean(name: str) -> None:
    """No error and no warning (`mph-rules lint --strict`); a warning that describes what the
    covenant really says is accepted in the pack with an `# mph-rules: ignore[...]` comment."""
    report = lint_pack(load_pack(name))
    assert not report.failed(strict=True), "\n".join(str(f) for f in report.findings)


TESTED = sorted(p.name for p in PACK_TESTS.iterdir() if p.is_dir()) if PACK_TESTS.is_dir() else []


@pytest.mark.parametrize(
    "name", _marked([n for n in TESTED if n in bundled_names()], KNOWN_UNCOVERED)
)
def test_bundled_pack_tests_exercise_every_rule(name: str) -> None:
    outcomes = run_paths([PACK_TESTS / name])
    [result] = [c for c in coverage(outcomes) if c.pack == name]
    missed = [f"{rule} ({result.places.get(rule)})" for rule in result.missed]
    assert not missed, f"rules of {name} no pack test exercises:\n" + "\n".join(missed)


COMMITTED = sorted(p.stem for p in DOCS.glob("*.md")) if DOCS.is_dir() else []


@pytest.mark.parametrize("name", COMMITTED)
def test_generated_pack_docs_are_current(name: str) -> None:
    """docs/packs/<pack>.md (the pack's language), docs/packs/<lang>/<pack>.md (the others)
    and their pictures are what `mph-rules docs` writes today."""
    assert name in bundled_names(), f"docs/packs/{name}.md has no bundled pack"
    for file, text in reference_files(load_pack(name)).items():
        path = DOCS / file
        assert path.exists() and path.read_text(encoding="utf-8") == text, (
            f"docs/packs/{file} is out of date: run `mph-rules docs {name} --out docs/packs`"
        )


def test_shipped_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), (
        "src/mph_rules/pack.schema.json is out of date: run "
        "`python -m mph_rules.pack_schema --write`"
    )


def test_schema_documents_every_field() -> None:
    schema = build_pack_schema()
    assert undocumented(schema) == []
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["title"] == "mph-rules policy pack"


def test_schema_is_shipped_as_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"pack.schema.json"' in pyproject
