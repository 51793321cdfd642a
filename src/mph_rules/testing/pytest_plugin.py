"""pytest plugin (entry point ``pytest11``): pack test files are collected by plain pytest.

Any ``*.yaml`` file under the test paths whose top level has ``pack:`` and ``tests:`` becomes a
test file; each entry of ``tests:`` is one pytest item, and a failure shows expected versus
actual, field by field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mph_rules.engine import Engine
from mph_rules.errors import PackError
from mph_rules.testing.packtests import Outcome, PackTest, engine_for, read_tests, run_test

_HEAD = re.compile(r"^pack:\s*\S", re.MULTILINE)
_TESTS = re.compile(r"^tests:\s*$", re.MULTILINE)
_ENGINES: dict[Any, Engine] = {}


def _is_pack_test(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:200_000]
    except OSError:
        return False
    return bool(_HEAD.search(head) and _TESTS.search(head))


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and _is_pack_test(file_path):
        return PackTestFile.from_parent(parent, path=file_path)
    return None


class PackTestFailure(Exception):
    """A pack test whose decision differs from what the test expects."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        super().__init__("\n".join(outcome.failures))


class PackTestFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            tests = read_tests(self.path)
        except PackError as exc:
            raise self.CollectError(str(exc)) from None
        for test in tests:
            yield PackTestItem.from_parent(self, name=test.name, test=test)


class PackTestItem(pytest.Item):
    def __init__(self, *, test: PackTest, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.test = test

    def _engine(self) -> Engine:
        return engine_for(self.test, _ENGINES)

    def runtest(self) -> None:
        outcome = run_test(self._engine(), self.test)
        self.user_properties.append(("exercised", sorted(outcome.exercised)))
        if not outcome.passed:
            raise PackTestFailure(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, PackTestFailure):
            lines = [f"pack test {self.test.name!r} ({self.test.file}:{self.test.line})"]
            lines += [f"  {f}" for f in excinfo.value.outcome.failures]
            return "\n".join(lines)
        if isinstance(excinfo.value, PackError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, (self.test.line or 1) - 1, f"pack test: {self.test.name}"
