"""The keyed (HMAC) decision log: someone who can write the database but lacks the key
cannot rewrite the chain so that `mph-rules audit verify` with the key accepts it.

The same rewrite on an unkeyed log passes a plain verify (the limit docs/service.md
states); on a keyed log it is found, whether the rewriter hashes plainly or with a guessed
key. The key comes from a file or the environment and never appears in the service's logs.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from mph_rules.cli import main
from mph_rules.service import Store
from mph_rules.service.chain import entry_hash, is_keyed
from mph_rules.service.logkey import KEY_ENV, KEY_FILE_ENV
from mph_rules.service.store import log, log_head
from mph_rules.service.verify import verify
from tests.service.conftest import TOKEN, Server, free_port, spawn, wait_healthy
from tests.service.helpers import AS_OF, example_cases, post_case

PACK, CASE = example_cases()[0]
KEY = b"0123456789abcdef-the-log-key-for-tests"


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


def _fill(server: Server) -> None:
    with server.client() as client:
        post_case(client, PACK, {**CASE, "events": CASE["events"][:4]})
        client.get(f"/v1/cases/{CASE['id']}/decision", params={"as_of": AS_OF})
        client.post("/v1/packs/hilversum/check/intake", json={"facts": {"life_domains": []}})
    server.stop()
    server.server.config.app.state.store.close()  # type: ignore[attr-defined]


@pytest.fixture
def keyed(serve: Callable[..., Server], database: str) -> str:
    _fill(serve(database, log_key=KEY))
    return database


@pytest.fixture
def plain(serve: Callable[..., Server], database: str) -> str:
    _fill(serve(database))
    return database


@pytest.fixture
def key_file(tmp_path: Path) -> str:
    path = tmp_path / "log.key"
    path.write_bytes(KEY + b"\n")  # a trailing newline is not part of the key
    return str(path)


def _rewrite(url: str, from_seq: int, key: bytes | None) -> None:
    """What someone with write access does: edit entry ``from_seq`` (another caller) and
    recompute every hash from there on, and the head, with ``key`` (None: plain)."""
    store = Store(url)
    rows = list(store.log_entries())
    with store._write() as conn:
        prev = rows[from_seq - 2]["entry_hash"] if from_seq > 1 else None
        for row in rows[from_seq - 1 :]:
            if row["seq"] == from_seq:
                row["caller"] = "someone else"
            if prev is not None:
                row["prev_hash"] = prev
            row["entry_hash"] = entry_hash(row, key)
            conn.execute(
                update(log)
                .where(log.c.seq == row["seq"])
                .values(
                    caller=row["caller"], prev_hash=row["prev_hash"], entry_hash=row["entry_hash"]
                )
            )
            prev = row["entry_hash"]
        conn.execute(update(log_head).values(seq=rows[-1]["seq"], entry_hash=prev))
    store.close()


def test_a_keyed_log_verifies_with_its_key(
    keyed: str, key_file: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(keyed)
    hashes = [row["entry_hash"] for row in store.log_entries()]
    report = verify(store, key=KEY)
    store.close()
    assert len(hashes) == 4 + 2 and all(is_keyed(h) for h in hashes)
    assert report.ok and report.keyed == 6, report.summary()
    assert main(["audit", "verify", "--database", keyed, "--key-file", key_file]) == 0
    assert "6 entries keyed (HMAC) and checked under the key" in capsys.readouterr().out
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    assert main(["audit", "verify", "--database", keyed, "--replay"]) == 0
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv(KEY_FILE_ENV, key_file)
    assert main(["audit", "verify", "--database", keyed]) == 0


def test_a_keyed_log_needs_its_key(
    keyed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify", "--database", keyed]) == 2
    err = capsys.readouterr().err
    assert "error[MPH-S004]: the decision log is keyed (HMAC)" in err
    assert "see docs/errors/MPH-S004.md" in err
    wrong = tmp_path / "wrong.key"
    wrong.write_bytes(b"another-key-of-enough-length")
    assert main(["audit", "verify", "--database", keyed, "--key-file", str(wrong)]) == 1
    assert "none of the 6 keyed entries matches under this key" in capsys.readouterr().err
    short = tmp_path / "short.key"
    short.write_bytes(b"short")
    assert main(["audit", "verify", "--database", keyed, "--key-file", str(short)]) == 2
    assert "error[MPH-S004]: the log key is shorter than 16 bytes" in capsys.readouterr().err


def test_a_rewrite_passes_a_plain_chain(plain: str) -> None:
    """The gap of a plain chain (docs/service.md), closed by the key (next test)."""
    _rewrite(plain, 3, None)
    assert main(["audit", "verify", "--database", plain]) == 0  # not detectable


def test_a_plain_rewrite_of_a_keyed_log_is_found(
    keyed: str, key_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _rewrite(keyed, 3, None)  # rewritten as a plain chain
    assert main(["audit", "verify", "--database", keyed, "--key-file", key_file]) == 1
    err = capsys.readouterr().err
    assert "entry 3: not keyed, but the log is keyed from entry 1 on" in err
    assert "entry 2:" not in err  # the entries before the rewrite are fine


def test_a_rewrite_with_a_guessed_key_is_found(
    keyed: str, key_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _rewrite(keyed, 4, b"a-guessed-key-of-enough-length")
    assert main(["audit", "verify", "--database", keyed, "--key-file", key_file]) == 1
    err = capsys.readouterr().err
    assert "entry 4: its content does not match its keyed hash (edited)" in err
    assert "entry 5: its content does not match its keyed hash" in err
    assert "entry 3:" not in err


def test_a_log_keyed_later_verifies_from_the_entry_the_service_noted(
    plain: str,
    serve: Callable[..., Server],
    key_file: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An operator turns the key on for a log that has plain entries: the service logs the
    first keyed entry; verify takes it as --keyed-from."""
    server = serve(plain, log_key=KEY)
    store = server.server.config.app.state.store  # type: ignore[attr-defined]
    first = store.keyed_from()
    with server.client() as client:
        client.post("/v1/packs/hilversum/check/intake", json={"facts": {"life_domains": []}})
    server.stop()
    store.close()
    assert first == 7
    args = ["audit", "verify", "--database", plain, "--key-file", key_file]
    assert main(args) == 1
    assert "entry 1: not keyed, but the log is keyed from entry 1 on" in capsys.readouterr().err
    assert main([*args, "--keyed-from", str(first)]) == 0
    _rewrite(plain, 7, None)  # the keyed part rewritten plainly
    assert main([*args, "--keyed-from", str(first)]) == 1


def test_the_served_key_is_never_logged(tmp_path: Path) -> None:
    """`mph-rules serve` with the key in the environment: entries are keyed, the key is in
    no log line, and `audit verify` with the same key finds the log intact."""
    secret = "s3cret-log-key-that-must-not-leak"
    database = f"sqlite:///{tmp_path / 'svc.db'}"
    port = free_port()
    proc = spawn(
        ["serve", "--database", database, "--port", str(port), "--log-level", "debug"],
        env={"MPH_RULES_TOKEN": TOKEN, KEY_ENV: secret},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            r = client.post("/v1/packs/hilversum/check/intake", json={"facts": {}})
            assert r.status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    logs = err.decode()
    assert "decision log keyed (HMAC) from entry 1 on" in logs
    assert secret not in logs
    env_key = {KEY_ENV: secret}
    old = {k: os.environ.get(k) for k in env_key}
    os.environ.update(env_key)
    try:
        assert main(["audit", "verify", "--database", database]) == 0
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    store = Store(database)
    assert all(is_keyed(row["entry_hash"]) for row in store.log_entries())
    store.close()
