"""Property suite set-up: hypothesis profiles and one engine per pack.

Profiles (profiles.py): ``ci`` (the default: few examples, derandomised so CI is
reproducible, no deadline) and ``thorough`` (many examples, random), chosen with
``pytest tests/properties --hypothesis-profile=thorough`` or, for a run of the whole suite,
``MPH_HYPOTHESIS_PROFILE=thorough pytest``. They apply to this suite only.

Packs: every bundled pack (``bundled_names()``, so packs that land later are included
without editing this file) plus the engine's small test pack. A pack that fails to load is
an error of every test that uses it, never a skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mph_rules import Engine, bundled_names, load_pack

from . import profiles

MINI = Path(__file__).parent.parent / "fixtures" / "mini.yaml"
CASEMODEL = Path(__file__).parent.parent / "fixtures" / "casemodel.yaml"  # the v2 test pack
PACKS = [*bundled_names(), str(MINI), str(CASEMODEL)]


def pytest_configure(config: pytest.Config) -> None:
    """Note a profile named on the command line; the tests apply it (profiles.active())."""
    profiles.choose(config.getoption("hypothesis_profile", None))


def pack_id(name: str) -> str:
    return Path(name).stem


_ENGINES: dict[str, Engine] = {}


@pytest.fixture(scope="session", params=PACKS, ids=pack_id)
def engine(request: pytest.FixtureRequest) -> Engine:
    """The engine of one pack, with default settings (compiled once per session)."""
    name = str(request.param)
    if name not in _ENGINES:
        _ENGINES[name] = Engine(load_pack(name))
    return _ENGINES[name]
