"""`mph-rules audit verify`: check the service's decision log (extra ``service``).

Exit 0 when the chain is whole and every stored event matches it, 1 when anything was
edited, removed, added or reordered (each finding printed), 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from mph_rules.errors import MphRulesError, Problem


def add_parser(actions: Any) -> None:
    p = actions.add_parser("verify", help="check the decision service's chained decision log")
    p.add_argument(
        "--database", required=True, help="the service's database (sqlite:///FILE or postgresql://)"
    )
    p.add_argument(
        "--expect-head",
        default=None,
        metavar="SEQ:HASH",
        help="a head printed by an earlier verify: that entry must still be there, unchanged",
    )
    p.add_argument(
        "--replay",
        action="store_true",
        help="also evaluate every logged decision again and compare it byte for byte",
    )
    p.add_argument(
        "--config",
        default=None,
        help="with --replay: the service configuration naming its packs (default: bundled)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        from mph_rules.service.store import Store
        from mph_rules.service.verify import verify
    except ImportError as exc:
        raise MphRulesError(
            [
                Problem(
                    f"needs the service extra ({exc.name} is missing)",
                    hint='pip install "mph-rules[service]"',
                    code="MPH-S001",
                )
            ]
        ) from None
    expect = _head(args.expect_head) if args.expect_head else None
    store = Store(args.database)
    try:
        if store.schema_version() == 0:
            raise MphRulesError(
                [Problem("no decision log in this database", args.database, code="MPH-S002")]
            )
        report = verify(store, expect)
        if args.replay:
            from mph_rules.service.app import load_engines
            from mph_rules.service.config import ServiceConfig, load_config
            from mph_rules.service.replay import replay

            config = load_config(args.config) if args.config else ServiceConfig()
            reproduced, problems = replay(store, load_engines(config))
            report.problems += problems
    finally:
        store.close()
    print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
    if args.replay:
        print(f"replay: {reproduced} answers and decisions reproduced byte for byte")
    return 0 if report.ok else 1


def _head(text: str) -> tuple[int, str]:
    seq, sep, hash_ = text.partition(":")
    if not sep or not seq.isdigit():
        raise MphRulesError(
            [Problem(f"--expect-head: expected SEQ:HASH, found {text!r}", code="MPH-A005")]
        )
    return int(seq), hash_
