"""Moved to the top-level module ``mph_rules_pytest`` (the ``pytest11`` entry point), so that
loading the plugin does not import mph_rules before ``pytest --cov`` starts measuring."""

from __future__ import annotations

from mph_rules_pytest import MARKER, PackTestFailure, PackTestFile, PackTestItem

__all__ = ["MARKER", "PackTestFailure", "PackTestFile", "PackTestItem"]
