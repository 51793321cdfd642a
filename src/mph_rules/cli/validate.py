"""`mph-rules validate PACK...`: load each pack and report every problem."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mph_rules.errors import PackError
from mph_rules.loading import load_pack
from mph_rules.render.text import problems
from mph_rules.schema.pack import RULE_SECTIONS


def add_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="check that packs load and are consistent")
    p.add_argument("packs", nargs="+", metavar="PACK", help="pack names or paths")


def run(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.packs:
        try:
            pack = load_pack(name)
        except PackError as exc:
            failed += 1
            for line in problems(exc.problems):
                print(line, file=sys.stderr)
            continue
        rules = sum(len(getattr(pack, s)) for s in RULE_SECTIONS)
        print(
            f"{name}: ok ({pack.pack.id} {pack.pack.version}, {rules} rules, "
            f"{pack.provenance.content_hash[:19]})"
        )
    return 2 if failed else 0
