"""`mph-rules lint PACK...`: static checks beyond schema validity, and the access matrix.

Exit 0 when no pack has an error (with ``--strict``: no warning either), 1 otherwise, 2 when a
pack does not load at all (``mph-rules validate`` tells why).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from mph_rules import render
from mph_rules.analysis import CHECKS, lint_pack
from mph_rules.cli.common import add_lang_argument
from mph_rules.loading import load_pack


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lint", help="static checks on packs, with file:line and a fix hint")
    p.add_argument("packs", nargs="+", metavar="PACK", help="pack names or paths")
    p.add_argument("--strict", action="store_true", help="warnings fail too")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--matrix",
        action="store_true",
        help="print the whole access matrix (role x category x phase, read/write)",
    )
    p.add_argument(
        "--show-suppressed",
        action="store_true",
        help="also list findings silenced by `# mph-rules: ignore[...]` comments",
    )
    p.add_argument(
        "--lang-complete",
        action="store_true",
        help="also warn about the pack's own texts for case workers that are English plain "
        "strings in a Dutch pack (text-not-translated: write them as {nl: ..., en: ...})",
    )
    p.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    add_lang_argument(p)


def run(args: argparse.Namespace) -> int:
    if args.list_checks:
        m = render.i18n.Messages(args.lang or "nl")
        for check in CHECKS.values():
            summary = m(f"check.{check.code}") if m.has(f"check.{check.code}") else check.summary
            print(f"{check.code:32} {m('severity.' + check.severity.value):12} {summary}")
        return 0
    packs = [load_pack(name) for name in args.packs]
    reports = [lint_pack(pack, lang_complete=args.lang_complete) for pack in packs]
    if args.format == "json":
        data = [r.to_dict() for r in reports]
        if not args.matrix:
            for item in data:
                item["access_matrix"] = {
                    k: v for k, v in item["access_matrix"].items() if k != "cells"
                }
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for pack, report in zip(packs, reports, strict=True):
            lang = args.lang or pack.pack.language
            print(
                render.text.lint(
                    report, matrix=args.matrix, show_suppressed=args.show_suppressed, lang=lang
                )
            )
    return 1 if any(r.failed(strict=args.strict) for r in reports) else 0
