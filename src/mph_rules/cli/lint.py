"""`mph-rules lint PACK...`: static checks beyond schema validity, and the access matrix.

Exit 0 when no pack has an error (with ``--strict``: no warning either), 1 otherwise, 2 when a
pack does not load at all (``mph-rules validate`` tells why).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from mph_rules.analysis import CHECKS, AccessMatrix, CellVerdict, LintReport, lint_pack
from mph_rules.loading import load_pack

SYMBOL = {
    CellVerdict.ALLOW: "A",
    CellVerdict.CONDITIONAL: "?",
    CellVerdict.DENY: "x",
    CellVerdict.DEFAULT_DENY: ".",
}


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
    p.add_argument("--list-checks", action="store_true", help="list the checks and exit")


def run(args: argparse.Namespace) -> int:
    if args.list_checks:
        for check in CHECKS.values():
            print(f"{check.code:32} {check.severity.value:8} {check.summary}")
        return 0
    reports = [lint_pack(load_pack(name)) for name in args.packs]
    if args.format == "json":
        data = [r.to_dict() for r in reports]
        if not args.matrix:
            for item in data:
                item["access_matrix"] = {
                    k: v for k, v in item["access_matrix"].items() if k != "cells"
                }
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for report in reports:
            print(render(report, matrix=args.matrix, show_suppressed=args.show_suppressed))
    return 1 if any(r.failed(strict=args.strict) for r in reports) else 0


def render(report: LintReport, *, matrix: bool = False, show_suppressed: bool = False) -> str:
    out = [str(f) for f in report.findings]
    if show_suppressed:
        out += [f"(suppressed) {f}" for f in report.suppressed]
    counts = report.matrix.counts()
    total = len(report.matrix.cells)
    out.append(
        f"{report.pack}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        + (f", {len(report.suppressed)} suppressed" if report.suppressed else "")
    )
    out.append(
        f"  access matrix: {total} cells (role x category x phase x read/write): "
        f"{counts['allow']} allowed, {counts['conditional']} conditional, "
        f"{counts['deny']} denied by a rule, {counts['default_deny']} default deny; "
        f"{counts['allow_without_legal_basis']} allowed cells without a legal basis"
    )
    if matrix:
        out.append(render_matrix(report.matrix))
    elif total:
        out.append("  (run with --matrix to see every cell)")
    return "\n".join(out)


def render_matrix(m: AccessMatrix) -> str:
    """One block per role: categories down, phases across, two marks per cell (read, write):
    A allowed, ? only under a condition, x denied by a rule, . default deny."""
    lines = [
        "",
        "access matrix: per cell read+write; A allowed, ? conditional, x denied by a rule, "
        ". default deny (no rule decides)",
    ]
    width = max((len(c) for c in m.categories), default=8)
    closed: list[str] = []
    for role in m.roles:
        mine = [c for c in m.cells if c.role == role]
        cells = {(c.category, c.phase, c.action): c.verdict for c in mine}
        if not any(v in (CellVerdict.ALLOW, CellVerdict.CONDITIONAL) for v in cells.values()):
            denied = [c for c in mine if c.verdict is CellVerdict.DENY]
            rules = sorted({r for c in denied for r in c.rules})
            closed.append(
                f"  {role}: {len(denied)} cells denied"
                + (f" ({', '.join(rules)})" if rules else "")
                + f", {len(mine) - len(denied)} default deny"
            )
            continue
        lines += ["", f"{role}:"]
        lines.append(" " * (width + 2) + " ".join(f"{i:>2}" for i in range(1, len(m.phases) + 1)))
        for cat in m.categories:
            marks = " ".join(
                SYMBOL[cells[(cat, ph, "read")]] + SYMBOL[cells[(cat, ph, "write")]]
                for ph in m.phases
            )
            lines.append(f"  {cat:<{width}} {marks}")
    lines.append("")
    lines.append("phases: " + ", ".join(f"{i} {p}" for i, p in enumerate(m.phases, 1)))
    if closed:
        lines.append("roles allowed nothing anywhere:")
        lines += closed
    return "\n".join(lines)
