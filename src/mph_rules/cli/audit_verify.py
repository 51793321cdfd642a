"""`mph-rules audit verify`: check the service's decision log (extra ``service``).

Exit 0 when the chain is whole and every stored event matches it, 1 when anything was
edited, removed, added or reordered (each finding printed), 2 on bad input. A keyed (HMAC)
log is verified with its key, from ``--key-file`` or the environment
(``$MPH_RULES_LOG_KEY_FILE``, ``$MPH_RULES_LOG_KEY``), never from an argument.
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
        "--key-file",
        default=None,
        metavar="FILE",
        help="the decision log's HMAC key (default: $MPH_RULES_LOG_KEY_FILE or "
        "$MPH_RULES_LOG_KEY); with a key every entry must be keyed and match",
    )
    p.add_argument(
        "--keyed-from",
        type=int,
        default=1,
        metavar="SEQ",
        help="with a key: the entry from which the log is keyed (the service logs it when "
        "it starts with a key on an unkeyed log); entries before it may be plain",
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
        from mph_rules.service.chain import is_keyed
        from mph_rules.service.logkey import KEY_ENV, KEY_FILE_ENV, log_key
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
    key = log_key(args.key_file)
    store = Store(args.database)
    try:
        if store.schema_version() == 0:
            raise MphRulesError(
                [Problem("no decision log in this database", args.database, code="MPH-S002")]
            )
        if key is None and is_keyed(store.head()[1]):
            raise MphRulesError(
                [
                    Problem(
                        "the decision log is keyed (HMAC): verifying it needs its key",
                        args.database,
                        hint=f"--key-file FILE, or set ${KEY_FILE_ENV} or ${KEY_ENV}",
                        code="MPH-S004",
                    )
                ]
            )
        report = verify(store, expect, key=key, keyed_from=args.keyed_from)
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
