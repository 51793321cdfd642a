"""The decision log: every decision the service gives is chained; `mph-rules audit verify`
finds any entry edited, removed or reordered, and any stored event that no longer matches."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from mph_rules.cli import main
from mph_rules.service import Store
from mph_rules.service.store import events, log, log_head
from mph_rules.service.verify import verify
from tests.service.conftest import Server
from tests.service.helpers import AS_OF, example_cases, post_case

PACK, CASE = example_cases()[0]


@pytest.fixture
def logged(serve: Callable[..., Server], database: str) -> str:
    """A database holding one live case, decisions on it and stateless answers."""
    server = serve(database)
    with server.client() as client:
        post_case(client, PACK, {**CASE, "events": CASE["events"][:6]})
        client.get(f"/v1/cases/{CASE['id']}/decision", params={"as_of": AS_OF})
        client.post("/v1/packs/hilversum/check/intake", json={"facts": {"life_domains": []}})
        client.post("/v1/packs/hilversum/evaluate", json={"case": CASE, "as_of": AS_OF})
    server.stop()
    server.server.config.app.state.store.close()  # type: ignore[attr-defined]
    return database


@pytest.fixture
def clone(logged: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Fresh copies of the logged database, one per tampering."""
    made: list[str] = []

    def copy() -> str:
        if logged.startswith("sqlite"):
            target = tmp_path / f"copy-{len(made)}.db"
            shutil.copy(logged.removeprefix("sqlite:///"), target)
            url = f"sqlite:///{target}"
        else:
            import psycopg

            base, _, source = logged.rpartition("/")
            name = "mph_copy_" + uuid.uuid4().hex[:12]
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
            url = f"{base}/{name}"
        made.append(url)
        return url

    yield copy
    for url in made:
        if not url.startswith("sqlite"):
            import psycopg

            base, _, name = url.rpartition("/")
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _tamper(url: str, *statements: object) -> list[str]:
    store = Store(url)
    try:
        with store._write() as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[call-overload]
        return verify(store).problems
    finally:
        store.close()


def _swap(a: int, b: int) -> list[object]:
    return [
        update(log).where(log.c.seq == a).values(seq=-1),
        update(log).where(log.c.seq == b).values(seq=a),
        update(log).where(log.c.seq == -1).values(seq=b),
    ]


def test_an_untouched_log_verifies(logged: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(logged)
    report = verify(store)
    store.close()
    assert report.ok, report.summary()
    assert report.entries == 6 + 3 and report.events == 6
    assert main(["audit", "verify", "--database", logged]) == 0
    out = capsys.readouterr().out
    assert "intact" in out
    head = out.strip().rsplit("head ", 1)[1]
    assert main(["audit", "verify", "--database", logged, "--expect-head", head]) == 0
    assert main(["audit", "verify", "--database", logged, "--replay"]) == 0
    assert "replay: 9 answers and decisions reproduced" in capsys.readouterr().out


TAMPERINGS: dict[str, tuple[list[object], str]] = {
    "edited verdict hash": (
        [update(log).where(log.c.seq == 3).values(output_hash="sha256:" + "1" * 64)],
        "entry 3: its content does not match its hash",
    ),
    "edited caller": (
        [update(log).where(log.c.seq == 7).values(caller="someone else")],
        "entry 7: its content does not match",
    ),
    "removed entry": ([delete(log).where(log.c.seq == 4)], "entries 4..4 are missing"),
    "reordered entries": (_swap(2, 5), "entry 2: does not follow"),
    "removed last entry": ([delete(log).where(log.c.seq == 9)], "the head names entry 9"),
    "edited stateless input": (
        [update(log).where(log.c.seq == 8).values(input='{"request":{}}')],
        "entry 8: the stored input does not match",
    ),
    "edited event": (
        [
            update(events)
            .where(events.c.case_id == CASE["id"], events.c.version == 2)
            .values(event='{"type":"case_closed"}')
        ],
        "event 2: the case's history does not match",
    ),
    "edited answer": (
        [
            update(events)
            .where(events.c.case_id == CASE["id"], events.c.version == 4)
            .values(result="{}")
        ],
        "event 4: the stored answer does not match",
    ),
    "removed event": (
        [delete(events).where(events.c.case_id == CASE["id"], events.c.version == 6)],
        "event 6: in the log but not stored",
    ),
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_tampering_is_found(clone: Callable[[], str], name: str) -> None:
    statements, expected = TAMPERINGS[name]
    problems = _tamper(clone(), *statements)
    assert any(expected in p for p in problems), problems


def test_a_rewritten_tail_is_found_against_a_noted_head(
    clone: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Cutting the last entry and moving the head back is a consistent chain; the head noted
    earlier shows it."""
    url = clone()
    store = Store(url)
    noted = store.head()
    with store._write() as conn:
        before = conn.execute(select(log.c.entry_hash).where(log.c.seq == noted[0] - 1)).scalar()
        conn.execute(delete(log).where(log.c.seq == noted[0]))
        conn.execute(update(log_head).values(seq=noted[0] - 1, entry_hash=before))
    assert verify(store).ok  # a chain cannot see this on its own
    problems = verify(store, noted).problems
    store.close()
    assert any("noted earlier" in p for p in problems), problems
    head = f"{noted[0]}:{noted[1]}"
    assert main(["audit", "verify", "--database", url, "--expect-head", head]) == 1
    assert "NOT intact" in capsys.readouterr().err
