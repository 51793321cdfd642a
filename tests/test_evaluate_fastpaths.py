"""The evaluate fast paths answer exactly as the general paths they shortcut (issue 13):
the validator's cheap name test never clears an event the full check would fault, a
notification built positionally equals one built by field name, and an event's combined
access and sharing verdicts (memoised whole) equal the per-category ones of a fresh engine."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import yaml

from mph_rules import Engine, load_pack
from mph_rules.decision import Notification
from mph_rules.engine.access import combine
from mph_rules.engine.state import Context, OpenItem
from mph_rules.events import Event

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*/*.yaml") if p.parent.name != "mini")


def _events(path: Path) -> list[dict]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["events"])


def _spoiled(raw: dict) -> list[dict]:
    """Copies of an event with one name the pack cannot know."""
    out = []
    if raw.get("actor"):
        out.append({**raw, "actor": {**raw["actor"], "role": "no_such_role"}})
        out.append({**raw, "actor": {**raw["actor"], "party": "no_such_party"}})
    payload = raw.get("payload") or {}
    for key, value in payload.items():
        if isinstance(value, str):
            out.append({**raw, "payload": {**payload, key: "no_such_name"}})
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            out.append({**raw, "payload": {**payload, key: [*value, "no_such_name"]}})
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_cleared_events_have_no_problems(path: Path) -> None:
    engine = Engine(load_pack(path.parent.name))
    validator = engine.validator
    cleared = 0
    for raw in _events(path):
        for variant in (raw, *_spoiled(raw)):
            try:
                event = Event.model_validate(variant)
            except ValueError:
                continue  # a payload the model refuses never reaches the name checks
            if validator._clear(event):
                cleared += 1
                assert validator.event_problems(0, event) == [], variant
    assert cleared  # the fast path is taken


def test_notification_positional_equals_by_name() -> None:
    engine = Engine(load_pack("hilversum"))
    item = OpenItem(
        id="d#1",
        duty="d",
        recipient="household",
        informer="procesregisseur",
        about="registration",
        trigger=2,
        due=dt.date(2024, 3, 18),
        due_at=dt.datetime(2024, 3, 18, 23, 59, tzinfo=dt.UTC),
        asap=True,
        counting="calendar",
        source="PR art. 8",
        origin="hilversum",
        note="a note",
        done=5,
        late=True,
        ground="g",
        reason="r",
        outcome="granted",
        subject="child_1",
        addressee="legal_representative",
    )
    cutoff = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    built = engine.duties.notification(item, cutoff)
    fields = {f.name for f in dataclasses.fields(Notification)}
    renamed = {"trigger_event": item.trigger, "done_event": item.done, "status": "waived"}
    expected = Notification(
        **{k: v for k, v in dataclasses.asdict(item).items() if k in fields}, **renamed
    )
    assert built == expected and built.to_json() == expected.to_json()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_event_verdicts_equal_per_category_verdicts(path: Path) -> None:
    """Each data event's combined verdict (the group memo) equals combining the verdicts of
    its categories asked one by one of a fresh engine, in the same case state."""
    pack = load_pack(path.parent.name)
    engine, fresh = Engine(pack), Engine(pack)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for _ in range(2):  # the second time from the memo
        case = engine.validate_case(raw)
        session = engine.session(case.id, facts=case.facts, subjects=case.subjects)
        for event in case.events:
            state = session._state
            ctx = Context(state, event, event.parsed)
            p = event.parsed
            if event.type in ("file_accessed", "data_recorded"):
                got = engine.access.check(0, event, state, ctx)
                role = event.actor.role if event.actor else ""
                action = "read" if event.type == "file_accessed" else "write"
                parts = [
                    fresh.access.access((role, c, state.phase, action), p.purpose, ctx)
                    for c in p.categories
                ]
                assert got == combine(parts)
            elif event.type == "data_provided":
                got = engine.sharing.check(0, event, state, ctx)
                parts = [
                    fresh.sharing.share_one(c, p.from_role, p.to_role, state.phase, ctx)
                    for c in p.categories
                ]
                assert got == combine(parts)
            session.post(event)


def test_positional_calls_follow_the_field_order() -> None:
    """Notifications, deadline statuses and record statuses are built positionally on the
    hot path (engine/duties.py, engine/lifecycle.py, casebook.py): a change of their field
    order must change those calls too."""
    from mph_rules.decision import ProcessDeadlineStatus, RecordStatus

    order = {
        Notification: "id duty recipient informer about trigger_event status due due_at asap "
        "counting source origin done_event late ground reason outcome note subject addressee",
        ProcessDeadlineStatus: "id rule label start_event status due counting source "
        "met_event responsible note due_at",
        RecordStatus: "id rule what status source trigger_event by due done_event subject "
        "reason",
    }
    for cls, names in order.items():
        assert [f.name for f in dataclasses.fields(cls)] == names.split(), cls


def test_settled_event_verdict_equals_the_class() -> None:
    """The engine's event verdicts skip __post_init__ (they always carry their word)."""
    from mph_rules.decision import EventVerdict, new_settled_event_verdict

    for word, allowed in (("allowed", True), ("denied", False), ("unspecified", True)):
        args = (0, "case_registered", dt.date(2024, 3, 11), allowed, "a", "b", ("r",), ("w",))
        built = new_settled_event_verdict(*args, None, True, word, ("s1",))
        plain = EventVerdict(*args, None, True, word, ("s1",))
        assert type(built) is EventVerdict and built == plain
        assert built.to_json() == plain.to_json()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_evaluate_history_of_events_equals_a_sessions_occurrences(path: Path) -> None:
    """``Engine.evaluate`` keeps the case's own Event objects as its history (and builds the
    decision directly); a live session keeps occurrences with only the fields conditions
    read. Both must answer alike, cut anywhere, on a fresh and on a used engine, and the
    families' interned trace entries must not leak between cases."""
    pack = load_pack(path.parent.name)
    used = Engine(pack)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    events = raw["events"]
    as_of = dt.date(2031, 6, 1)
    for cut in sorted({1, 2, len(events) // 2, len(events)}):
        case = {**raw, "events": events[:cut]}
        for engine in (Engine(pack), used):
            evaluated = engine.evaluate(case, as_of=as_of)
            session = engine.session(
                raw.get("id", "x"), facts=raw.get("facts"), subjects=raw.get("subjects", ())
            )
            for event in events[:cut]:
                session.post(event)
            assert evaluated.to_json() == session.decision(as_of).to_json()
            assert evaluated.to_json() == Engine(pack).evaluate(case, as_of=as_of).to_json()
