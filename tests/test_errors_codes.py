"""Issue 20 item 7: every problem has a stable code, declared once, with one docs page each.

- the registry: codes unique, well formed, never two meanings;
- the source: every ``Problem(...)`` in src/ passes a code, and every code literal in src/
  is registered; every registered code is raised somewhere;
- the pages: one per code, none for a code that does not exist, each with a meaning, an
  example and a fix; the index lists every code;
- the examples: each page's example is run (the CLI command in a fresh folder with the
  page's files, or the Python snippet) and must produce the page's code and the output
  the page shows. A page whose example cannot run here says so and is triggered below.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from mph_rules.error_codes import CODES, DOCS_URL_ENV, help_url, validation_code
from mph_rules.errors import EventError, MphRulesError, PackError, Problem

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "mph_rules"
PAGES = ROOT / "docs" / "errors"
CODE_RE = re.compile(r"MPH-[A-Z]\d{3}")
# pages whose example needs what a test machine lacks; each is triggered by a test below
NOT_RUN = {"MPH-P003", "MPH-S001", "MPH-S003", "MPH-T003"}


def _pages() -> dict[str, str]:
    return {p.stem: p.read_text("utf-8") for p in PAGES.glob("MPH-*.md")}


# --- the registry ----------------------------------------------------------------------------


def test_codes_are_unique_and_well_formed() -> None:
    from mph_rules import error_codes

    declared = [c.code for c in error_codes._CODES]
    assert len(declared) == len(set(declared)) == len(CODES)
    slugs = [c.slug for c in CODES.values()]
    assert len(slugs) == len(set(slugs))
    for code, entry in CODES.items():
        assert re.fullmatch(r"MPH-[YVPCATS]\d{3}", code), code
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", entry.slug), entry.slug
        assert entry.title and entry.title == entry.title.strip()


# Every code published so far, with its meaning (slug). A code is never removed, renumbered
# or given another meaning: add new codes here, never change or drop a line.
PUBLISHED = {
    "MPH-Y001": "file-unreadable",
    "MPH-Y002": "too-large",
    "MPH-Y003": "not-utf8",
    "MPH-Y004": "empty-document",
    "MPH-Y005": "invalid-yaml",
    "MPH-Y006": "too-complex",
    "MPH-Y007": "duplicate-key",
    "MPH-Y008": "merge-key",
    "MPH-Y009": "complex-key",
    "MPH-Y010": "invalid-scalar",
    "MPH-V001": "unknown-key",
    "MPH-V002": "missing-field",
    "MPH-V003": "wrong-type",
    "MPH-V004": "not-allowed",
    "MPH-V005": "out-of-bounds",
    "MPH-V006": "invalid-value",
    "MPH-P001": "unknown-pack",
    "MPH-P002": "not-a-pack",
    "MPH-P003": "broken-installed-pack",
    "MPH-P004": "extends-outside",
    "MPH-P005": "extends-cycle",
    "MPH-P006": "extends-limit",
    "MPH-P007": "extends-failed",
    "MPH-P008": "duplicate-id",
    "MPH-P009": "override-unknown",
    "MPH-P010": "undefined-reference",
    "MPH-P011": "setting-comparison",
    "MPH-P012": "pack-event-prefix",
    "MPH-P013": "setting-mismatch",
    "MPH-P014": "pack-changed",
    "MPH-C001": "not-a-case",
    "MPH-C002": "unknown-name",
    "MPH-C003": "unknown-subject",
    "MPH-C004": "request-not-received",
    "MPH-C005": "events-out-of-order",
    "MPH-C006": "as-of-too-early",
    "MPH-C007": "foreign-session",
    "MPH-C008": "no-live-case",
    "MPH-C009": "live-case-open",
    "MPH-C010": "clock-back",
    "MPH-A001": "bad-moment",
    "MPH-A002": "moment-without-offset",
    "MPH-A003": "unknown-setting",
    "MPH-A004": "bad-setting-value",
    "MPH-A005": "bad-option",
    "MPH-A006": "missing-option",
    "MPH-A007": "case-store-layout",
    "MPH-A008": "unknown-language",
    "MPH-T001": "bad-test-file",
    "MPH-T002": "not-an-audit-record",
    "MPH-T003": "not-reproducible",
    "MPH-S001": "missing-extra",
    "MPH-S002": "no-decision-log",
    "MPH-S003": "sweep-failed",
    "MPH-S004": "log-key",
}


def test_published_codes_keep_their_meaning() -> None:
    assert {c: CODES[c].slug for c in PUBLISHED if c in CODES} == PUBLISHED
    assert set(PUBLISHED) <= set(CODES), "a published code was removed (retire it instead)"
    assert set(CODES) <= set(PUBLISHED), "a new code: add it to PUBLISHED"


def test_numbers_within_an_area_run_without_gaps() -> None:
    """New codes take the next number; a retired code keeps its number (never reused)."""
    by_area: dict[str, list[int]] = {}
    for code in CODES:
        by_area.setdefault(code[4], []).append(int(code[5:]))
    for area, numbers in by_area.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), area


def test_validation_errors_map_to_the_shape_codes() -> None:
    assert validation_code("extra_forbidden") == "MPH-V001"
    assert validation_code("missing") == "MPH-V002"
    assert validation_code("int_parsing") == "MPH-V003"
    assert validation_code("dict_type") == "MPH-V003"
    assert validation_code("literal_error") == "MPH-V004"
    assert validation_code("string_pattern_mismatch") == "MPH-V005"
    assert validation_code("value_error") == "MPH-V006"
    assert validation_code("something_new") == "MPH-V006"


def test_help_url_uses_the_configured_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DOCS_URL_ENV, raising=False)
    assert help_url("MPH-Y007") == "docs/errors/MPH-Y007.md"
    monkeypatch.setenv(DOCS_URL_ENV, "https://example.org/mph/errors")
    assert help_url("MPH-Y007") == "https://example.org/mph/errors/MPH-Y007.md"


# --- the source ------------------------------------------------------------------------------


def _problem_calls() -> list[tuple[Path, ast.Call]]:
    calls = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Problem"
            ):
                calls.append((path, node))
    return calls


def test_every_problem_made_in_the_library_passes_a_code() -> None:
    calls = _problem_calls()
    assert len(calls) > 80  # the scan sees the raise sites
    missing = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path, call in calls
        if not any(k.arg == "code" for k in call.keywords)
    ]
    assert not missing, missing


def test_every_code_in_the_source_is_registered_and_every_code_is_raised() -> None:
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        if path.name == "error_codes.py":
            continue
        used |= set(CODE_RE.findall(path.read_text("utf-8")))
    assert used - set(CODES) == set()
    # the V codes come from validation_code(err["type"]); every other code is a literal
    unused = set(CODES) - used - {c for c in CODES if c.startswith("MPH-V")}
    assert unused == set(), "declared but never raised"


def test_problem_text_carries_the_code() -> None:
    p = Problem("duplicate key 'id'", "case.yaml", 2, 1, code="MPH-Y007")
    assert str(p) == "case.yaml:2:1: error[MPH-Y007]: duplicate key 'id'"
    assert str(Problem("x")) == "<input>: error: x"  # a problem made elsewhere, no code


# --- the pages -------------------------------------------------------------------------------


def test_one_page_per_code_and_no_page_without_a_code() -> None:
    pages = _pages()
    assert set(pages) == set(CODES)
    assert {p.name for p in PAGES.iterdir()} == {f"{c}.md" for c in CODES} | {"README.md"}
    for code, text in pages.items():
        entry = CODES[code]
        assert text.startswith(f"# {code}: {entry.title}\n"), code
        assert f"`{entry.slug}`" in text, code
        assert "\n## Example\n" in text and "\n## Fix\n" in text, code
        meaning = text.split("\n## Example\n")[0].split("\n", 3)[-1].strip()
        assert len(meaning) > 40, code
        assert text.split("\n## Fix\n")[1].strip(), code
        assert ("<!-- example not run: " in text) == (code in NOT_RUN), code


def test_the_index_lists_every_code() -> None:
    index = (PAGES / "README.md").read_text("utf-8")
    assert set(re.findall(r"\[(MPH-[A-Z]\d{3})\]\(\1\.md\)", index)) == set(CODES)


def _blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"```([^\n]*)\n(.*?)\n```", text.split("\n## Fix\n")[0], re.S)


def _matches(expected: str, actual: str) -> bool:
    """Each line shown on the page is a line of the output; ``<tmp>`` stands for the
    example's folder and ``<hash>`` for a content hash."""
    pattern = re.escape(expected).replace(re.escape("<tmp>"), ".*?")
    pattern = pattern.replace(re.escape("<hash>"), "[0-9a-f]{64}")
    return any(re.fullmatch(pattern, line) for line in actual.splitlines())


@pytest.mark.parametrize("code", sorted(set(CODES) - NOT_RUN))
def test_the_pages_example_produces_its_code(
    code: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv(DOCS_URL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    blocks = _blocks(_pages()[code])
    for info, body in blocks:
        name = re.search(r"\bfile=(\S+)", info)
        if name:
            target = tmp_path / name.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body + "\n", "utf-8")
    console = [body for info, body in blocks if info == "console"]
    python = [body for info, body in blocks if info == "python"]
    assert len(console) + len(python) == 1, "one example per page"
    if console:
        command, *shown = console[0].split("\n")
        assert command.startswith("$ mph-rules ")
        from mph_rules.cli import main

        assert main(shlex.split(command)[2:]) != 0
        captured = capsys.readouterr()
        actual = captured.out + captured.err
    else:
        if "mph_rules.backends.durable" in python[0]:
            pytest.importorskip("durable")
        with pytest.raises(MphRulesError) as caught:
            exec(compile(python[0], f"docs/errors/{code}.md", "exec"), {})
        actual = str(caught.value)
        shown = next(body for info, body in blocks if info == "text").split("\n")
    assert f"[{code}]" in actual
    for line in shown:
        assert _matches(line, actual), f"{code}: the page shows {line!r}; the output is\n{actual}"


# --- the examples that do not run as they are on the page ------------------------------------


def test_broken_installed_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import EntryPoint

    from mph_rules import loading

    broken = EntryPoint("my_town", "my_town_pack:pack", "mph_rules.packs")
    monkeypatch.setattr(loading, "installed_packs", lambda: {"my_town": broken})
    with pytest.raises(PackError) as caught:
        loading.load_pack("my_town")
    assert [p.code for p in caught.value.problems] == ["MPH-P003"]
    assert "No module named 'my_town_pack'" in str(caught.value)


def test_missing_extra(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from mph_rules.cli import main

    monkeypatch.setitem(sys.modules, "mph_rules.service.http", None)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "error[MPH-S001]: the service is not installed" in err
    assert "see docs/errors/MPH-S001.md" in err


def test_sweep_failure_from_the_cluster() -> None:
    if importlib.util.find_spec("dask") is None:
        pytest.skip("dask not installed")
    from mph_rules.cli.sweep import _cluster_problem

    problem = _cluster_problem(ModuleNotFoundError("No module named 'mph_rules'"))
    assert problem.code == "MPH-S003"
    assert "install mph-rules[dask]" in (problem.hint or "")


def test_not_reproducible_record_code_is_raised_by_the_guard() -> None:
    """No bundled pack's case triggers it (the page says so); the guard's code is checked
    by making the second evaluation differ."""
    import datetime as dt

    from mph_rules import Engine
    from mph_rules.loading import load_pack
    from mph_rules.testing import audit

    engine = Engine(load_pack("hilversum"))
    case = {"id": "demo-1", "facts": {}, "subjects": [], "events": []}
    calls: list[Any] = []
    real = engine.evaluate

    def evaluate(case: Any, *, as_of: Any) -> Any:
        calls.append(case)
        decision = real(case, as_of=as_of)
        if len(calls) == 2:  # the stored form: pretend it decides otherwise
            return real({**case, "id": "demo-2"}, as_of=as_of)
        return decision

    engine.evaluate = evaluate  # type: ignore[method-assign]
    with pytest.raises(EventError) as caught:
        audit.record(engine, case, dt.date(2024, 3, 12))
    assert [p.code for p in caught.value.problems] == ["MPH-T003"]


# --- the CLI and the HTTP body ---------------------------------------------------------------


def test_cli_links_each_code_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mph_rules.cli import main

    monkeypatch.setenv(DOCS_URL_ENV, "https://example.org/errors/")
    case = tmp_path / "case.yaml"
    case.write_text(
        "id: c\nfacts: {}\nsubjects: []\nevents:\n"
        "  - {type: case_registered, at: 2024-03-11T18:00:00+01:00, actr: {role: x}, whn: 1}\n"
        "  - {type: case_registered, at: 2024-03-11T18:00:00, actor: {role: reporter}}\n"
    )
    assert main(["evaluate", "--pack", "hilversum", "--as-of", "2024-03-12", str(case)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert sum("error[MPH-V001]" in line for line in err) == 2
    assert err.count("    see https://example.org/errors/MPH-V001.md") == 1
    assert err.count("    see https://example.org/errors/MPH-V006.md") == 1
    assert err[1] == "    see https://example.org/errors/MPH-V001.md"  # after the first


def test_problem_body_over_http_carries_code_and_help() -> None:
    pytest.importorskip("fastapi")
    from mph_rules.service.problems import error_body, problem_dict

    p = Problem("unknown key 'actr'", path="case.events[0].actr", code="MPH-V001")
    body = error_body(422, "invalid_case", "rejected", [problem_dict(p, EventError([p]))])
    problem = body["error"]["problems"][0]
    assert problem["code"] == "MPH-V001"
    assert problem["help"] == help_url("MPH-V001")
    assert body["error"]["type"] == help_url("MPH-V001")  # one code: its page is the type
    mixed = [problem_dict(p), problem_dict(Problem("x", code="MPH-V006"))]
    assert error_body(422, "invalid_case", "rejected", mixed)["error"]["type"] == "about:blank"
    foreign = problem_dict(Problem("made elsewhere"), PackError([]))
    assert foreign["code"] == "invalid_pack" and foreign["help"] is None
