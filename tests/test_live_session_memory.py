"""What a live session keeps of its events (issue 13, <= 20 KiB per session) and the compiled
conditional access cells: both must answer exactly as before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mph_rules import Engine, load_case, load_pack
from mph_rules.conditions import MISSING
from mph_rules.engine.state import Fields, KeptOccurrence, Occurrence, where_types

ROOT = Path(__file__).resolve().parent.parent


def test_a_session_keeps_whole_events_only_where_a_condition_tests_them() -> None:
    engine = Engine(load_pack("zvh_midden_nl"))
    assert "household_informed" in engine.where_types  # `occurred ... where` in the pack
    assert "case_registered" not in engine.where_types
    assert where_types(engine.pack) == engine.where_types
    case = load_case(ROOT / "examples/zvh_midden_nl/breach_and_requests.yaml")
    session = engine.session(case.id, facts=case.facts, subjects=case.subjects)
    for event in case.events:
        session.post(event)
    state = session._state
    assert set(state.occurred) <= engine.where_types
    assert all(type(o) is KeptOccurrence for kept in state.occurred.values() for o in kept)
    registered = state.last["case_registered"]
    assert type(registered) is Occurrence and registered.parsed is None
    assert registered.moment == case.events[0].moment
    # the same decision as an evaluation of the whole case, byte for byte
    as_of = dt.date(2025, 6, 1)
    assert session.decision(as_of).to_json() == engine.evaluate(case, as_of=as_of).to_json()


def test_a_kept_event_holds_only_the_fields_its_conditions_read() -> None:
    """Hilversum tests `payload.to_role` of earlier data_provided events and `actor.role`,
    `payload.categories`, `payload.record` of data_recorded ones: only those are kept, as the
    condition reads them from the event (a field the payload lacks is MISSING)."""
    engine = Engine(load_pack("hilversum"))
    assert engine.kept["data_provided"].payload == ("to_role",)
    assert engine.kept["data_recorded"].actor == ("role",)
    case = load_case(ROOT / "examples/hilversum/household_closed.yaml")
    session = engine.session(case.id, facts=case.facts, subjects=case.subjects)
    for event in case.events:
        session.post(event)
    provided = [e for e in case.events if e.type == "data_provided"]
    kept = session._state.occurred["data_provided"]
    assert len(kept) == len(provided)
    for event, occurrence in zip(provided, kept, strict=True):
        assert isinstance(occurrence.parsed, Fields)
        assert dict(occurrence.parsed) == {"to_role": event.parsed.to_role}
        assert occurrence.parsed.get("purpose", MISSING) is MISSING  # not kept: not read
    first = next(e for e in case.events if e.type == "data_recorded")
    assert first.actor is not None
    assert dict(session._state.occurred["data_recorded"][0].actor) == {"role": first.actor.role}
    as_of = dt.date(2026, 6, 1)
    assert session.decision(as_of).to_json() == engine.evaluate(case, as_of=as_of).to_json()


def test_a_conditional_cell_reading_history_is_memoised_on_its_outcome() -> None:
    """ZVH lets the police write police data in the discussion phase only once a partner was
    added (an `occurred` condition): the compiled cell answers from each case's own history,
    in any order, as a fresh engine does."""
    engine = Engine(load_pack("zvh_midden_nl"))
    case = load_case(ROOT / "examples/zvh_midden_nl/breach_and_requests.yaml")
    added = next(i for i, e in enumerate(case.events) if e.type.endswith("partner_added"))

    def sessions(e: Engine) -> tuple[object, object]:
        before = e.session(case.id, facts=case.facts, subjects=case.subjects)
        after = e.session(case.id, facts=case.facts, subjects=case.subjects)
        for i, event in enumerate(case.events[: added + 1]):
            if i < added:
                before.post(event)
            after.post(event)
        return before, after

    def ask(e: Engine, session: object) -> object:
        return e.check_access(
            "police_interventiespecialist",
            "police_registrations",
            phase="discussion",
            action="write",
            session=session,  # type: ignore[arg-type]
        )

    before, after = sessions(engine)
    answers = [ask(engine, s) for s in (before, after, before, after)]
    assert [a.allowed for a in answers] == [False, True, False, True]  # type: ignore[attr-defined]
    assert answers[0] == answers[2] and answers[1] == answers[3]
    fresh = Engine(engine.compiled, settings=engine.settings)
    before, after = sessions(fresh)
    assert [ask(fresh, after), ask(fresh, before)] == answers[1::-1]


def test_a_session_keeps_its_verdicts_compact_and_shares_what_does_not_name_the_event() -> None:
    """Two live sessions of the same case keep one shared copy of each verdict's rules,
    reasons and phases and of each event's trace entries (engine-produced), and only their own
    events' moment, id and subjects; the verdicts and trace they give back equal the ones post
    returned and an evaluation's."""
    engine = Engine(load_pack("hilversum"))
    case = load_case(ROOT / "examples/hilversum/household_closed.yaml")
    one = engine.session(case.id, facts=case.facts, subjects=case.subjects)
    two = engine.session(case.id, facts=case.facts, subjects=case.subjects)
    posted = [one.post(event.model_copy(deep=True)).verdict for event in case.events]
    for event in case.events:
        two.post(event.model_copy(deep=True))
    assert one.verdicts == tuple(posted) == two.verdicts
    for mine, theirs in zip(one._verdicts, two._verdicts, strict=True):
        assert type(mine) is tuple and mine[0] is theirs[0]  # shared, not equal only
    assert one._state.trace == [] and len(one._trace) == len(case.events)
    assert all(a is b for a, b in zip(one._trace, two._trace, strict=True))
    as_of = dt.date(2026, 6, 1)
    expected = engine.evaluate(case, as_of=as_of)
    assert one.decision(as_of).events == expected.events
    assert one.decision(as_of).trace == expected.trace
    assert one.decision(as_of).to_json() == expected.to_json()
