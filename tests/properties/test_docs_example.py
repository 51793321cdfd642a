"""docs/testing.md's worked example is a test: it runs here, as written, and stays short."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .profiles import active

DOC = Path(__file__).parent.parent.parent / "docs" / "testing.md"


def _example() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- worked-example[^>]*-->\n```python\n(.*?)```", text, re.DOTALL)
    assert match, "docs/testing.md lost its worked example"
    return match.group(1)


def test_worked_example_is_under_20_lines() -> None:
    assert len(_example().splitlines()) < 20


def test_worked_example_runs() -> None:
    namespace: dict[str, Any] = {"__name__": "docs_testing_example"}
    exec(compile(_example(), str(DOC), "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert tests
    for test in tests:
        active()(test)()  # a hypothesis test: run under the suite's profile
