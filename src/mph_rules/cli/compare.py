"""`mph-rules compare PACK PACK...`: covenants side by side where they differ.

Topics: intake criteria, retention periods and anchors, information duties with their
exceptions, rights deadlines, who may see police data, categories never recorded. By default
only what differs (``--all`` for everything), grouped by topic; as terminal tables, Markdown
for a drafting memo, HTML, or JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
from typing import Any

from mph_rules import render
from mph_rules.analysis import compare_packs
from mph_rules.cli.common import add_lang_argument
from mph_rules.errors import PackError, Problem
from mph_rules.loading import load_pack
from mph_rules.render.i18n import language


def add_parser(sub: Any) -> None:
    p = sub.add_parser("compare", help="compare covenants side by side")
    p.add_argument("packs", nargs="+", metavar="PACK", help="two or more pack names or paths")
    p.add_argument("--format", choices=("text", "markdown", "html", "json"), default="text")
    p.add_argument(
        "--all", action="store_true", help="also show rows where every pack says the same"
    )
    p.add_argument("--width", type=int, default=None, help="table width (default: terminal)")
    add_lang_argument(p)


def run(args: argparse.Namespace) -> int:
    if len(args.packs) < 2:
        raise PackError([Problem("compare needs at least two packs", code="MPH-A006")])
    packs = [load_pack(name) for name in args.packs]
    lang = language(args.lang, packs[0])
    comparison = compare_packs(packs, lang=lang)
    if args.format == "json":
        print(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print(render.markdown.compare(comparison, show_all=args.all, lang=lang))
    elif args.format == "html":
        print(render.html.compare(comparison, show_all=args.all, lang=lang), end="")
    else:
        width = args.width or shutil.get_terminal_size((120, 40)).columns
        print(render.text.compare(comparison, width=width, show_all=args.all, lang=lang))
    return 0
