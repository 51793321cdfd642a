"""Issue 20 item 7 over real HTTP: each problem in a 4xx body carries its stable code and
``help``, the link to the code's page; ``type`` (RFC 9457) is that page when the problems
share one code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mph_rules.error_codes import CODES, DOCS_URL_ENV
from tests.service.conftest import Server
from tests.service.helpers import AS_OF

CASES = [
    # (body, the code of the problem at path, path)
    ({"case": {"id": "x"}, "as_of": AS_OF, "extra": 1}, "MPH-V001", "extra"),
    ({"as_of": AS_OF}, "MPH-V002", "case"),
    (
        {"case": {"id": "x", "events": [{"type": "case_registered", "at": "2024-03-11T18:00"}]},
         "as_of": AS_OF},
        "MPH-V006",
        "case.events[0].at",
    ),
    (
        {"case": {"id": "x", "events": [{"type": "case_registered", "at": "2024-03-11",
                                         "actor": {"role": "reportr"}}]},
         "as_of": AS_OF},
        "MPH-C002",
        "case.events[0].actor.role",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("body", "code", "path"), CASES)
def test_problems_carry_code_and_help(
    serve: Callable[..., Server],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    body: object,
    code: str,
    path: str,
) -> None:
    monkeypatch.setenv(DOCS_URL_ENV, "https://docs.example.org/mph-rules/errors")
    server = serve(f"sqlite:///{tmp_path / 'service.db'}")
    with server.client() as client:
        r = client.post("/v1/packs/hilversum/evaluate", json=body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    found = {p["path"]: p for p in error["problems"]}
    assert path in found, error
    assert found[path]["code"] == code
    assert found[path]["help"] == f"https://docs.example.org/mph-rules/errors/{code}.md"
    assert all(p["code"] in CODES for p in error["problems"])
    if len({p["code"] for p in error["problems"]}) == 1:
        assert error["type"] == found[path]["help"]
    else:
        assert error["type"] == "about:blank"


def test_errors_without_problems_have_a_blank_type(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    server = serve(f"sqlite:///{tmp_path / 'service.db'}")
    with server.client(token=None) as client:
        r = client.get("/v1/packs")
    assert r.status_code == 401
    assert r.json()["error"]["type"] == "about:blank"


def test_a_posted_events_problem_is_placed_in_the_body(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    server = serve(f"sqlite:///{tmp_path / 'service.db'}")
    body = {
        "expected_version": 0,
        "pack": "hilversum",
        "facts": {},
        "subjects": [{"id": "parent"}],
        "event": {
            "type": "case_registered",
            "at": "2024-03-11T18:00:00+01:00",
            "actor": {"role": "reportr"},
            "subjects": ["child"],
        },
    }
    with server.client() as client:
        r = client.post("/v1/cases/hv-1/events", json=body)
        assert r.status_code == 422, r.text
        problems = {p["path"]: p["code"] for p in r.json()["error"]["problems"]}
        assert problems == {"event.actor.role": "MPH-C002", "event.subjects[0]": "MPH-C003"}
        assert client.get("/v1/cases/hv-1").status_code == 404  # nothing stored
