"""The event store over real HTTP, on SQLite and on PostgreSQL: what is acknowledged is
stored, a rejected event stores nothing, writers cannot interleave, and replay from the
store reproduces every answer and decision byte for byte."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mph_rules import Engine
from mph_rules.service import Store
from mph_rules.service.replay import replay
from mph_rules.service.verify import verify
from tests.service.conftest import Server
from tests.service.helpers import AS_OF, as_of, example_cases, post_case, replayed_answers

CASES = example_cases()
ONE_PER_PACK = list({pack: (pack, case) for pack, case in CASES}.values())


def test_every_example_replays_byte_for_byte(
    serve: Callable[..., Server], database: str, engines: dict[str, Engine]
) -> None:
    cases = CASES if database.startswith("sqlite") else ONE_PER_PACK  # the machine is small
    server = serve(database)
    with server.client() as client:
        for pack, case in cases:
            answers = post_case(client, pack, case)
            assert answers == replayed_answers(engines[pack], case), case["id"]
            got = client.get(f"/v1/cases/{case['id']}/decision", params={"as_of": AS_OF})
            want = engines[pack].evaluate(case, as_of=as_of()).to_json(indent=None)
            assert got.status_code == 200 and got.text == want, case["id"]
    server.stop()

    # a new process on the same database: sessions rebuilt from the store answer the same
    again = serve(database)
    with again.client() as client:
        for pack, case in cases:
            stored = client.get(f"/v1/cases/{case['id']}").json()
            assert stored["events"] == case["events"] and stored["version"] == len(case["events"])
            for when in (AS_OF, case["events"][len(case["events"]) // 2]["at"][:10]):
                got = client.get(f"/v1/cases/{case['id']}/decision", params={"as_of": when})
                want = engines[pack].evaluate(case, as_of=as_of(when)).to_json(indent=None)
                assert got.text == want, (case["id"], when)
    store = Store(database)
    report = verify(store)
    assert report.ok, report.summary()
    reproduced, problems = replay(store, engines)
    store.close()
    assert not problems
    # every answer, and the decisions asked after the restart (those before it too)
    assert reproduced == report.entries
    assert report.events == sum(len(c["events"]) for _, c in cases)


def _state(server: Server, case_id: str) -> tuple[int, int]:
    store = Store(server.database)
    try:
        return store.version(case_id) or 0, store.head()[0]
    finally:
        store.close()


def test_rejected_and_conflicting_events_store_nothing(server: Server) -> None:
    pack, case = CASES[0]
    events = case["events"]
    with server.client() as client:
        post_case(client, pack, {**case, "events": events[:3]})
        before = _state(server, case["id"])
        url = f"/v1/cases/{case['id']}/events"

        stale = client.post(url, json={"expected_version": 2, "event": events[3]})
        assert stale.status_code == 409
        assert stale.json()["error"]["current_version"] == 3

        ahead = client.post(url, json={"expected_version": 4, "event": events[3]})
        assert ahead.status_code == 409

        unknown = dict(events[3], type="no_such_event")
        bad = client.post(url, json={"expected_version": 3, "event": unknown})
        assert bad.status_code == 422
        problem = bad.json()["error"]["problems"][0]
        assert problem["path"].startswith("event") and problem["message"]

        earlier = dict(events[3], at="2000-01-01")
        bad = client.post(url, json={"expected_version": 3, "event": earlier})
        assert bad.status_code == 422, bad.text
        assert "earlier" in bad.json()["error"]["problems"][0]["message"]

        payload = dict(events[3], payload={"no_such_field": 1})
        assert client.post(url, json={"expected_version": 3, "event": payload}).status_code == 422

        again = client.post(url, json={"expected_version": 0, "pack": pack, "event": events[0]})
        assert again.status_code == 409

        assert _state(server, case["id"]) == before
        ok = client.post(url, json={"expected_version": 3, "event": events[3]})
        assert ok.status_code == 200 and ok.json()["version"] == 4
        # the rejected attempts left the cached session untouched: still equal to a replay
        want = replayed_answers_for(server, pack, case, 4)
        assert ok.text == want


def replayed_answers_for(server: Server, pack: str, case: dict[str, object], n: int) -> str:
    engines = server.server.config.app.state.engines  # type: ignore[attr-defined]
    events = case["events"]
    assert isinstance(events, list)
    return replayed_answers(engines[pack], {**case, "events": events[:n]})[-1]


def test_creation_rules(server: Server) -> None:
    pack, case = CASES[0]
    url = f"/v1/cases/{case['id']}/events"
    with server.client() as client:
        no_pack = client.post(url, json={"expected_version": 0, "event": case["events"][0]})
        assert no_pack.status_code == 422
        missing = client.post(url, json={"expected_version": 1, "event": case["events"][0]})
        assert missing.status_code == 404
        bad_subject = client.post(
            url,
            json={
                "expected_version": 0,
                "pack": pack,
                "subjects": [{"id": "x", "birth_date": "yesterday"}],
                "event": case["events"][0],
            },
        )
        assert bad_subject.status_code == 422
        assert client.get(f"/v1/cases/{case['id']}").status_code == 404
        post_case(client, pack, {**case, "events": case["events"][:1]})
        late_facts = client.post(
            url, json={"expected_version": 1, "facts": {}, "event": case["events"][1]}
        )
        assert late_facts.status_code == 422
        other = client.post(
            url, json={"expected_version": 1, "pack": "nijmegen", "event": case["events"][1]}
        )
        assert other.status_code == 409 and other.json()["error"]["code"] == "wrong_pack"


def test_due_across_cases(server: Server, engines: dict[str, Engine]) -> None:
    with server.client() as client:
        for pack, case in CASES[:6]:
            post_case(client, pack, case)
        got = client.get("/v1/due", params={"until": AS_OF})
        assert got.status_code == 200
        by_case = {c["case_id"]: c for c in got.json()["cases"]}
        for pack, case in CASES[:6]:
            session = engines[pack].session(
                case["id"], facts=case["facts"], subjects=case["subjects"]
            )
            for event in case["events"]:
                session.post(event)
            due = session.due(as_of())
            if due.notifications or due.deadlines or due.deletions:
                assert by_case[case["id"]]["due"] == due.to_dict()
            else:
                assert case["id"] not in by_case
        assert client.get("/v1/due", params={"until": "soon"}).status_code == 422
    store = Store(server.database)
    try:
        report = verify(store)
        assert report.ok, report.summary()
        last = list(store.log_entries())[-1]
        assert last["kind"] == "due" and last["as_of"] == AS_OF
    finally:
        store.close()


@pytest.mark.parametrize("steps", [1, 2])
def test_migrations_are_idempotent(database: str, steps: int) -> None:
    store = Store(database)
    try:
        assert store.migrate() == 1
        for _ in range(steps):
            assert store.migrate() == 0
        assert store.schema_version() == 1
    finally:
        store.close()
