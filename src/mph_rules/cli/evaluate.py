"""`mph-rules evaluate`: the decision on a case, for a person (text, html, markdown) or a
machine (json)."""

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
    p = sub.add_parser("evaluate", help="evaluate a case and print the decision")
    add_pack_argument(p)
    p.add_argument("case", metavar="CASE", help="case file (.yaml or .json)")
    p.add_argument("--as-of", required=True, type=str, help="date or moment of evaluation")
    p.add_argument("--format", choices=("text", "json", "html", "markdown"), default="text")
    add_setting_argument(p)
    add_lang_argument(p)


def run(args: argparse.Namespace) -> int:
    when = as_of(args.as_of)
    engine = Engine(load_pack(args.pack), settings=settings(args.setting))
    decision = engine.evaluate(load_case(args.case), as_of=when)
    if args.format == "json":
        print(decision.to_json())
    elif args.format == "markdown":
        print(render.markdown.decision(decision, engine.pack, lang=args.lang), end="")
    elif args.format == "html":
        print(render.html.decision(decision, engine.pack, lang=args.lang), end="")
    else:
        print(render.text.decision(decision, engine.pack, lang=args.lang))
    return 0
