"""A used engine evaluates exactly as a fresh one (design.md: a cache must be invisible).

The evaluate path keeps things between cases: memoised verdicts and their derivations, allowed
actions per (phase, blocking preconditions), the deletion of a scope without a clock, the
effect families per plan step. The session-scoped ``engine`` fixture is reused by every
example, so each evaluation here runs on an engine that has seen many other cases."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mph_rules import Engine
from mph_rules.testing import strategies

from .profiles import active

PROFILE = active()


@PROFILE
@given(data=st.data())
def test_used_engine_decides_as_a_fresh_one(engine: Engine, data: st.DataObject) -> None:
    case = data.draw(strategies.cases(engine), label="case")
    as_of = data.draw(strategies.as_of_dates(case), label="as_of")
    used = engine.evaluate(case, as_of=as_of).to_json()
    again = engine.evaluate(case, as_of=as_of).to_json()
    fresh = Engine(engine.compiled, settings=engine.settings).evaluate(case, as_of=as_of)
    assert used == fresh.to_json()
    assert again == used
