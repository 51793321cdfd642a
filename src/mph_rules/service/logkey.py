"""The decision log's secret key: where it comes from, and that it is usable.

The key makes the chain an HMAC chain (see ``chain``). It comes from the environment
(``$MPH_RULES_LOG_KEY``, the key itself) or a file (``$MPH_RULES_LOG_KEY_FILE``, or
``log_key_file`` in the service configuration), never from a command-line argument (which
other users of the machine can see) and is never logged or shown. A key file holds the
key as text; one trailing newline is not part of it.
"""

from __future__ import annotations

import os
from pathlib import Path

from mph_rules.errors import MphRulesError, Problem

KEY_ENV = "MPH_RULES_LOG_KEY"
KEY_FILE_ENV = "MPH_RULES_LOG_KEY_FILE"
MIN_BYTES = 16
MAX_BYTES = 4096


def _problem(message: str, file: str | None = None) -> MphRulesError:
    hint = f"a random key of at least {MIN_BYTES} bytes, e.g. `openssl rand -hex 32 > log.key`"
    return MphRulesError([Problem(message, file, hint=hint, code="MPH-S004")])


def read_key_file(path: str | Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _problem(f"cannot read the log key file: {exc.strerror}", str(path)) from None
    if len(raw) > MAX_BYTES:
        raise _problem(f"the log key file holds more than {MAX_BYTES} bytes", str(path))
    return _checked(raw.removesuffix(b"\n").removesuffix(b"\r"), str(path))


def _checked(key: bytes, where: str) -> bytes:
    if len(key) < MIN_BYTES:
        raise _problem(f"the log key is shorter than {MIN_BYTES} bytes", where)
    return key


def log_key(file: str | Path | None = None) -> bytes | None:
    """The key: ``file`` if given, else ``$MPH_RULES_LOG_KEY_FILE``, else
    ``$MPH_RULES_LOG_KEY``; None when none is set (an unkeyed chain)."""
    if file:
        return read_key_file(file)
    from_env = os.environ.get(KEY_FILE_ENV)
    if from_env:
        return read_key_file(from_env)
    text = os.environ.get(KEY_ENV)
    if text:
        return _checked(text.encode("utf-8"), f"${KEY_ENV}")
    return None
