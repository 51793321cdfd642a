"""pytest plugin (entry point ``pytest11``): pack test files are collected by plain pytest,
but only where a project asks for it.

A YAML file is a pack test file when its top level has ``pack:`` and ``tests:`` AND it lies
under one of the directories named by the ini option ``mph_rules_packtests`` (paths relative
to the rootdir; when the option is not set, ``tests/packs``, the folder ``mph-rules test`` reads
and ``mph-rules`` projects use), or under a directory holding a marker file
``.mph-rules-packtests``. Every other YAML file of a project that installs mph-rules is left
alone; ``mph_rules_packtests = []`` turns the convention off. Each entry of ``tests:`` is
one pytest item; a failure shows expected versus actual, field by field.

The engine is imported only when a pack test is collected, so ``pytest --cov`` measures the
whole of mph_rules (a plugin imported at start-up runs before coverage begins).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MARKER = ".mph-rules-packtests"
CONVENTION = Path("tests") / "packs"
INI = "mph_rules_packtests"

_HEAD = re.compile(r"^pack:\s*\S", re.MULTILINE)
_TESTS = re.compile(r"^tests:\s*$", re.MULTILINE)
_ENGINES: dict[Any, Any] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI,
        "directories (relative to the rootdir) whose YAML pack tests pytest collects "
        "(default: tests/packs)",
        type="paths",
        default=[],
    )


def _set_in_ini(config: pytest.Config) -> bool:
    """Whether the ini file names the option at all (an empty list turns collection off).
    pytest >= 9.2 deprecates ``config.inicfg`` without a replacement that tells an unset option
    from its default, so the deprecation warning is silenced for this one look-up."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return INI in config.inicfg


def _asked_for(config: pytest.Config, path: Path) -> bool:
    """Whether ``path`` lies under a configured directory or a marked one."""
    rootdir = Path(config.rootpath).resolve()
    if _set_in_ini(config):
        roots = [Path(p).resolve() for p in config.getini(INI)]
    else:
        roots = [rootdir / CONVENTION]
    resolved = path.resolve()
    if any(resolved.is_relative_to(root) for root in roots):
        return True
    for folder in resolved.parents:
        if (folder / MARKER).is_file():
            return True
        if folder == rootdir:
            break
    return False


def _is_pack_test(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return False
    return bool(_HEAD.search(head) and _TESTS.search(head))


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml") or not _asked_for(parent.config, file_path):
        return None
    if _is_pack_test(file_path):
        return PackTestFile.from_parent(parent, path=file_path)
    return None


class PackTestFailure(Exception):
    """A pack test whose decision differs from what the test expects."""

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome
        super().__init__("\n".join(outcome.failures))


class PackTestFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from mph_rules.errors import PackError
        from mph_rules.testing.packtests import read_tests

        try:
            tests = read_tests(self.path)
        except PackError as exc:
            raise self.CollectError(str(exc)) from None
        for test in tests:
            yield PackTestItem.from_parent(self, name=test.name, test=test)


class PackTestItem(pytest.Item):
    def __init__(self, *, test: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test = test

    def runtest(self) -> None:
        from mph_rules.testing.packtests import engine_for, run_test

        outcome = run_test(engine_for(self.test, _ENGINES), self.test)
        self.user_properties.append(("exercised", sorted(outcome.exercised)))
        if not outcome.passed:
            raise PackTestFailure(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from mph_rules.errors import PackError

        if isinstance(excinfo.value, PackTestFailure):
            lines = [f"pack test {self.test.name!r} ({self.test.file}:{self.test.line})"]
            lines += [f"  {f}" for f in excinfo.value.outcome.failures]
            return "\n".join(lines)
        if isinstance(excinfo.value, PackError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.test.line or 1) - 1, f"pack test: {self.test.name}"
