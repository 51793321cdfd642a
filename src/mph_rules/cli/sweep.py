"""`mph-rules sweep`: every deletion, notification and process deadline due by a date, across
a whole case store, on a Dask cluster (a local one unless ``--scheduler`` names one).

The store is a folder of JSON Lines files (one case per line); without ``--pack`` each
subfolder is named after the pack its cases fall under (``store/hilversum/*.jsonl``). The
output is one JSON line per case with something due, each item with its article, and a
summary a person can read. Malformed lines are reported with file and line and the sweep goes
on; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from mph_rules.cli.common import add_setting_argument, as_of, settings
from mph_rules.errors import MphRulesError, Problem

KINDS = (
    ("deletion", "Deletions due"),
    ("notification", "Notifications overdue or due"),
    ("deadline", "Process deadlines overdue or due"),
    ("record", "Records to write, overdue or due"),
)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "sweep",
        help="what is due by a date across a case store (Dask; local cluster by default)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--cases", required=True, metavar="DIR", help="folder of .jsonl partitions")
    p.add_argument("--as-of", required=True, help="the day (or moment with offset) of the sweep")
    p.add_argument(
        "--pack",
        help="bundled pack name or path; without it each subfolder of DIR is named after a pack",
    )
    add_setting_argument(p)
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask scheduler, e.g. tcp://host:8786 (default: DASK_SCHEDULER_ADDRESS; "
        "without either, a local cluster)",
    )
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of the local cluster (default: one per core)",
    )
    p.add_argument("--memory-limit", default="auto", help="per local worker, e.g. 1GiB")
    p.add_argument(
        "--format",
        choices=("text", "jsonl"),
        default="text",
        help="stdout: a readable summary (text) or one JSON line per case (jsonl)",
    )
    p.add_argument("--jsonl", metavar="FILE", help="also write the JSON Lines here")
    p.add_argument(
        "--out-dir",
        metavar="DIR",
        help="workers write <partition>.due.jsonl here instead of sending cases back",
    )
    p.add_argument(
        "--list",
        type=int,
        default=20,
        metavar="N",
        help="cases listed in the text summary (default 20)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )


def _stores(args: argparse.Namespace) -> list[tuple[str, Path]]:
    root = Path(args.cases)
    if not root.is_dir():
        raise MphRulesError(
            [Problem("--cases: expected a folder of .jsonl files", str(root), code="MPH-A007")]
        )
    if args.pack:
        return [(args.pack, root)]
    stores = [(d.name, d) for d in sorted(root.iterdir()) if d.is_dir()]
    if not stores:
        raise MphRulesError(
            [
                Problem(
                    "no pack given and no pack subfolders",
                    str(root),
                    hint="give --pack, or lay out the store as DIR/<pack>/*.jsonl",
                    code="MPH-A007",
                )
            ]
        )
    return stores


def run(args: argparse.Namespace) -> int:
    try:
        from mph_rules import distributed as dd
        from mph_rules.batch import PackSpec
    except ImportError as exc:
        raise MphRulesError(
            [
                Problem(
                    f"the sweep needs Dask ({exc.name} is missing)",
                    hint="pip install 'mph-rules[dask]'",
                    code="MPH-S001",
                )
            ]
        ) from None
    when = as_of(args.as_of)
    if args.workers is not None and args.workers < 1:
        raise MphRulesError([Problem("--workers: expected at least 1", code="MPH-A005")])
    overrides = settings(args.setting)
    plan = [(PackSpec.of(name, overrides), dd.partitions(folder)) for name, folder in _stores(args)]
    if args.out_dir:
        Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    try:
        texts, problems = _sweep(args, dd, plan, when)
    except MphRulesError:
        raise
    except Exception as exc:  # the cluster, a worker or a file: a message, not a traceback
        raise MphRulesError([_cluster_problem(exc)]) from None
    text = "\n\n".join(texts)
    print(text, file=sys.stderr if args.format == "jsonl" else sys.stdout)
    return 1 if problems else 0


def _sweep(
    args: argparse.Namespace, dd: Any, plan: list[tuple[Any, list[Path]]], when: Any
) -> tuple[list[str], int]:
    texts: list[str] = []
    problems = 0
    with contextlib.ExitStack() as stack:
        jsonl: list[TextIO] = []
        if args.format == "jsonl":
            jsonl.append(sys.stdout)
        if args.jsonl:
            jsonl.append(stack.enter_context(Path(args.jsonl).open("w", encoding="utf-8")))
        client = stack.enter_context(dd.connect(args.scheduler, args.workers, args.memory_limit))
        for spec, paths in plan:
            bar = dd.Progress(len(paths), enabled=args.progress)
            report, located = dd.sweep(
                client, spec, paths, when, out_dir=args.out_dir, on_result=bar.update
            )
            for record in dd.records(located, report.problems, report.pack_id):
                line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
                for out in jsonl:
                    out.write(line)
            texts.append(render(report, located, args.list, written_to=args.out_dir))
            problems += len(report.problems)
    return texts, problems


def _cluster_problem(exc: Exception) -> Problem:
    text = str(exc) or type(exc).__name__
    if "No module named 'mph_rules'" in text:
        hint = "install mph-rules[dask], the client's version, on every worker"
    elif isinstance(exc, OSError | TimeoutError):
        hint = "is the scheduler running at that address, and the store readable?"
    else:
        hint = None
    return Problem(f"the sweep failed: {type(exc).__name__}: {text}", hint=hint, code="MPH-S003")


def _about(item: Any) -> str:
    return f" (subject {item.subject})" if item.subject else ""


def _when(item: Any) -> str:
    if item.kind == "deletion":
        return f"since {item.due}" + (" (on hold)" if item.status == "held" else "")
    return f"overdue since {item.due}" if item.status == "overdue" else f"due {item.due}"


def render(report: Any, located: Sequence[Any], limit: int, written_to: str | None = None) -> str:
    """The sweep for a person: totals, what is due by rule and article, the first cases, and
    every line that could not be evaluated."""
    rate = report.cases / report.seconds if report.seconds else 0.0
    by_kind = {kind: 0 for kind, _ in KINDS}
    for (kind, _, _), n in report.tally.items():
        by_kind[kind] = by_kind.get(kind, 0) + n
    day = report.as_of.isoformat() if isinstance(report.as_of, dt.date) else str(report.as_of)
    out = [
        f"Retention sweep as of {day}: {report.pack_id} {report.pack_version} "
        f"({report.content_hash[:19]}...)",
        f"  {report.cases:,} cases in {report.partitions} partitions on {report.workers} "
        f"workers, {report.seconds:.1f} s ({rate:,.0f} cases/s)",
        f"  {report.cases_due:,} cases with something due: {by_kind['deletion']:,} deletions, "
        f"{by_kind['notification']:,} notifications, {by_kind['deadline']:,} process deadlines"
        + (f", {by_kind['record']:,} records" if by_kind["record"] else ""),
    ]
    for kind, title in KINDS:
        rows = sorted(
            ((n, rule, source) for (k, rule, source), n in report.tally.items() if k == kind),
            key=lambda r: (-r[0], str(r[1])),
        )
        if kind == "record" and not rows:
            continue  # packs without record duties: no empty section
        out += ["", title]
        out += [
            f"  {n:>8,}  {rule or '-'}  [{source or 'no article given'}]"
            for n, rule, source in rows
        ] or ["  none"]
    if written_to:
        out += ["", f"Per case: {written_to}/<partition>.due.jsonl"]
    elif located:
        shown = located[:limit]
        out += ["", f"Cases ({len(shown)} of {len(located):,}; every one in the JSON Lines)"]
        for item in shown:
            s = item.summary
            out.append(f"  {s.case_id} ({s.phase})  {Path(item.file).name}:{item.line}")
            out += [
                f"    {d.kind} {d.id}{_about(d)} {_when(d)}  [{d.source or 'no article given'}]"
                for d in s.due
            ]
    if report.problems:
        out += ["", f"{len(report.problems):,} lines could not be evaluated (the sweep went on)"]
        out += [f"  {p}" for p in report.problems]
    return "\n".join(out)
