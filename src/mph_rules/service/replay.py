"""Replay the store: every logged decision must come out again, byte for byte.

For each live case, its stored events are posted to a fresh session and each answer compared
with the stored one; each logged decision on the case is evaluated again from the events up
to its version and its hash compared. Each stateless entry's stored input is evaluated again.
An entry made with another pack content hash or engine version than the ones loaded now is
reported as such, not compared (a changed pack may rightly decide otherwise).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from mph_rules import __version__
from mph_rules.engine import Engine
from mph_rules.errors import MphRulesError
from mph_rules.service.cases import answer_text
from mph_rules.service.chain import digest
from mph_rules.service.store import Store


def replay(store: Store, engines: Mapping[str, Engine]) -> tuple[int, list[str]]:
    """(decisions reproduced, problems)."""
    problems: list[str] = []
    decisions: dict[str, list[dict[str, Any]]] = {}
    stateless: list[dict[str, Any]] = []
    for row in store.log_entries():
        if row["kind"] == "decision":
            decisions.setdefault(row["case_id"], []).append(row)
        elif row["kind"] not in ("event", "due"):  # due lists: inputs are case versions
            stateless.append(row)
    done = 0
    for case_id, pack_id in store.case_ids(None):
        engine = engines.get(pack_id)
        if engine is None:
            problems.append(f"case {case_id}: pack {pack_id!r} is not loaded; not replayed")
            continue
        stored = store.case(case_id)
        assert stored is not None
        facts, subjects = json.loads(stored.facts), json.loads(stored.subjects)
        session = engine.session(case_id, facts=facts, subjects=subjects)
        events = []
        for item in store.events(case_id):
            event = json.loads(item.event)
            events.append(event)
            try:
                again = answer_text(case_id, item.version, session.post(event))
            except MphRulesError as exc:
                problems.append(f"case {case_id} event {item.version}: now rejected: {exc}")
                break
            if again != item.result:
                problems.append(f"case {case_id} event {item.version}: answer differs on replay")
            else:
                done += 1
        for row in decisions.pop(case_id, []):
            if not _same_engine(row, engine, problems):
                continue
            case = {"id": case_id, "facts": facts, "subjects": subjects}
            case["events"] = events[: row["case_version"]]
            text = engine.evaluate(case, as_of=_moment(row["as_of"])).to_json(indent=None)
            if digest(text) != row["output_hash"]:
                problems.append(f"entry {row['seq']}: the decision on {case_id} differs on replay")
            else:
                done += 1
    for case_id in decisions:
        problems.append(f"case {case_id}: decisions logged but the case is not stored")
    for row in stateless:
        engine = engines.get(row["pack_id"])
        if engine is None:
            problems.append(f"entry {row['seq']}: pack {row['pack_id']!r} is not loaded")
            continue
        if not _same_engine(row, engine, problems):
            continue
        stored_input = json.loads(row["input"])
        if stored_input["settings"] != engine.ref.settings:
            problems.append(f"entry {row['seq']}: made with other settings; not replayed")
            continue
        text = _answer(row["kind"], engine, stored_input["request"])
        if digest(text) != row["output_hash"]:
            problems.append(f"entry {row['seq']}: the {row['kind']} answer differs on replay")
        else:
            done += 1
    return done, problems


def _same_engine(row: Mapping[str, Any], engine: Engine, problems: list[str]) -> bool:
    if row["pack_hash"] != engine.ref.content_hash or row["engine_version"] != __version__:
        problems.append(
            f"entry {row['seq']}: made with pack {row['pack_hash']} and engine "
            f"{row['engine_version']}, now {engine.ref.content_hash} and {__version__}"
        )
        return False
    return True


def _answer(kind: str, engine: Engine, req: dict[str, Any]) -> str:
    if kind == "evaluate":
        return engine.evaluate(req["case"], as_of=_moment(req["as_of"])).to_json(indent=None)
    if kind == "check_access":
        return engine.check_access(
            req["role"],
            req["category"],
            phase=req["phase"],
            action=req["action"],
            purpose=req["purpose"],
            context=req["context"],
        ).to_json(indent=None)
    if kind == "check_sharing":
        return engine.check_sharing(
            req["from_role"],
            req["to_role"],
            req["categories"],
            phase=req["phase"],
            payload=req["payload"],
            context=req["context"],
        ).to_json(indent=None)
    if kind == "check_intake":
        return engine.check_intake(req["facts"]).to_json(indent=None)
    raise ValueError(f"unknown log entry kind {kind!r}")


def _moment(text: str) -> dt.date:
    return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
