"""Every invariant of mph_rules.testing.invariants, on every bundled pack (and the test pack).

Cases come from mph_rules.testing.strategies, generated from each pack; engines are drawn with
each of the pack's choice/bool settings, so conditions on settings are exercised too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mph_rules import Engine, EventError
from mph_rules.testing import invariants, strategies

from .profiles import active

PROFILE = active()


def _draw_case(data: st.DataObject, engine: Engine) -> tuple[Engine, dict[str, Any], Any]:
    chosen = data.draw(strategies.engines(engine), label="engine")
    case = data.draw(strategies.cases(chosen), label="case")
    as_of = data.draw(strategies.as_of_dates(case), label="as_of")
    return chosen, case, as_of


def test_packs_are_bundled() -> None:
    """The suite runs on the bundled packs; none found means the packaging is broken."""
    from mph_rules import bundled_names

    assert bundled_names(), "no bundled packs found (src/mph_rules/packs -> policies/)"


def test_pack_loads_and_compiles(engine: Engine) -> None:
    assert engine.compiled.phases and engine.compiled.roles


@PROFILE
@given(data=st.data())
def test_evaluation_is_deterministic(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    invariants.deterministic(chosen, case, as_of)


@PROFILE
@given(data=st.data())
def test_events_nothing_allows_are_denied(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    invariants.deny_by_default(chosen, case, as_of)


@PROFILE
@given(query=st.data())
def test_access_queries_deny_by_default(engine: Engine, query: st.DataObject) -> None:
    q = query.draw(strategies.access_queries(engine))
    verdict = invariants.access_denied_by_default(engine, **q)
    invariants.verdict_cites_source(engine, verdict)


@PROFILE
@given(query=st.data())
def test_sharing_queries_deny_by_default(engine: Engine, query: st.DataObject) -> None:
    q = query.draw(strategies.sharing_queries(engine))
    verdict = invariants.sharing_denied_by_default(engine, **q)
    invariants.verdict_cites_source(engine, verdict)


def test_default_deny_is_cited(engine: Engine) -> None:
    """The pack cites the article behind default deny (``defaults``); without it a default
    denial cites nothing and denials_cite_sources fails."""
    invariants.default_deny_cited(engine)


@PROFILE
@given(data=st.data())
def test_denials_cite_sources(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    decision = chosen.evaluate(case, as_of=as_of)
    invariants.denials_cite_sources(chosen, decision)


def test_rights_denials_cite_sources(mini: Engine) -> None:
    """An answer to a request that was never received is malformed input (EventError); an
    answer to a request already answered is denied, citing the right it was made under."""
    answer = {
        "type": "subject_request_answered",
        "at": "2024-03-12",
        "payload": {"request_id": "r1", "outcome": "granted"},
    }
    with pytest.raises(EventError, match="never received"):
        mini.evaluate({"id": "c", "events": [answer]}, as_of=dt.date(2024, 4, 1))
    received = {
        "type": "subject_request_received",
        "at": "2024-03-11",
        "payload": {"request_id": "r1", "right": "access"},
    }
    decision = mini.evaluate(
        {"id": "c", "events": [received, answer, answer]}, as_of=dt.date(2024, 4, 1)
    )
    assert not decision.events[2].allowed
    invariants.denials_cite_sources(mini, decision)


@PROFILE
@given(data=st.data())
def test_notifications_cite_sources(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    invariants.notifications_cite_sources(chosen, chosen.evaluate(case, as_of=as_of))


@PROFILE
@given(data=st.data())
def test_no_deletion_before_its_trigger(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    invariants.deletions_not_before_trigger(chosen, case, chosen.evaluate(case, as_of=as_of))


@PROFILE
@given(data=st.data())
def test_later_unrelated_events_keep_deletion_dates(engine: Engine, data: st.DataObject) -> None:
    chosen = data.draw(strategies.engines(engine), label="engine")
    case = data.draw(strategies.cases(chosen, min_events=1), label="case")
    later = data.draw(strategies.next_events(chosen, case, max_events=3), label="later")
    moments = [strategies.parse_moment(e["at"]) for e in [*case["events"], *later]]
    as_of = max(strategies.instant(m) for m in moments)
    invariants.later_events_keep_deletions(chosen, case, later, as_of)


@PROFILE
@given(data=st.data())
def test_waivers_carry_ground_and_reason(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    invariants.waivers_justified(chosen, case, chosen.evaluate(case, as_of=as_of))


@PROFILE
@given(data=st.data())
def test_forbidden_categories_never_recorded(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    invariants.forbidden_never_recorded(chosen, case, chosen.evaluate(case, as_of=as_of))


def test_forbidden_categories_never_writable(engine: Engine) -> None:
    """Exhaustive over roles, forbidden categories, phases and purposes (no sampling)."""
    invariants.forbidden_never_writable(engine)


@PROFILE
@given(data=st.data())
def test_decision_as_of_ignores_later_events(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    invariants.as_of_ignores_later_events(chosen, case, as_of)


@PROFILE
@given(data=st.data())
def test_decision_names_pack_and_reproduces(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    invariants.decision_names_pack(chosen, chosen.evaluate(case, as_of=as_of))
    invariants.reproducible(chosen, case, as_of)


@PROFILE
@given(data=st.data())
def test_flawed_input_is_refused_or_denied(engine: Engine, data: st.DataObject) -> None:
    flawed = data.draw(strategies.flawed_cases(engine), label="flawed")
    invariants.flaw_rejected(engine, flawed, as_of=strategies.LAST_DAY)


@PROFILE
@given(data=st.data())
def test_a_used_engine_answers_as_a_fresh_one(engine: Engine, data: st.DataObject) -> None:
    """Memo transparency (issue 12 #1): mixed-type payloads, absent fields, sentinel text."""
    chosen = data.draw(strategies.engines(engine), label="engine")
    invariants.memo_transparent(chosen, data.draw(strategies.point_queries(chosen)))


def test_forbidden_categories_never_shared(engine: Engine) -> None:
    """Exhaustive over role pairs, forbidden categories, phases and bases (issue 12 #7)."""
    invariants.forbidden_never_shared(engine)


@PROFILE
@given(data=st.data())
def test_forbidden_categories_never_provided(engine: Engine, data: st.DataObject) -> None:
    chosen, case, as_of = _draw_case(data, engine)
    invariants.forbidden_never_provided(chosen, case, chosen.evaluate(case, as_of=as_of))
