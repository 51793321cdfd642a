"""Crashes and concurrent writers, on SQLite and PostgreSQL.

- kill -9 the server while clients post a stream of events; restart it on the same database:
  every acknowledged event is there, nothing else but (at most) the one each client had in
  flight, stored whole; decisions equal a fresh replay; the decision log verifies.
- 16 clients post 1,000+ events to shared and own cases with expected versions: nothing lost,
  nothing duplicated, versions strictly increasing, every case equal to its replay.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from mph_rules import Engine
from mph_rules.service import Store
from mph_rules.service.verify import verify
from tests.service.conftest import TOKEN, Server, free_port, spawn, wait_healthy
from tests.service.helpers import AS_OF, as_of, example_cases

PACK, CASE = example_cases()[0]
assert PACK == "hilversum"
OPENING = CASE["events"][0]  # case_registered by the reporter
RECORDED = next(
    e
    for e in CASE["events"]
    if e["type"] == "data_recorded" and e["actor"]["role"] == "projectsecretaris"
)


def _create(case_id: str, event_id: str) -> dict[str, Any]:
    return {
        "expected_version": 0,
        "pack": PACK,
        "facts": CASE["facts"],
        "subjects": CASE["subjects"],
        "event": {**OPENING, "id": event_id},
    }


def _event(event_id: str, at: str) -> dict[str, Any]:
    return {**RECORDED, "id": event_id, "at": at}


def _check_replay(client: httpx.Client, engine: Engine, case_id: str) -> dict[str, Any]:
    stored = client.get(f"/v1/cases/{case_id}")
    assert stored.status_code == 200, stored.text
    case = stored.json()
    got = client.get(f"/v1/cases/{case_id}/decision", params={"as_of": AS_OF})
    fresh = {k: case[k] for k in ("id", "facts", "subjects", "events")}
    assert got.text == engine.evaluate(fresh, as_of=as_of()).to_json(indent=None)
    return dict(case)


# --- kill -9 ---------------------------------------------------------------------------------


def _config(tmp_path: Path, database: str) -> Path:
    path = tmp_path / "service.yaml"
    path.write_text(
        json.dumps(
            {
                "database": database,
                "packs": [PACK],
                "tokens": [{"name": "test", "token": TOKEN, "packs": ["*"]}],
            }
        )
    )
    return path


def _start(config: Path) -> tuple[Any, str]:
    port = free_port()
    proc = spawn(["serve", "--config", str(config), "--port", str(port), "--log-level", "warning"])
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc)
    return proc, url


def _stream(url: str, case_id: str, acked: list[str], stop: threading.Event) -> str | None:
    """Post events to one case until the server dies; returns the id in flight, if any."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        i = len(acked)
        while not stop.is_set() or i < 3:
            event_id = f"{case_id}-{i}"
            body = (
                _create(case_id, event_id)
                if i == 0
                else {"expected_version": i, "event": _event(event_id, "2024-03-20T10:00:00+01:00")}
            )
            try:
                r = client.post(f"/v1/cases/{case_id}/events", json=body)
            except httpx.HTTPError:
                return event_id
            assert r.status_code == 200, r.text
            assert r.json()["version"] == i + 1
            acked.append(event_id)
            i += 1
    return None


def test_kill_9_loses_no_acknowledged_event(
    tmp_path: Path, database: str, engines: dict[str, Engine], serve: Callable[..., Server]
) -> None:
    config = _config(tmp_path, database)
    cases = [f"crash-{k}" for k in range(4)]
    acked: dict[str, list[str]] = {c: [] for c in cases}
    proc, url = _start(config)
    stop = threading.Event()
    with ThreadPoolExecutor(len(cases)) as pool:
        futures = [pool.submit(_stream, url, c, acked[c], stop) for c in cases]
        deadline = time.monotonic() + 30
        while sum(map(len, acked.values())) < 80:
            assert time.monotonic() < deadline, "too few events acknowledged"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # mid-stream: our own child's process group
        stop.set()
        proc.wait(10)
        in_flight = {c: f.result(30) for c, f in zip(cases, futures, strict=True)}

    # restart on the same database (in this process: the packs are already loaded)
    server = serve(database)
    with server.client() as client:
        for case_id in cases:
            case = _check_replay(client, engines[PACK], case_id)
            ids = [e["id"] for e in case["events"]]
            assert ids[: len(acked[case_id])] == acked[case_id]
            extra = ids[len(acked[case_id]) :]
            assert extra in ([], [in_flight[case_id]]), (extra, in_flight[case_id])
            assert case["version"] == len(ids)
            # and the case goes on from where the store says it is
            more = {"expected_version": len(ids), "event": _event("after", "2024-03-21")}
            assert client.post(f"/v1/cases/{case_id}/events", json=more).status_code == 200
    store = Store(database)
    report = verify(store)
    store.close()
    assert report.ok, report.summary()


# --- concurrent writers ----------------------------------------------------------------------

CLIENTS = 16
PER_CLIENT = 63  # 16 x 63 = 1,008 events


def test_concurrent_writers(
    serve: Callable[..., Server], database: str, engines: dict[str, Engine]
) -> None:
    server = serve(database)
    shared = [f"shared-{k}" for k in range(8)]  # two writers on each
    acks: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def post(client: httpx.Client, case_id: str, event_id: str, known: dict[str, int]) -> None:
        for _ in range(500):
            version = known.get(case_id, 0)
            body = (
                _create(case_id, event_id)
                if version == 0
                else {"expected_version": version, "event": _event(event_id, "2024-03-20")}
            )
            r = client.post(f"/v1/cases/{case_id}/events", json=body)
            if r.status_code == 409:
                current = r.json()["error"]["current_version"]
                known[case_id] = current or 0
                continue
            assert r.status_code == 200, r.text
            known[case_id] = r.json()["version"]
            with lock:
                acks.append((case_id, known[case_id], event_id))
            return
        raise AssertionError(f"{event_id}: no slot after 500 tries")

    def writer(n: int) -> None:
        known: dict[str, int] = {}
        with server.client() as client:
            for i in range(PER_CLIENT):
                case_id = shared[n % len(shared)] if i % 2 else f"own-{n}"
                post(client, case_id, f"w{n}-{i}", known)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(writer, range(CLIENTS)))
    assert len(acks) == CLIENTS * PER_CLIENT >= 1000

    by_case: dict[str, list[tuple[int, str]]] = {}
    for case_id, version, event_id in acks:
        by_case.setdefault(case_id, []).append((version, event_id))
    with server.client() as client:
        for case_id, items in by_case.items():
            items.sort()
            versions = [v for v, _ in items]
            assert versions == list(range(1, len(items) + 1)), case_id  # strictly increasing
            case = _check_replay(client, engines[PACK], case_id)
            assert [e["id"] for e in case["events"]] == [
                e for _, e in items
            ]  # none lost, none twice
    store = Store(database)
    report = verify(store)
    store.close()
    assert report.ok, report.summary()
    assert report.events == len(acks)
