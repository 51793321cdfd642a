"""check_access with a context of facts and no session (issue 13): only the conditions that
read the context are tested, and a cell keeps its verdict per plain context. Every answer
must equal the full computation (a whole query state, every condition tested) of an engine
that never answered such a query, whatever was asked before: 1, 1.0, true and "1" differ."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from mph_rules import Engine, load_pack
from mph_rules.engine.access import NOT_PLAIN, ConditionalCell, context_plan, values_key
from mph_rules.engine.state import Context

CONTEXTS: list[dict[str, Any]] = [
    {},
    {"facts": {"age": 17}},
    {"facts": {"age": 17.0}},
    {"facts": {"age": True}},
    {"facts": {"age": "17"}},
    {"facts": {"age": None}},
    {"payload": {"purpose": "triage"}},
    {"payload": {"purpose": 1}},
    {"payload": {"purpose": True}},
    {"payload": {"purpose": ["triage"]}},
    {"payload": {"purpose": "triage", "record": True}},
    {"payload": {"purpose": "triage", "record": 1}},
    {"consents": ["special_data"], "payload": {"purpose": "triage"}},
    {"consents": [], "payload": {"purpose": "triage"}},
    {"consents": ("special_data", "other"), "payload": {"purpose": "execution"}},
    {"facts": {"bsn_known": True}, "payload": {"to_role": "police"}},
    {"facts": {}},
    {"payload": {}},
    {"facts": {"os_statistics_district": "noord"}, "payload": {"purpose": "statistics"}},
    {"consents": ["client_information"], "payload": {"categories": ["client_information"]}},
    {"facts": {"age": 17}},  # again: after the contexts above, from what they kept
]
PURPOSES = [None, "triage", "execution", "not-a-purpose"]


def full(engine: Engine, cell: tuple[str, str, str, str], purpose: Any, context: Any) -> Any:
    """The answer as computed before: a whole query state, every condition tested."""
    found = engine.access.cell(cell)
    assert isinstance(found, ConditionalCell)
    state = engine._query_state(cell[2], context)
    return found.decide(purpose, Context(state, None, dict(context.get("payload", {}))))


def _conditional_cells(pack: str) -> tuple[Engine, Engine, list[Any]]:
    """An engine to use, a fresh one on the same compiled pack, and the pack's conditional
    access cells."""
    used = Engine(load_pack(pack))
    fresh = Engine(used.compiled, settings=used.settings)
    cp = used.compiled
    cells = [
        c
        for c in itertools.product(
            sorted(cp.roles), sorted(cp.categories), cp.phases, ("read", "write")
        )
        if isinstance(fresh.access.cell(c), ConditionalCell)
    ]
    return used, fresh, cells


@pytest.mark.parametrize("pack", ["hilversum", "zvh_midden_nl", "mda_plus", "nijmegen"])
def test_a_context_query_answers_as_the_full_computation(pack: str) -> None:
    used, fresh, cells = _conditional_cells(pack)
    sample = cells[:: max(1, len(cells) // 150)]
    for cell in sample:
        for _ in range(2):  # the second round answers from what the first kept
            for context, purpose in itertools.product(CONTEXTS, PURPOSES):
                got = used.check_access(
                    cell[0],
                    cell[1],
                    phase=cell[2],
                    action=cell[3],
                    purpose=purpose,
                    context=context,
                )
                assert got == full(fresh, cell, purpose, context), (cell, purpose, context)


def test_a_key_holds_each_value_with_its_type_and_only_plain_values() -> None:
    plan = context_plan([frozenset({("field", "facts.age"), ("field", "settings.x")})])
    assert plan == (("facts", "age"),)
    keys = {values_key(plan, None, {"facts": {"age": v}}) for v in (1, 1.0, True, "1")}
    assert len(keys) == 4
    assert values_key(plan, None, {"facts": {"age": [1]}}) is None  # not plain: not kept
    assert values_key(plan, None, {"facts": None}) is NOT_PLAIN  # not a dict: the full path
    assert values_key(plan, 3, {"facts": {"age": 1}}) is None  # type: ignore[arg-type]
    assert values_key(plan, None, {}) != values_key(plan, None, {"facts": {"age": None}})
    consent = context_plan([frozenset({("consent", "special_data")})])
    assert consent == (("consents", "special_data"),)
    given = values_key(consent, None, {"consents": ["special_data"]})
    assert given != values_key(consent, None, {"consents": ["other"]})
    assert values_key(consent, None, {"consents": []}) == values_key(consent, None, {})
    assert values_key(consent, None, {"consents": "special_data"}) is NOT_PLAIN  # a string
    assert values_key(consent, None, {"consents": [["special_data"]]}) is NOT_PLAIN
    assert context_plan([frozenset({("field", "subject.age")})]) is None


def test_a_malformed_context_fails_as_before() -> None:
    engine = Engine(load_pack("hilversum"))
    cp = engine.compiled
    cell = next(
        c
        for c in itertools.product(
            sorted(cp.roles), sorted(cp.categories), cp.phases, ("read", "write")
        )
        if isinstance(engine.access.cell(c), ConditionalCell)
    )
    engine.check_access(cell[0], cell[1], phase=cell[2], action=cell[3], context={"consents": []})
    for bad in ({"facts": None}, {"payload": 3}, {"consents": [["x"]]}):
        with pytest.raises(TypeError):
            engine._query_state(cell[2], bad) if "payload" not in bad else dict(bad["payload"])  # type: ignore[call-overload]
        with pytest.raises(TypeError):
            engine.check_access(cell[0], cell[1], phase=cell[2], action=cell[3], context=bad)


@pytest.mark.parametrize("pack", ["hilversum", "zvh_midden_nl"])
def test_a_context_without_what_a_cell_reads_is_answered_from_the_tables(pack: str) -> None:
    """check_access answers a query whose context gives none of the parts a cell's conditions
    read (facts only, where they read the payload) from its tables, as the full computation
    does; and a context that gives one of them, or is not plain, is not."""
    used, fresh, cells = _conditional_cells(pack)
    facts = {"facts": {"age": 17}}
    for cell in cells[:: max(1, len(cells) // 300)]:
        for context in (facts, facts, {"payload": {"purpose": "x"}}, {"payload": {}}, facts):
            got = used.check_access(
                cell[0], cell[1], phase=cell[2], action=cell[3], context=context
            )
            assert got == full(fresh, cell, None, context), (cell, context)
        assert cell in used.access.unread, cell  # kept after the first context query


def test_a_session_query_in_another_phase_answers_as_a_replaced_state() -> None:
    """check_access with a session reads the session's state in the asked phase (a shallow
    copy, ``in_phase``): the same answers as ``dataclasses.replace`` of the state gave, and
    the session's own state keeps its phase."""
    import dataclasses
    from pathlib import Path

    import yaml

    engine = Engine(load_pack("hilversum"))
    raw = yaml.safe_load(Path("examples/hilversum/household_closed.yaml").read_text())
    session = engine.session(raw["id"], facts=raw.get("facts"), subjects=raw.get("subjects", ()))
    for event in raw["events"][:12]:
        session.post(event)
    state = session._state
    phase = state.phase
    cp = engine.compiled
    cells = [
        c
        for c in itertools.product(
            sorted(cp.roles), sorted(cp.categories), cp.phases, ("read", "write")
        )
        if isinstance(engine.access.cell(c), ConditionalCell)
    ]
    assert {c[2] for c in cells} - {phase}  # cells of other phases are asked
    for cell in cells[:: max(1, len(cells) // 200)]:
        for purpose in PURPOSES:
            got = engine.check_access(
                cell[0], cell[1], phase=cell[2], action=cell[3], purpose=purpose, session=session
            )
            payload = {"categories": [cell[1]]}
            if purpose is not None:
                payload["purpose"] = purpose
            found = engine.access.cell(cell)
            assert isinstance(found, ConditionalCell)
            replaced = dataclasses.replace(state, phase=cell[2])
            assert got == found.decide(purpose, Context(replaced, None, payload)), (cell, purpose)
    assert session._state is state and state.phase == phase


def _pick(values: Any, known: list[str]) -> str:
    return known[0] if values == "*" else sorted(values)[0]


@pytest.mark.parametrize("pack", ["hilversum", "nijmegen", "nieuwegein", "mda_plus"])
def test_check_sharing_with_a_context_answers_as_on_a_whole_case_state(pack: str) -> None:
    """check_sharing without a session reads a light query state (the context's facts and
    consents, the engine's settings, empty read-only history): the same answers as on a
    whole ``CaseState`` built from the context (``_query_state``), on a fresh engine. Asked
    for each conditional sharing rule's own roles, category and phase, with contexts and
    payloads that give and withhold what its condition reads."""
    from mph_rules.engine.sharing import Sharing

    used = Engine(load_pack(pack))
    fresh = Engine(used.compiled, settings=used.settings)
    cp = used.compiled
    roles, cats, phases = sorted(cp.roles), sorted(cp.categories), list(cp.phases)
    asked = 0
    for rule in used.pack.sharing:
        if rule.when is None:
            continue
        reads = used.compiled.node(rule.when).reads
        scopes = sorted(name for kind, name in reads if kind == "consent")
        facts = {n.split(".")[1]: True for k, n in reads if k == "field" and n.startswith("facts.")}
        fields = {n.split(".")[1] for k, n in reads if k == "field" and n.startswith("payload.")}
        contexts: list[dict[str, Any]] = [{}, {"consents": scopes, "facts": facts}]
        contexts += [{"consents": scopes}, {"facts": facts}]
        payloads: list[dict[str, Any]] = [{}, {f: True for f in fields if f != "categories"}]
        giver, taker = _pick(rule.from_roles, roles), _pick(rule.to_roles, roles)
        cat, phase = _pick(rule.categories, cats), _pick(rule.phases, phases)
        for context, payload in itertools.product(contexts, payloads):
            got = used.check_sharing(
                giver, taker, cat, phase=phase, payload=payload, context=context
            )
            full = {"from_role": giver, "to_role": taker, "categories": [cat], **payload}
            state = fresh._query_state(phase, context)
            sharing: Sharing = fresh.sharing
            want = sharing.sharing(giver, taker, (cat,), phase, Context(state, None, full))
            assert got == want, (rule.id, context, payload)
            asked += 1
    assert asked > 20
    with pytest.raises(TypeError):  # a malformed context fails as before
        used.check_sharing(roles[0], roles[1], cats[0], phase=phases[0], context={"facts": None})
