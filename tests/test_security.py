"""Regression tests of issue 12 ("close the holes a hostile probe found"), one section per
defect. Each test failed on the code as it landed (aedb13a) and holds now."""

from __future__ import annotations

import datetime as dt
import gc
import tracemalloc
from typing import Any

import pytest

from mph_rules import Engine, bundled_names, load_pack
from mph_rules.testing import invariants

# --- 1. the verdict memo cannot be poisoned ------------------------------------------------

SPECIAL = ("coordinator", "party_official", "special_category_data")


def _mda_special(engine: Engine, payload: dict[str, Any]) -> bool:
    return engine.check_sharing(*SPECIAL, phase="execution", payload=payload).allowed


@pytest.fixture(scope="module")
def mda() -> Any:
    return load_pack("mda_plus")


@pytest.fixture(scope="module")
def hilversum() -> Any:
    return load_pack("hilversum")


BAITS: list[dict[str, Any]] = [
    {"necessary": True, "basis": "<missing>"},
    {"necessary": 1, "basis": None},
    {"necessary": 1.0},
    {"necessary": "True"},
    {"necessary": True, "basis": ""},
]


def test_a_used_engine_answers_as_a_fresh_one_after_sentinel_bait(mda: Any) -> None:
    """A request without ``basis`` is denied (art. 8.4: special data need a stated basis),
    even after a request that names ``basis: "<missing>"`` was allowed."""
    fresh = _mda_special(Engine(mda), {"necessary": True})
    assert fresh is False
    used = Engine(mda)
    for bait in BAITS:
        used.check_sharing(*SPECIAL, phase="execution", payload=bait)
    assert _mda_special(used, {"necessary": True}) is fresh


@pytest.mark.parametrize("bait", BAITS, ids=repr)
def test_each_bait_is_answered_as_by_a_fresh_engine(mda: Any, bait: dict[str, Any]) -> None:
    used = Engine(mda)
    for other in BAITS:
        used.check_sharing(*SPECIAL, phase="execution", payload=other)
    for payload in (bait, {"necessary": True}, {"necessary": True, "basis": "consent"}):
        want = Engine(mda).check_sharing(*SPECIAL, phase="execution", payload=payload)
        got = used.check_sharing(*SPECIAL, phase="execution", payload=payload)
        assert got == want, payload


def test_hilversum_origin_consent_not_bypassed(hilversum: Any) -> None:
    """PR art. 5 bullet 5: data from another partner need that partner's consent. An answer
    planted for a request without ``origin_party`` must not answer one that names a party
    called "<missing>"."""
    ask = ("reporter", "triagist", "household_identity")

    def allowed(e: Engine, payload: dict[str, Any]) -> bool:
        return e.check_sharing(*ask, phase="registration", payload=payload).allowed

    engine = Engine(hilversum)
    assert allowed(engine, {}) is True
    assert allowed(Engine(hilversum), {"origin_party": "<missing>"}) is False
    assert allowed(engine, {"origin_party": "<missing>"}) is False
    assert allowed(engine, {"origin_party": "x", "origin_consent": "<missing>"}) is False


# --- 2. the memo is bounded by bytes ------------------------------------------------------


def test_large_distinct_payloads_do_not_grow_memory(mda: Any) -> None:
    """2,000 calls with distinct 100 kB strings (200 MB of input) leave under 8 MB behind;
    as landed they held every string (1.2 GB after 12,000 calls)."""
    engine = Engine(mda)
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        for i in range(2_000):
            text = f"{i:08d}" * 12_500
            _mda_special(engine, {"necessary": True, "basis": text})
            engine.check_access(
                "coordinator", "special_category_data", phase="execution", purpose=text
            )
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held - base < 8_000_000, f"{(held - base) / 1e6:.1f} MB held"


# --- 7. a forbidden category is never shared -------------------------------------------------


def test_nijmegen_personal_dossier_never_shared_even_under_a_legal_obligation() -> None:
    """B1 art. 5: "er wordt geen nieuw persoonsdossier aangelegd" (a forbidden category).
    Rule b1_5_legal_obligation_disclosure (categories "*") shared it with the
    Veiligheidshuis under legal_obligation; the category's own rule now denies it."""
    engine = Engine(load_pack("nijmegen"))
    verdict = engine.check_sharing(
        "procesregisseur",
        "veiligheidshuis",
        "personal_dossier",
        phase="step3_client_information",
        payload={"basis": "legal_obligation", "necessary": True},
    )
    assert not verdict.allowed
    assert verdict.rules == ("personal_dossier",)
    assert "never" in verdict.reasons[0] and verdict.trace[0].source
    mixed = engine.check_sharing(
        "procesregisseur",
        "veiligheidshuis",
        ["vis2_naw", "personal_dossier"],
        phase="step3_client_information",
        payload={"basis": "legal_obligation"},
    )
    assert not mixed.allowed and "personal_dossier" in mixed.rules


def test_forbidden_category_in_a_data_provided_event_is_denied() -> None:
    """MDA++ art. 9.3 keeps ethnicity out of the plan; a10_3_legal_duty (categories "*")
    let the coordinator provide it under legal_obligation."""
    engine = Engine(load_pack("mda_plus"))
    provided = {
        "type": "data_provided",
        "at": "2021-03-11",
        "actor": {"role": "coordinator"},
        "payload": {
            "from_role": "coordinator",
            "to_role": "party_official",
            "categories": ["ethnicity"],
            "basis": "legal_obligation",
        },
    }
    decision = engine.evaluate({"id": "c", "events": [provided]}, as_of=dt.date(2021, 4, 1))
    assert not decision.events[0].allowed
    assert decision.events[0].rules == ("ethnicity",)


@pytest.mark.parametrize("name", bundled_names())
def test_forbidden_never_shared_in_every_bundled_pack(name: str) -> None:
    """Exhaustive over every pair of roles, phase, forbidden category and basis."""
    invariants.forbidden_never_shared(Engine(load_pack(name)))
