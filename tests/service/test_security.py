"""Who may ask what: tokens, packs, roles, body sizes, names that look like paths, and
errors that never show a stack trace."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.service.conftest import HILVERSUM_TOKEN, ROLE_TOKEN, TOKEN, Server
from tests.service.helpers import AS_OF, example_cases, first_body, post_case

ROOT = Path(__file__).resolve().parents[2]
CASES = example_cases()
HILVERSUM = next(c for p, c in CASES if p == "hilversum")
NIJMEGEN = next(c for p, c in CASES if p == "nijmegen")


@pytest.fixture(scope="module")
def sqlite_server(
    tmp_path_factory: pytest.TempPathFactory, engines: dict[str, object]
) -> Iterator[Server]:
    from tests.service.conftest import start_server

    db = tmp_path_factory.mktemp("security") / "service.db"
    server = start_server(f"sqlite:///{db}", engines, max_body_bytes=20_000)  # type: ignore[arg-type]
    with server.client() as client:
        post_case(client, "hilversum", HILVERSUM)
        post_case(client, "nijmegen", NIJMEGEN)
    yield server
    server.stop()


def _no_trace(r: httpx.Response) -> None:
    assert "Traceback" not in r.text and 'File "' not in r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()["error"]
    assert body["status"] == r.status_code and body["code"] and body["message"]


ROUTES: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "/v1/packs", None),
    ("POST", "/v1/packs/hilversum/evaluate", {"case": HILVERSUM, "as_of": AS_OF}),
    ("POST", "/v1/packs/hilversum/check/intake", {"facts": {}}),
    ("GET", f"/v1/cases/{HILVERSUM['id']}/decision?as_of={AS_OF}", None),
    ("GET", f"/v1/cases/{HILVERSUM['id']}", None),
    ("POST", f"/v1/cases/{HILVERSUM['id']}/events", {"expected_version": 99, "event": {}}),
    ("GET", f"/v1/due?until={AS_OF}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-wrong-token", "Basic dXNlcjpwdw=="])
def test_every_route_needs_a_known_token(
    sqlite_server: Server, method: str, path: str, body: object, auth: str | None
) -> None:
    headers = {} if auth is None else {"Authorization": auth}
    r = httpx.request(method, sqlite_server.url + path, json=body, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    _no_trace(r)


def test_health_ready_and_openapi_are_open(sqlite_server: Server) -> None:
    assert httpx.get(sqlite_server.url + "/health").json() == {"status": "ok"}
    ready = httpx.get(sqlite_server.url + "/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    spec = httpx.get(sqlite_server.url + "/openapi.json").json()
    assert "bearer" in json.dumps(spec["components"]["securitySchemes"]).lower()


def test_a_token_sees_only_its_packs_and_their_cases(sqlite_server: Server) -> None:
    with sqlite_server.client(HILVERSUM_TOKEN) as client:
        assert [p["id"] for p in client.get("/v1/packs").json()] == ["hilversum"]
        r = client.post("/v1/packs/nijmegen/check/intake", json={"facts": {}})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_pack"
        assert client.post("/v1/packs/hilversum/check/intake", json={"facts": {}}).is_success
        # another pack's case is not there at all for this caller
        for path in (f"/v1/cases/{NIJMEGEN['id']}", f"/v1/cases/{NIJMEGEN['id']}/decision"):
            r = client.get(path, params={"as_of": AS_OF})
            assert r.status_code == 404, r.text
            _no_trace(r)
        r = client.post(
            f"/v1/cases/{NIJMEGEN['id']}/events",
            json={"expected_version": len(NIJMEGEN["events"]), "event": NIJMEGEN["events"][-1]},
        )
        assert r.status_code == 404
        create = first_body("nijmegen", NIJMEGEN, NIJMEGEN["events"][0])
        r = client.post("/v1/cases/new-case-of-nijmegen/events", json=create)
        assert r.status_code == 403
        due = client.get("/v1/due", params={"until": AS_OF}).json()["cases"]
        assert {c["pack"] for c in due} <= {"hilversum"}
        assert client.get(f"/v1/cases/{HILVERSUM['id']}").is_success
    with sqlite_server.client(TOKEN) as client:
        assert client.get(f"/v1/cases/{NIJMEGEN['id']}").is_success


def test_a_token_limited_to_roles(sqlite_server: Server) -> None:
    event = dict(HILVERSUM["events"][0])
    assert event["actor"]["role"] == "reporter"
    with sqlite_server.client(ROLE_TOKEN) as client:
        ok = client.post(
            "/v1/cases/by-reporter/events", json=first_body("hilversum", HILVERSUM, event)
        )
        assert ok.status_code == 200, ok.text
        other = dict(HILVERSUM["events"][1], actor={"role": "triagist"})
        r = client.post(
            "/v1/cases/by-reporter/events", json={"expected_version": 1, "event": other}
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
        assert client.get("/v1/cases/by-reporter").json()["version"] == 1


@pytest.mark.parametrize(
    "name",
    [
        "..",
        "../hilversum",
        "..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        quote(str(ROOT / "policies" / "hilversum.yaml"), safe=""),
        "hilversum.yaml",
        "base%2Favg",
        "base/avg",
        "HILVERSUM",
        "hilversum%00",
        "~root",
    ],
)
def test_path_like_pack_names_reach_no_file(sqlite_server: Server, name: str) -> None:
    with sqlite_server.client() as client:
        r = client.post(f"/v1/packs/{name}/check/intake", json={"facts": {}})
        assert r.status_code in (404, 422), (name, r.status_code, r.text)
        _no_trace(r)
        create = first_body(name, HILVERSUM, HILVERSUM["events"][0])
        r = client.post("/v1/cases/path-like/events", json=create)
        assert r.status_code in (404, 422), r.text
        assert client.get("/v1/cases/path-like").status_code == 404


@pytest.mark.parametrize("case_id", ["..%2Fx", "a%2Fb", "%00", "x" * 201, ".hidden"])
def test_path_like_case_ids(sqlite_server: Server, case_id: str) -> None:
    with sqlite_server.client() as client:
        r = client.get(f"/v1/cases/{case_id}")
        assert r.status_code in (404, 422), r.text
        _no_trace(r)


def test_oversized_bodies_are_refused(sqlite_server: Server) -> None:
    big = {"case": {**HILVERSUM, "facts": {"blob": "x" * 30_000}}, "as_of": AS_OF}
    with sqlite_server.client() as client:
        r = client.post("/v1/packs/hilversum/evaluate", json=big)
        assert r.status_code == 413
        _no_trace(r)

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit still holds
            yield b'{"facts": {"blob": "'
            for _ in range(100):
                yield b"y" * 1000
            yield b'"}}'

        r = client.post(
            "/v1/packs/hilversum/check/intake",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 413
        # a declared length past the limit is refused before any of the body is read
        host, port = sqlite_server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/packs/hilversum/check/intake HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
                b"Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{"
            )
            assert sock.recv(200).startswith(b"HTTP/1.1 413")
        # the limit is not a reason to refuse normal requests
        assert client.post(
            "/v1/packs/hilversum/evaluate", json={"case": HILVERSUM, "as_of": AS_OF}
        ).is_success


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"{not json", None),
        (
            {
                "case": {
                    "id": "x",
                    "events": [{"type": "case_registered", "at": "2024-03-11T18:00"}],
                },
                "as_of": AS_OF,
            },
            "case.events[0].at",
        ),
        (
            {
                "case": {"id": "x", "events": [{"type": "case_registred", "at": "2024-03-11"}]},
                "as_of": AS_OF,
            },
            "case.events[0]",
        ),
        ({"case": {"id": "x"}, "as_of": "tomorrow"}, "as_of"),
        ({"case": {"id": "x"}, "as_of": AS_OF, "extra": 1}, "extra"),
        ({"as_of": AS_OF}, "case"),
    ],
)
def test_bad_input_gets_located_problems(
    sqlite_server: Server, body: object, path: str | None
) -> None:
    with sqlite_server.client() as client:
        if isinstance(body, bytes):
            r = client.post(
                "/v1/packs/hilversum/evaluate",
                content=body,
                headers={"content-type": "application/json"},
            )
        else:
            r = client.post("/v1/packs/hilversum/evaluate", json=body)
    assert r.status_code == 422, r.text
    _no_trace(r)
    problems = r.json()["error"]["problems"]
    assert problems and all({"code", "path", "message", "hint"} <= set(p) for p in problems)
    if path is not None:
        assert path in [p["path"] for p in problems], problems
    if path == "case.events[0]":
        assert "unknown event type 'case_registred'" in problems[0]["message"]


def test_unknown_routes_and_methods(sqlite_server: Server, serve: Callable[..., Server]) -> None:
    with sqlite_server.client() as client:
        for r in (client.get("/nope"), client.delete("/v1/packs"), client.get("/docs")):
            assert r.status_code in (404, 405)
            _no_trace(r)
