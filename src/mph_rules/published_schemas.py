"""The published JSON Schemas of what a case system exchanges with mph-rules.

``mph_rules/case.schema.json`` describes the case input (facts, subjects, events, each core
event's payload); ``mph_rules/decision.schema.json`` describes ``CaseDecision.to_json()``.
Both are generated from the models themselves (the pydantic ``Case`` and the decision
dataclasses), so a new field is a regeneration, never a hand edit; a test checks that the
shipped files are current and that real decisions of every bundled pack validate.

Regenerate after a model change: ``python -m mph_rules.published_schemas --write``.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from mph_rules.decision import (
    SCHEMA_VERSION,
    CaseDecision,
    Consequences,
    DueItems,
    IntakeVerdict,
    Verdict,
)
from mph_rules.events import CORE_EVENTS, Case

HERE = Path(__file__).parent
DECISION_FILE = HERE / "decision.schema.json"
CASE_FILE = HERE / "case.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Every result type a client may receive, by its schema name.
RESULTS: dict[str, Any] = {
    "CaseDecision": CaseDecision,
    "Consequences": Consequences,
    "DueItems": DueItems,
    "Verdict": Verdict,
    "IntakeVerdict": IntakeVerdict,
}


def _closed(schema: dict[str, Any]) -> None:
    """Output objects always carry every field and nothing else: say so in the schema."""
    for node in [schema, *schema.get("$defs", {}).values()]:
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False


def result_schemas(ref_template: str = "#/$defs/{model}") -> dict[str, dict[str, Any]]:
    """The JSON Schema of each result type, with ``$defs`` shared by name."""
    defs: dict[str, Any] = {}
    for name, cls in RESULTS.items():
        schema = TypeAdapter(cls).json_schema(mode="serialization", ref_template=ref_template)
        _closed(schema)
        defs.update(schema.pop("$defs", {}))
        defs[name] = schema
    return defs


def decision_schema() -> dict[str, Any]:
    """The schema of ``CaseDecision.to_json()`` (a standalone document)."""
    defs = result_schemas()
    root = defs.pop("CaseDecision")
    root["properties"]["schema_version"] = {
        "const": SCHEMA_VERSION,
        "description": "version of this schema; raised when a field is renamed or removed",
        "title": "Schema Version",
    }
    wanted = _reachable(root, defs)
    return {
        "$schema": DIALECT,
        "$id": f"https://mph-rules/schemas/decision/{SCHEMA_VERSION}",
        **root,
        "$defs": {k: defs[k] for k in sorted(wanted)},
    }


def _payload_name(event_type: str) -> str:
    return "Payload_" + event_type


def case_schema(ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """The schema of a case as a case system sends it, each core event's payload typed."""
    models: list[tuple[type[BaseModel], Any]] = [(Case, "validation")]
    models += [(m, "validation") for m in dict.fromkeys(CORE_EVENTS.values())]
    _, top = models_json_schema(models, ref_template=ref_template)
    defs: dict[str, Any] = top["$defs"]
    event = defs["Event"]
    event["allOf"] = [
        {
            "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
            "then": {
                "properties": {"payload": {"$ref": ref_template.format(model=model.__name__)}}
            },
        }
        for name, model in CORE_EVENTS.items()
    ]
    event["properties"]["type"]["description"] = (
        "a core event (" + ", ".join(CORE_EVENTS) + ") or '<pack id>.<name>'"
    )
    root = defs.pop("Case")
    return {"$schema": DIALECT, "$id": "https://mph-rules/schemas/case/1", **root, "$defs": defs}


def _reachable(root: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        for ref in _refs(node):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen and name in defs:
                seen.add(name)
                todo.append(defs[name])
    return seen


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        for value in node.values():
            out += _refs(value)
        return out
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def openapi_components() -> dict[str, Any]:
    """Result and case schemas for an OpenAPI document's ``components.schemas``."""
    template = "#/components/schemas/{model}"
    out = result_schemas(template)
    case = copy.deepcopy(case_schema(template))
    for key in ("$schema", "$id"):
        case.pop(key)
    out.update(case.pop("$defs"))
    out["Case"] = case
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def files() -> dict[Path, str]:
    return {DECISION_FILE: render(decision_schema()), CASE_FILE: render(case_schema())}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    stale = [p for p, text in files().items() if not p.exists() or p.read_text("utf-8") != text]
    if "--write" in args:
        for path, text in files().items():
            path.write_text(text, encoding="utf-8")
        return 0
    for path in stale:
        print(f"{path.name} is out of date: python -m mph_rules.published_schemas --write")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
