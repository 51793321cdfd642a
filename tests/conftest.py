from __future__ import annotations

from pathlib import Path

import pytest

from mph_rules import Engine, load_pack

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def mini() -> Engine:
    return Engine(load_pack(FIXTURES / "mini.yaml"))
