"""Bad input as located problems (code, path, message, hint), the same the CLI prints.

Every 4xx answer has one shape:
``{"error": {"type", "status", "code", "message", "problems": [...]}}``; a problem names
where in the request body it lies (``path``), never a server file, and carries its stable
code (``MPH-V001``) with ``help``, the link to the code's page.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mph_rules.error_codes import CODES, help_url, validation_code
from mph_rules.errors import EventError, MphRulesError, PackError, Problem

_M = TypeVar("_M", bound=BaseModel)


def path_of(loc: Sequence[Any]) -> str:
    """``("events", 0, "at")`` -> ``events[0].at`` (the request's ``body`` is dropped)."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def from_validation(errors: Iterable[Any], prefix: str = "") -> list[Problem]:
    out = []
    for err in errors:
        path = path_of(err.get("loc", ()))
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        hint = None
        if err.get("type") == "extra_forbidden":
            message, hint = "unknown field", "remove it, or check its spelling"
        elif err.get("type") == "missing":
            message = "missing (required)"
        out.append(
            Problem(
                message,
                path=path or None,
                hint=hint,
                code=validation_code(str(err.get("type", ""))),
            )
        )
    return out


def validated(model: type[_M], data: Any, prefix: str = "") -> _M:
    """``model.model_validate(data)``, its errors raised as an EventError with paths."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EventError(from_validation(exc.errors(include_url=False), prefix)) from None


def relocated(error: EventError, prefix: str, event: bool = False) -> EventError:
    """The engine's problems placed in the request body: under ``prefix`` (``case``), or,
    for one posted event, ``events[n]`` read as the body's ``event``."""
    moved = []
    for p in error.problems:
        path = p.path
        if event and path is not None:
            path = re.sub(r"^events\[\d+\]", "event", path)
        elif path is not None:
            path = f"{prefix}.{path}"
        moved.append(dataclasses.replace(p, path=path))
    return EventError(moved)


def problem_code(problem: Problem, error: MphRulesError | None) -> str:
    """The problem's own stable code (every problem the library raises has one); a problem
    made elsewhere without one falls back to the kind of input at fault."""
    if problem.code:
        return problem.code
    if isinstance(error, PackError):
        return "invalid_pack"
    if isinstance(error, EventError):
        return "invalid_case"
    return "invalid_request"


def problem_dict(problem: Problem, error: MphRulesError | None = None) -> dict[str, Any]:
    code = problem_code(problem, error)
    return {
        "code": code,
        "help": help_url(code) if code in CODES else None,
        "path": problem.path,
        "message": problem.message,
        "hint": problem.hint,
        "line": problem.line,
        "column": problem.column,
    }


def error_body(
    status: int,
    code: str,
    message: str,
    problems: Sequence[dict[str, Any]] = (),
    **extra: Any,
) -> dict[str, Any]:
    """``type`` (RFC 9457): the page of the problems' code when they share one, else
    ``about:blank`` (the status and ``code`` say it all)."""
    helps = {p.get("help") for p in problems}
    kind = helps.pop() if len(helps) == 1 else None
    return {
        "error": {
            "type": kind or "about:blank",
            "status": status,
            "code": code,
            "message": message,
            "problems": list(problems),
            **extra,
        }
    }
