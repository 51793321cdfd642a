"""`mph-rules schema`: the JSON Schema of a pack, for editors and validators.

The same document is shipped as ``mph_rules/pack.schema.json`` (see docs/authoring.md for the
``# yaml-language-server: $schema=...`` line).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mph_rules.pack_schema import render


def add_parser(sub: Any) -> None:
    sub.add_parser("schema", help="print the JSON Schema of a pack")


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(render())
    return 0
