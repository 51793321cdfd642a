"""The JSON Schema of a pack as shipped for editors (``mph_rules/pack.schema.json``).

Generated from the pydantic models, whose fields carry their descriptions and examples (the
condition models' docs are in the table below until they move onto their fields), so that an
editor (VS Code with the YAML extension, ``# yaml-language-server: $schema=...``) shows help
and completion on every key. A test
checks that the shipped file equals what this module generates.

Regenerate after a model change: ``python -m mph_rules.pack_schema --write``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mph_rules.schema import PACK_SCHEMA_VERSION, Pack

SCHEMA_FILE = Path(__file__).parent / "pack.schema.json"


# Field docs of the condition models, which live in ``conditions`` (being reshaped into one
# node type per operator); every pack model in ``schema/`` carries its docs on its fields.
SPECIFIC: dict[str, tuple[str, list[Any]]] = {
    # conditions
    "AllOf.all": (
        "Holds when every condition holds.",
        [[{"field": "payload.necessary", "equals": True}, {"consent": "special_data"}]],
    ),
    "AnyOf.any": (
        "Holds when at least one condition holds.",
        [[{"occurred": "household_heard"}, {"occurred": "hearing_waived"}]],
    ),
    "Not.not": ("Holds when the condition does not.", [{"consent": "special_data"}]),
    "FieldTest.field": (
        "Path of the value tested: payload., facts., actor., subject., request. or settings.",
        ["payload.outcome", "facts.life_domains"],
    ),
    "FieldTest.equals": ("The value equals this.", ["accepted", True]),
    "FieldTest.in": ("The value is one of these.", [["declined", "referred_to_regular_care"]]),
    "FieldTest.at_least": ("A number at least this.", [12]),
    "FieldTest.at_most": ("A number at most this.", [16]),
    "FieldTest.count_at_least": (
        "A list with at least this many items (or a number at least this).",
        [3],
    ),
    "FieldTest.contains": ("A list that contains this value.", ["expert_team_member"]),
    "FieldTest.contains_any": (
        "A list that contains one of these values.",
        [["police_identity", "police_incidents"]],
    ),
    "FieldTest.present": ("true: the value is given; false: it is absent.", [True]),
    "FieldTest.equals_field": (
        "v2: the value equals the value of this other field (numbers or ISO dates).",
        ["facts.registered_on"],
    ),
    "FieldTest.at_least_field": (
        "v2: the value is at least (a date: on or after) the value of this other field.",
        ["payload.received_on"],
    ),
    "FieldTest.at_most_field": (
        "v2: the value is at most (a date: on or before) the value of this other field.",
        ["payload.expected_until"],
    ),
    "Occurred.since": (
        "v2: only events after the latest earlier event of this type count (all, if none).",
        ["plan_established"],
    ),
    "Occurred.occurred": ("An earlier allowed event of this type happened.", ["household_heard"]),
    "Occurred.where": (
        "Only earlier events for which this holds count.",
        [{"field": "payload.ground", "in": ["pr8_state_security"]}],
    ),
    "ConsentGiven.consent": (
        "Consent with this scope was given and not withdrawn.",
        ["special_data"],
    ),
}

_ENUMS: dict[str, str] = {
    "Action": "read: reading the case file (file_accessed); write: recording in it "
    "(data_recorded).",
    "Effect": "allow or deny; an applicable deny wins over an allow.",
    "DocumentKind": "What sort of document a source is.",
    "PartyType": "Type of organisation; roles and legal bases are bound to party types.",
    "RightKind": "A data-subject right (AVG art. 15-21, and the covenant's own statement right).",
}


def build_pack_schema() -> dict[str, Any]:
    """The pack's JSON Schema with a description and examples on every property."""
    schema: dict[str, Any] = Pack.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mph-rules policy pack"
    schema["x-schema-version"] = PACK_SCHEMA_VERSION
    schema["description"] = (
        "A Dutch multi-problem-household data-sharing covenant as executable policy "
        "(docs/pack-format.md)."
    )
    _document("Pack", schema)
    for name, node in schema.get("$defs", {}).items():
        _document(name, node)
        if "enum" in node and "description" not in node and name in _ENUMS:
            node["description"] = _ENUMS[name]
    return schema


def _document(model: str, node: dict[str, Any]) -> None:
    for prop, sub in node.get("properties", {}).items():
        specific = SPECIFIC.get(f"{model}.{prop}")
        if specific is None:
            continue
        description, examples = specific
        if "description" not in sub and description:
            sub["description"] = description
        if "examples" not in sub and examples:
            sub["examples"] = examples


def undocumented(schema: dict[str, Any]) -> list[str]:
    """Properties that lack a description or examples (the test wants none)."""
    out = []
    nodes = [("Pack", schema), *schema.get("$defs", {}).items()]
    for model, node in nodes:
        for prop, sub in node.get("properties", {}).items():
            for key in ("description", "examples"):
                if key not in sub:
                    out.append(f"{model}.{prop}: no {key}")
    return out


def render() -> str:
    return json.dumps(build_pack_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--write"]:
        SCHEMA_FILE.write_text(render(), encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
        return 0
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
