"""One hierarchy of errors, each pointing at where the author must look."""

from __future__ import annotations

from dataclasses import dataclass


def place(file: str, line: int | None, column: int | None) -> str:
    """``file:line:column`` as far as known: how every message points at its source."""
    if line is None:
        return file
    return f"{file}:{line}" if column is None else f"{file}:{line}:{column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an input file, with its place, a hint and its stable code
    (``mph_rules.error_codes``: one docs page per code)."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None
    hint: str | None = None
    severity: str = "error"
    code: str = ""

    def __str__(self) -> str:
        label = f"{self.severity}[{self.code}]" if self.code else self.severity
        text = f"{place(self.file or '<input>', self.line, self.column)}: {label}: "
        if self.path:
            text += f"{self.path}: "
        text += self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class MphRulesError(Exception):
    """Base of every error the library raises on bad input."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def __reduce__(self) -> tuple[type[MphRulesError], tuple[list[Problem]]]:
        # pickled by its problems, so an error raised in a worker process reads the same here
        return (type(self), (self.problems,))


class PackError(MphRulesError):
    """A pack is malformed; every problem found is listed, not only the first."""


class EventError(MphRulesError):
    """A case or event is malformed; the whole case is rejected before evaluation."""
