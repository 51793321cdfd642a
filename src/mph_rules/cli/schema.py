"""`mph-rules schema`: the JSON Schema of a pack, for editors and validators."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mph_rules.schema import Pack


def pack_json_schema() -> dict[str, Any]:
    schema: dict[str, Any] = Pack.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mph-rules policy pack"
    return schema


def add_parser(sub: Any) -> None:
    sub.add_parser("schema", help="print the JSON Schema of a pack")


def run(args: argparse.Namespace) -> int:
    print(json.dumps(pack_json_schema(), indent=2, sort_keys=True))
    return 0
