"""The v2 invariants (issue 14) on every bundled pack, the engine's test pack and the v2 test
pack: nothing processed after its deletion date; an upheld objection or withdrawn consent
honoured for that subject and no other; every finding and record cites a rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mph_rules import Engine
from mph_rules.testing import invariants, strategies

from .profiles import active

PROFILE = active()


@PROFILE
@given(data=st.data())
def test_v2_invariants(engine: Engine, data: st.DataObject) -> None:
    chosen = data.draw(strategies.engines(engine), label="engine")
    case = data.draw(strategies.cases(chosen), label="case")
    as_of = data.draw(strategies.as_of_dates(case), label="as_of")
    decision = chosen.evaluate(case, as_of=as_of)
    invariants.nothing_processed_after_deletion(chosen, case, decision)
    invariants.objection_and_withdrawal_honoured(chosen, case, decision)
    invariants.findings_and_records_cite_rules(chosen, decision)
