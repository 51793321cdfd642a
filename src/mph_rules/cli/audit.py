"""`mph-rules audit record|replay`: store a decision with its input; reproduce it later.

``record`` prints an audit record (JSON: the case, as_of and the decision, which names the
pack id, version, content hash, engine version and settings). ``replay`` evaluates a stored
record again against a pack and exits 0 when the decision is reproduced exactly, 1 when it is
not (printing each difference, e.g. a changed content hash), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mph_rules.cli import audit_verify
from mph_rules.cli.common import add_pack_argument, add_setting_argument, as_of, settings
from mph_rules.engine import Engine
from mph_rules.errors import EventError, Problem
from mph_rules.loading import load_case, load_pack
from mph_rules.testing import audit
from mph_rules.yamlread import MAX_BYTES


def add_parser(sub: Any) -> None:
    p = sub.add_parser("audit", help="record a decision with its input, or replay a record")
    actions = p.add_subparsers(dest="audit_action", required=True, metavar="ACTION")
    rec = actions.add_parser("record", help="evaluate a case and print the audit record (JSON)")
    add_pack_argument(rec)
    rec.add_argument("case", metavar="CASE", help="case file (.yaml or .json)")
    rec.add_argument("--as-of", required=True, help="date or moment of evaluation")
    add_setting_argument(rec)
    rep = actions.add_parser("replay", help="evaluate a record again and compare")
    add_pack_argument(rep)
    rep.add_argument("record", metavar="RECORD", help="audit record written by `audit record`")
    audit_verify.add_parser(actions)


def run(args: argparse.Namespace) -> int:
    if args.audit_action == "verify":
        return audit_verify.run(args)
    if args.audit_action == "record":
        engine = Engine(load_pack(args.pack), settings=settings(args.setting))
        rec = audit.record(engine, load_case(args.case), as_of(args.as_of))
        print(audit.dumps(rec))
        return 0
    result = audit.replay(_read_record(args.record), args.pack)
    print(result.summary(), file=sys.stdout if result.reproduced else sys.stderr)
    return 0 if result.reproduced else 1


def _read_record(path: str) -> dict[str, Any]:
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise EventError(
            [Problem(f"cannot read record: {exc.strerror}", path, code="MPH-Y001")]
        ) from None
    if len(raw) > MAX_BYTES:
        raise EventError(
            [Problem(f"record is larger than {MAX_BYTES} bytes", path, code="MPH-Y002")]
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventError(
            [Problem(f"not an audit record (JSON): {exc}", path, code="MPH-T002")]
        ) from None
    if not isinstance(data, dict):
        raise EventError(
            [Problem("not an audit record: expected a JSON object", path, code="MPH-T002")]
        )
    return data
