"""`mph-rules docs PACK... --out DIR`: a readable Markdown reference for each pack.

Without ``--lang`` every language is written: the page in the pack's own language as
``DIR/<pack>.md`` (with its pictures), each other language under ``DIR/<lang>/`` (so
``docs/packs/hilversum.md`` is Dutch and ``docs/packs/en/hilversum.md`` English); the pages
link each other and share their anchors. ``--lang nl|en`` writes that one language as
``DIR/<pack>.md``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mph_rules.loading import load_pack
from mph_rules.render.i18n import LANGUAGES
from mph_rules.render.markdown import (
    EXAMPLE_EARLIER,
    EXAMPLE_TRIGGER,
    pictures,
    reference_files,
    render_reference,
)

__all__ = [
    "EXAMPLE_EARLIER",
    "EXAMPLE_TRIGGER",
    "add_parser",
    "pictures",
    "reference_files",
    "render_reference",
    "run",
]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "docs", help="write a Markdown reference for each pack, with its pictures as SVG"
    )
    p.add_argument("packs", nargs="+", metavar="PACK", help="pack names or paths")
    p.add_argument("--out", default="docs/packs", help="directory to write <pack id>.md into")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a file in --out is missing or out of date",
    )
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help="write only this language as <pack>.md (default: every language, the pack's "
        "own as <pack>.md, the others as <lang>/<pack>.md)",
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    stale = 0
    for name in args.packs:
        pack = load_pack(name)
        if args.lang is None:
            files = reference_files(pack)
        else:
            files = {
                f"{pack.pack.id}.md": render_reference(pack, lang=args.lang),
                **pictures(pack, lang=args.lang),
            }
        for file_name, text in files.items():
            target = out / file_name
            if args.check:
                current = target.read_text(encoding="utf-8") if target.exists() else None
                if current != text:
                    stale += 1
                    print(f"{target}: out of date; run `mph-rules docs {name} --out {out}`")
                else:
                    print(f"{target}: up to date")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    return 1 if stale else 0
