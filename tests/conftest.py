from __future__ import annotations

from pathlib import Path

import pytest

from mph_rules import Engine, load_pack
from tests.properties import profiles  # noqa: F401  (registers --hypothesis-profile=thorough)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def mini() -> Engine:
    return Engine(load_pack(FIXTURES / "mini.yaml"))
