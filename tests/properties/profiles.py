"""Hypothesis profiles of the property suite: ``ci`` (default) and ``thorough``.

The profile applies to the property suite only (each test is decorated with ``active()``),
so other hypothesis tests keep their own settings. It is chosen by, in order:
``--hypothesis-profile=NAME`` (with ``pytest tests/properties``: the conftest that registers
the profiles must be loaded before the option is read), ``MPH_HYPOTHESIS_PROFILE=NAME``,
else ``ci``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci",
    max_examples=12,
    derandomize=True,  # the same examples on every run: CI failures reproduce
    deadline=None,
    print_blob=True,
    suppress_health_check=_QUIET,
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=_QUIET,
)

_from_command_line: list[str] = []


def choose(name: str | None) -> None:
    """Record the profile named on the command line (called from pytest_configure)."""
    _from_command_line[:] = [name] if name else []


def active() -> settings:
    """The settings object property tests run with."""
    name = (_from_command_line or [os.environ.get("MPH_HYPOTHESIS_PROFILE", "ci")])[0]
    return settings.get_profile(name)
