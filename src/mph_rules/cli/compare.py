"""`mph-rules compare PACK PACK...`: covenants side by side where they differ.

Rows: intake criteria, retention periods and anchors, information duties with their
exceptions, rights deadlines, who may see police data, categories never recorded. As a
terminal table or as Markdown (``--format markdown``) for a drafting memo.
"""

from __future__ import annotations

import argparse
import json
import shutil
import textwrap
from typing import Any

from mph_rules.analysis import Comparison, compare_packs
from mph_rules.errors import PackError, Problem
from mph_rules.loading import load_pack


def add_parser(sub: Any) -> None:
    p = sub.add_parser("compare", help="compare covenants side by side")
    p.add_argument("packs", nargs="+", metavar="PACK", help="two or more pack names or paths")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument(
        "--all", action="store_true", help="also show rows where every pack says the same"
    )
    p.add_argument("--width", type=int, default=None, help="table width (default: terminal)")


def run(args: argparse.Namespace) -> int:
    if len(args.packs) < 2:
        raise PackError([Problem("compare needs at least two packs")])
    comparison = compare_packs([load_pack(name) for name in args.packs])
    if args.format == "json":
        print(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        print(markdown(comparison, show_all=args.all))
    else:
        width = args.width or shutil.get_terminal_size((120, 40)).columns
        print(text(comparison, width=width, show_all=args.all))
    return 0


def _rows(c: Comparison, show_all: bool) -> list[tuple[str, str, tuple[str, ...], bool]]:
    return [(r.aspect, r.item, r.values, r.differs) for r in c.rows if show_all or r.differs]


def markdown(c: Comparison, *, show_all: bool = False) -> str:
    header = ["aspect", *(f"`{p}`" for p in c.packs)]
    lines = [
        "Compared: " + "; ".join(f"`{p}` ({t})" for p, t in zip(c.packs, c.titles, strict=True)),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for aspect, item, values, _ in _rows(c, show_all):
        cells = ["<br>".join(v.replace("|", "\\|").split("\n")) for v in values]
        lines.append(f"| **{aspect}**: {item} | " + " | ".join(cells) + " |")
    if not show_all:
        lines += ["", "Rows where every pack says the same are left out (`--all` shows them)."]
    return "\n".join(lines)


def text(c: Comparison, *, width: int = 120, show_all: bool = False) -> str:
    """A boxed grid; each pack's column wraps its lines to fit the width."""
    first = 22
    n = len(c.packs)
    col = max(20, (width - 1 - first - 3 * (n + 1)) // n)
    widths = [first] + [col] * n

    def grid_row(cells: list[str]) -> list[str]:
        wrapped = []
        for cell, w in zip(cells, widths, strict=True):
            lines: list[str] = []
            for part in cell.split("\n"):
                lines += textwrap.wrap(part, w, subsequent_indent="  ") or [""]
            wrapped.append(lines)
        height = max(len(w) for w in wrapped)
        return [
            "| "
            + " | ".join(
                (w[i] if i < len(w) else "").ljust(widths[j]) for j, w in enumerate(wrapped)
            )
            + " |"
            for i in range(height)
        ]

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [rule, *grid_row(["", *c.packs]), rule]
    for aspect, item, values, differs in _rows(c, show_all):
        label = f"{aspect}: {item}" + ("" if differs else " (same)")
        out += [*grid_row([label, *values]), rule]
    if not show_all:
        out.append("Rows where every pack says the same are left out (--all shows them).")
    return "\n".join(out)
