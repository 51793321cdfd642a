"""Example cases of every bundled pack, and posting them to a live service."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx

from mph_rules import Engine, load_case

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-06-01"


def example_cases() -> list[tuple[str, dict[str, Any]]]:
    """(pack, case as JSON) for every example of every bundled pack."""
    out = []
    for pack in ("hilversum", "mda_plus", "nieuwegein", "nijmegen", "zvh_midden_nl"):
        for path in sorted((ROOT / "examples" / pack).glob("*.yaml")):
            out.append((pack, load_case(path).model_dump(mode="json")))
    return out


def first_body(pack: str, case: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    return {
        "expected_version": 0,
        "pack": pack,
        "facts": case["facts"],
        "subjects": case["subjects"],
        "event": event,
    }


def post_case(client: httpx.Client, pack: str, case: dict[str, Any]) -> list[str]:
    """Post every event of ``case`` in order; the answers' bodies."""
    answers = []
    for i, event in enumerate(case["events"]):
        body = first_body(pack, case, event) if i == 0 else {"expected_version": i, "event": event}
        r = client.post(f"/v1/cases/{case['id']}/events", json=body)
        assert r.status_code == 200, r.text
        answers.append(r.text)
    return answers


def replayed_answers(engine: Engine, case: dict[str, Any]) -> list[str]:
    """What a fresh in-process session answers to the same events, as the service words it."""
    session = engine.session(case["id"], facts=case["facts"], subjects=case["subjects"])
    out = []
    for i, event in enumerate(case["events"], start=1):
        body = {"case_id": case["id"], "version": i, "consequences": session.post(event).to_dict()}
        out.append(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    return out


def as_of(text: str = AS_OF) -> dt.date:
    return dt.date.fromisoformat(text)
