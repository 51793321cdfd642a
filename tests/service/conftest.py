"""Fixtures for the decision service: real servers on loopback ports, SQLite and PostgreSQL.

PostgreSQL comes from ``$MPH_RULES_TEST_POSTGRES`` (``.ci/run`` starts one with
``.ci/start-postgres``); run as root with the Debian server installed, the fixture starts it
itself. Its tests skip only when PostgreSQL is truly absent, and never under ``CI=true``.
"""

from __future__ import annotations

import glob
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service extra is not installed")

import httpx
import uvicorn

from mph_rules import Engine, load_pack
from mph_rules.service import ServiceConfig, Store, create_app
from mph_rules.service.config import TokenConfig

ROOT = Path(__file__).resolve().parents[2]
PACKS = ("hilversum", "mda_plus", "nieuwegein", "nijmegen", "zvh_midden_nl")
TOKEN = "token-for-every-pack-0123456789"
HILVERSUM_TOKEN = "token-for-hilversum-only-012345"
ROLE_TOKEN = "token-for-a-reporter-only-01234"
TOKENS = (
    TokenConfig(name="all", token=TOKEN, packs=("*",)),
    TokenConfig(name="hilversum-only", token=HILVERSUM_TOKEN, packs=("hilversum",)),
    TokenConfig(name="reporter", token=ROLE_TOKEN, packs=("hilversum",), roles=("reporter",)),
)
PG_ENV = "MPH_RULES_TEST_POSTGRES"


def _postgres_dsn() -> str | None:
    dsn = os.environ.get(PG_ENV)
    if dsn:
        return dsn
    have_server = bool(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if have_server and hasattr(os, "geteuid") and os.geteuid() == 0:
        out = subprocess.run(
            ["bash", str(ROOT / ".ci" / "start-postgres")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode == 0 and out.stdout.strip():
            os.environ[PG_ENV] = out.stdout.strip()
            return out.stdout.strip()
    return None


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    dsn = _postgres_dsn()
    if dsn is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: set {PG_ENV} (see .ci/start-postgres)")
        pytest.skip(f"PostgreSQL absent: set {PG_ENV} or install the Debian package")
    return dsn


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    import psycopg

    name = "mph_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def engines() -> dict[str, Engine]:
    """Every bundled pack, loaded and compiled once for the session."""
    out = {}
    for name in PACKS:
        engine = Engine(load_pack(name))
        out[engine.ref.id] = engine
    return out


@dataclass
class Server:
    url: str
    database: str
    thread: threading.Thread
    server: uvicorn.Server

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start_server(
    database: str, engines: dict[str, Engine], log_key: bytes | None = None, **config: Any
) -> Server:
    """The service on a free loopback port, in a thread of this process (its decision log
    keyed with ``log_key`` if given)."""
    cfg = ServiceConfig(database=database, tokens=TOKENS, **config)
    app = create_app(cfg, store=Store(database, log_key=log_key), engines=engines)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return Server(f"http://127.0.0.1:{port}", database, thread, server)


@pytest.fixture
def serve(engines: dict[str, Engine]) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def run(database: str, **config: Any) -> Server:
        server = start_server(database, engines, **config)
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()


@pytest.fixture
def server(serve: Callable[..., Server], database: str) -> Server:
    return serve(database)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``mph-rules`` in a child process (its own process group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mph_rules.cli", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"the service exited: {err[-2000:]}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the service did not become healthy")
