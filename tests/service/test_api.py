"""The stateless routes answer exactly what the library answers, and the OpenAPI document
carries the published schemas."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from mph_rules import Engine
from mph_rules.decision import SCHEMA_VERSION
from mph_rules.published_schemas import openapi_components
from tests.service.conftest import Server, start_server
from tests.service.helpers import AS_OF, as_of, example_cases

jsonschema = pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, engines: dict[str, Engine]) -> Iterator[Server]:
    db = tmp_path_factory.mktemp("api") / "service.db"
    server = start_server(f"sqlite:///{db}", engines, playground=True)
    yield server
    server.stop()


@pytest.mark.parametrize(("pack", "case"), example_cases()[::3])
def test_evaluate_is_the_library_byte_for_byte(
    api: Server, engines: dict[str, Engine], pack: str, case: dict[str, object]
) -> None:
    with api.client() as client:
        r = client.post(f"/v1/packs/{pack}/evaluate", json={"case": case, "as_of": AS_OF})
    assert r.status_code == 200
    assert r.text == engines[pack].evaluate(case, as_of=as_of()).to_json(indent=None)
    assert r.json()["schema_version"] == SCHEMA_VERSION


def test_point_checks_are_the_library(api: Server, engines: dict[str, Engine]) -> None:
    engine = engines["hilversum"]
    with api.client() as client:
        r = client.post(
            "/v1/packs/hilversum/check/access",
            json={"role": "triagist", "category": "household_identity", "phase": "triage"},
        )
        want = engine.check_access("triagist", "household_identity", phase="triage")
        assert r.text == want.to_json(indent=None)
        query = {
            "from_role": "partner",
            "to_role": "triagist",
            "categories": ["partner_screening_info"],
            "phase": "triage",
            "payload": {"necessary": True},
        }
        r = client.post("/v1/packs/hilversum/check/sharing", json=query)
        want = engine.check_sharing(
            "partner",
            "triagist",
            ["partner_screening_info"],
            phase="triage",
            payload={"necessary": True},
        )
        assert r.text == want.to_json(indent=None)
        facts = {"life_domains": ["finances", "housing", "family"]}
        r = client.post("/v1/packs/hilversum/check/intake", json={"facts": facts})
        assert r.text == engine.check_intake(facts).to_json(indent=None)
        r = client.post(
            "/v1/packs/hilversum/check/access",
            json={"role": "triagist", "category": "no_such_category", "phase": "triage"},
        )
        assert r.status_code == 422 and r.json()["error"]["problems"]


def test_openapi_carries_the_published_schemas(api: Server) -> None:
    spec = api.client().get("/openapi.json").json()
    components = spec["components"]["schemas"]
    for name, schema in openapi_components().items():
        assert components[name] == schema, name
    paths = spec["paths"]
    for path in (
        "/v1/packs/{pack}/evaluate",
        "/v1/cases/{case_id}/events",
        "/v1/cases/{case_id}/decision",
        "/v1/due",
        "/health",
        "/ready",
    ):
        assert path in paths
    ok = paths["/v1/cases/{case_id}/decision"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CaseDecision"
    }
    # a real answer validates against the document's own schema
    pack, case = example_cases()[0]
    decision = api.client().post(f"/v1/packs/{pack}/evaluate", json={"case": case, "as_of": AS_OF})
    schema = {**components["CaseDecision"], "components": {"schemas": components}}
    jsonschema.Draft202012Validator(schema).validate(decision.json())
    assert json.dumps(spec)  # serialisable


def test_playground_is_mounted_only_when_installed(api: Server) -> None:
    try:
        import mph_rules.playground as playground  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        assert api.client().get("/playground/").status_code == 404
    else:
        assert api.client().get("/playground/").status_code != 404
