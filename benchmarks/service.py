"""The decision service over HTTP against the in-process call, measured in one run.

``python benchmarks/service.py [--quick] [--database postgresql://...] [--clients 8]``

Starts ``mph-rules serve`` in a child process on a loopback port (SQLite in a temporary
directory unless ``--database`` is given), then measures, interleaved in rounds:

* evaluate: ``Engine.evaluate`` of an example case in this process, against
  ``POST /v1/packs/{pack}/evaluate`` of the same case (answers checked equal first);
* post: ``CaseSession.post`` of a stream of events in this process, against
  ``POST /v1/cases/{id}/events`` (each acknowledged after its event, verdict and log entry
  are committed); and the store without HTTP (``LiveCases.append``), to split the cost;
* throughput of both HTTP calls with several concurrent clients.

Prints p50 and p99 latency, throughput and the ratio to the in-process call. The machine is
shared and noisy: read medians and ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from mph_rules import Engine, load_case, load_pack
from mph_rules.events import Event

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "benchmark-token-0123456789abcdef"
CASE = ROOT / "examples" / "hilversum" / "household_closed.yaml"
AS_OF = "2025-01-15"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(database: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = tmp / "service.yaml"
    config.write_text(
        f'database: "{database}"\npacks: [hilversum]\n'
        f'tokens: [{{name: bench, token: "{TOKEN}", packs: ["*"]}}]\n'
    )
    port = free_port()
    command = [sys.executable, "-m", "mph_rules.cli", "serve", "--config", str(config)]
    command += ["--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the service did not start")


def event_stream(case: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """The example's opening event, then ``n - 1`` recordings on one day (always valid)."""
    opening = case["events"][0]
    recorded = next(e for e in case["events"] if e["type"] == "data_recorded")
    return [opening] + [{**recorded, "at": "2024-03-20", "id": f"r{i}"} for i in range(1, n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--database", default=None, help="default: SQLite in a temporary dir")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    args = parser.parse_args()
    n = 60 if args.quick else 300
    rounds = 2 if args.quick else 3

    engine = Engine(load_pack("hilversum"))
    case = load_case(CASE).model_dump(mode="json")
    when = dt.date.fromisoformat(AS_OF)
    stream = event_stream(case, n)

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        database = args.database or f"sqlite:///{tmp / 'bench.db'}"
        proc, url = start_server(database, tmp)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        client = httpx.Client(base_url=url, headers=headers, timeout=60)
        try:
            body = {"case": case, "as_of": AS_OF}
            got = client.post("/v1/packs/hilversum/evaluate", json=body)
            assert got.text == engine.evaluate(case, as_of=when).to_json(indent=None)

            results: dict[str, list[float]] = {k: [] for k in ("eval_lib", "eval_http")}
            results.update({k: [] for k in ("post_lib", "post_store", "post_http")})
            for r in range(rounds):
                results["eval_lib"] += timed(lambda: engine.evaluate(case, as_of=when), n)
                results["eval_http"] += timed(
                    lambda: client.post("/v1/packs/hilversum/evaluate", json=body), n
                )
                results["post_lib"] += post_lib(engine, case, stream)
                results["post_store"] += post_store(engine, case, stream, tmp / f"s{r}.db")
                results["post_http"] += post_http(client, case, stream, f"seq-{r}")

            thr_eval = throughput(
                url,
                headers,
                args.clients,
                n,
                lambda c, i: c.post("/v1/packs/hilversum/evaluate", json=body),
            )
            thr_post = throughput_post(url, headers, args.clients, case, stream)
        finally:
            client.close()
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)

    kind = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    print(
        f"mph-rules service benchmark ({kind}, {n} calls x {rounds} rounds, case with "
        f"{len(case['events'])} events; {os.cpu_count()} cores, shared)"
    )
    print(f"{'call':<44}{'p50':>10}{'p99':>10}{'per s':>9}{'x lib p50':>11}")

    def row(name: str, key: str, base: str) -> None:
        values = results[key]
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        ratio = p50 / percentile(results[base], 0.5)
        print(
            f"{name:<44}{p50 * 1e3:>8.2f}ms{p99 * 1e3:>8.2f}ms{1 / statistics.mean(values):>9.0f}"
            f"{ratio:>10.1f}x"
        )

    row("evaluate: Engine.evaluate (in process)", "eval_lib", "eval_lib")
    row("evaluate: POST /v1/packs/hilversum/evaluate", "eval_http", "eval_lib")
    row("post: CaseSession.post (in process)", "post_lib", "post_lib")
    row("post: LiveCases.append (SQLite, no HTTP)", "post_store", "post_lib")
    row("post: POST /v1/cases/{id}/events", "post_http", "post_lib")
    print(
        f"throughput with {args.clients} concurrent clients: evaluate {thr_eval:.0f}/s, "
        f"post {thr_post:.0f}/s (events to {args.clients} cases)"
    )


def post_lib(engine: Engine, case: dict[str, Any], stream: list[Any]) -> list[float]:
    session = engine.session("lib", facts=case["facts"], subjects=case["subjects"])
    out = []
    for event in stream:
        start = time.perf_counter()
        session.post(event)
        out.append(time.perf_counter() - start)
    return out


def post_store(engine: Engine, case: dict[str, Any], stream: list[Any], path: Path) -> list[float]:
    from mph_rules.service.cases import LiveCases
    from mph_rules.service.store import Store

    store = Store(f"sqlite:///{path}")
    store.migrate()
    live = LiveCases(store, {"hilversum": engine}, 100)
    out = []
    for i, event in enumerate(stream):
        parsed = Event.model_validate(event)
        start = time.perf_counter()
        live.append(
            caller="bench",
            packs=None,
            case_id="store",
            pack_id="hilversum",
            expected=i,
            event=parsed,
            facts=case["facts"] if i == 0 else None,
            subjects=case["subjects"] if i == 0 else None,
        )
        out.append(time.perf_counter() - start)
    store.close()
    return out


def post_http(
    client: httpx.Client, case: dict[str, Any], stream: list[Any], case_id: str
) -> list[float]:
    out = []
    for i, event in enumerate(stream):
        body: dict[str, Any] = {"expected_version": i, "event": event}
        if i == 0:
            body.update(pack="hilversum", facts=case["facts"], subjects=case["subjects"])
        start = time.perf_counter()
        r = client.post(f"/v1/cases/{case_id}/events", json=body)
        out.append(time.perf_counter() - start)
        assert r.status_code == 200, r.text
    return out


def throughput(
    url: str,
    headers: dict[str, str],
    clients: int,
    n: int,
    call: Callable[[httpx.Client, int], Any],
) -> float:
    def work(k: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
            for i in range(n // clients):
                assert call(c, i).status_code == 200

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, range(clients)))
    return (n // clients) * clients / (time.perf_counter() - start)


def throughput_post(
    url: str, headers: dict[str, str], clients: int, case: dict[str, Any], stream: list[Any]
) -> float:
    per = len(stream) // clients

    def work(k: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
            post_http(c, case, stream[:per], f"par-{k}")

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(work, range(clients)))
    return per * clients / (time.perf_counter() - start)


if __name__ == "__main__":
    main()
