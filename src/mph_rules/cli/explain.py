"""`mph-rules explain`: the trace of a decision, readable, grouped by event."""

from __future__ import annotations

import argparse
from typing import Any

from mph_rules import render
from mph_rules.cli.common import (
    add_lang_argument,
    add_pack_argument,
    add_setting_argument,
    as_of,
    settings,
)
from mph_rules.engine import Engine
from mph_rules.loading import load_case, load_pack


def add_parser(sub: Any) -> None:
    p = sub.add_parser("explain", help="show which rules fired for a case, and why others did not")
    add_pack_argument(p)
    p.add_argument("case", metavar="CASE", help="case file (.yaml or .json)")
    p.add_argument("--as-of", required=True, type=str)
    add_setting_argument(p)
    add_lang_argument(p)


def run(args: argparse.Namespace) -> int:
    engine = Engine(load_pack(args.pack), settings=settings(args.setting))
    decision = engine.evaluate(load_case(args.case), as_of=as_of(args.as_of))
    print(render.text.trace(decision, engine.pack, lang=args.lang))
    return 0
