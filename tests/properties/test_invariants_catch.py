"""Each invariant catches a planted violation (a property that cannot fail proves nothing)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any

import pytest

from mph_rules import CaseDecision, Engine
from mph_rules.testing import invariants
from mph_rules.testing.invariants import InvariantViolation
from mph_rules.testing.strategies import Flawed

AS_OF = dt.date(2026, 1, 1)
REGISTERED = {"type": "case_registered", "at": "2024-03-11", "actor": {"role": "police_officer"}}
ACCEPTED = {
    "type": "triage_decided",
    "at": "2024-03-12",
    "actor": {"role": "triagist"},
    "payload": {"outcome": "accepted"},
}
DECLINED = {**ACCEPTED, "payload": {"outcome": "declined"}}
SHARED = {
    "type": "data_provided",
    "at": "2024-03-12",
    "actor": {"role": "police_officer"},
    "payload": {"from_role": "police_officer", "to_role": "triagist", "categories": ["health"]},
}
FORBIDDEN = {
    "type": "data_recorded",
    "at": "2024-03-13",
    "actor": {"role": "regisseur"},
    "payload": {"categories": ["ethnicity"]},
}
WAIVED = {
    "type": "information_duty_waived",
    "at": "2024-03-12",
    "payload": {
        "duty": "inform_household",
        "ground": "safety",
        "reason": "r",
        "review_at": "2024-06-01",
    },
}


def case(*events: dict[str, Any]) -> dict[str, Any]:
    return {"id": "c", "events": list(events)}


def replace_event(d: CaseDecision, i: int, **changes: Any) -> CaseDecision:
    events = list(d.events)
    events[i] = dataclasses.replace(events[i], **changes)
    return dataclasses.replace(d, events=tuple(events))


class Planted(Engine):
    """An engine whose decisions are altered after the fact by ``alter``."""

    alter: Any = staticmethod(lambda decision, case: decision)

    def evaluate(self, case: Any, *, as_of: Any) -> CaseDecision:
        return self.alter(super().evaluate(case, as_of=as_of), case)


def planted(mini: Engine, alter: Any) -> Planted:
    engine = Planted(mini.compiled)
    engine.alter = alter
    return engine


def test_deterministic(mini: Engine) -> None:
    counter = itertools.count()
    engine = planted(mini, lambda d, c: dataclasses.replace(d, case_id=f"c{next(counter)}"))
    with pytest.raises(InvariantViolation, match="second evaluation"):
        invariants.deterministic(engine, case(REGISTERED), AS_OF)


def test_deny_by_default(mini: Engine) -> None:
    engine = planted(mini, lambda d, c: replace_event(d, 1, allowed=True))
    with pytest.raises(InvariantViolation, match=r"no allow rule covers \['health'\]"):
        invariants.deny_by_default(engine, case(REGISTERED, SHARED), AS_OF)


def test_denials_cite_sources(mini: Engine) -> None:
    decision = mini.evaluate(case(REGISTERED, SHARED), as_of=AS_OF)
    uncited = replace_event(decision, 1, rules=())
    uncited = dataclasses.replace(uncited, trace=())
    with pytest.raises(InvariantViolation, match="denied without a cited rule"):
        invariants.denials_cite_sources(mini, uncited)


def test_notifications_cite_sources(mini: Engine) -> None:
    decision = mini.evaluate(case(REGISTERED), as_of=AS_OF)
    notes = tuple(dataclasses.replace(n, source="") for n in decision.notifications)
    with pytest.raises(InvariantViolation, match="has no source"):
        invariants.notifications_cite_sources(
            mini, dataclasses.replace(decision, notifications=notes)
        )


def test_deletions_not_before_trigger(mini: Engine) -> None:
    decision = mini.evaluate(case(REGISTERED, DECLINED), as_of=AS_OF)
    early = tuple(
        dataclasses.replace(d, date=dt.date(2024, 1, 1)) if d.date else d
        for d in decision.deletions
    )
    with pytest.raises(InvariantViolation, match="before 2024-03-12"):
        invariants.deletions_not_before_trigger(
            mini, case(REGISTERED, DECLINED), dataclasses.replace(decision, deletions=early)
        )


def test_later_events_keep_deletions(mini: Engine) -> None:
    def earlier_when_longer(d: CaseDecision, c: Any) -> CaseDecision:
        if len(c["events"] if isinstance(c, dict) else c.events) < 3:
            return d
        moved = tuple(dataclasses.replace(x, date=dt.date(2024, 6, 1)) for x in d.deletions)
        return dataclasses.replace(d, deletions=moved)

    engine = planted(mini, earlier_when_longer)
    consent = {"type": "consent_given", "at": "2024-03-13", "payload": {"scope": "x"}}
    with pytest.raises(InvariantViolation, match="deletion moved from"):
        invariants.later_events_keep_deletions(engine, case(REGISTERED, DECLINED), [consent], AS_OF)


def test_waivers_justified(mini: Engine) -> None:
    decision = mini.evaluate(case(REGISTERED, WAIVED), as_of=AS_OF)
    assert [n.status for n in decision.notifications] == ["waived"]
    bad = tuple(
        dataclasses.replace(n, ground="crime_x", reason=" ") for n in decision.notifications
    )
    with pytest.raises(InvariantViolation, match="not one of") as info:
        invariants.waivers_justified(
            mini, case(REGISTERED, WAIVED), dataclasses.replace(decision, notifications=bad)
        )
    assert "without a recorded reason" in str(info.value)


def test_forbidden_never_recorded(mini: Engine) -> None:
    events = case(REGISTERED, ACCEPTED, FORBIDDEN)
    decision = mini.evaluate(events, as_of=AS_OF)
    assert not decision.events[2].allowed
    with pytest.raises(InvariantViolation, match=r"records forbidden \['ethnicity'\]"):
        invariants.forbidden_never_recorded(mini, events, replace_event(decision, 2, allowed=True))


def test_as_of_ignores_later_events(mini: Engine) -> None:
    engine = planted(mini, lambda d, c: dataclasses.replace(d, ignored_after_as_of=0))
    with pytest.raises(InvariantViolation, match="ignored_after_as_of is 0"):
        invariants.as_of_ignores_later_events(
            engine, case(REGISTERED, DECLINED), dt.date(2024, 3, 11)
        )


def test_decision_names_pack(mini: Engine) -> None:
    decision = mini.evaluate(case(), as_of=AS_OF)
    other = dataclasses.replace(decision.pack, content_hash="sha256:" + "0" * 64)
    with pytest.raises(InvariantViolation, match="content hash differs"):
        invariants.decision_names_pack(mini, dataclasses.replace(decision, pack=other))


def test_flaw_rejected(mini: Engine) -> None:
    accepted = Flawed(case(REGISTERED), "unknown_role", 0, "event_error")
    with pytest.raises(InvariantViolation, match="was accepted"):
        invariants.flaw_rejected(mini, accepted, AS_OF)
