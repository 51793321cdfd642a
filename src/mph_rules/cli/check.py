"""`mph-rules check access|sharing|intake`: one point question to a pack, answered with the
rules that decide it and their articles (as ``opa eval`` or ``cedar authorize`` do).

Exit 0 when allowed (eligible), 1 when denied (not eligible), 2 on bad input; a misspelt
role, category or phase gets a "did you mean".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mph_rules import render
from mph_rules.cli.common import add_lang_argument, add_setting_argument, settings
from mph_rules.engine import Engine
from mph_rules.errors import EventError, Problem
from mph_rules.loading import load_pack
from mph_rules.yamlread import read_yaml


def _common(p: argparse.ArgumentParser, *, phase: bool = True) -> None:
    p.add_argument("--pack", required=True, help="bundled pack name or path to a YAML file")
    if phase:
        p.add_argument(
            "--phase", default=None, help="phase of the case (required with a lifecycle)"
        )
    p.add_argument(
        "--fact",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a fact of the household (repeatable; VALUE as JSON, else text)",
    )
    p.add_argument(
        "--consent", action="append", default=[], metavar="SCOPE", help="consent given for SCOPE"
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_setting_argument(p)
    add_lang_argument(p)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("check", help="ask a pack one question: access, sharing or intake")
    kinds = p.add_subparsers(dest="check", required=True, metavar="QUESTION")
    a = kinds.add_parser("access", help="may ROLE read (or write) CATEGORY in a phase?")
    a.add_argument("role", metavar="ROLE")
    a.add_argument("category", metavar="CATEGORY")
    a.add_argument("--action", choices=("read", "write"), default="read")
    a.add_argument("--purpose", default=None, help="the purpose of the processing")
    _common(a)
    s = kinds.add_parser("sharing", help="may FROM provide CATEGORY... to TO in a phase?")
    s.add_argument("from_role", metavar="FROM")
    s.add_argument("to_role", metavar="TO")
    s.add_argument("categories", nargs="+", metavar="CATEGORY")
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="a field of the provision, e.g. basis=legal_obligation or unavoidable=true",
    )
    _common(s)
    i = kinds.add_parser("intake", help="does a household with these facts qualify?")
    i.add_argument("--facts", default=None, metavar="FILE", help="facts as a YAML/JSON mapping")
    _common(i, phase=False)


def _value(text: str) -> Any:
    """A command-line value: JSON where it parses (true, 3, ["a"]), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pairs(pairs: list[str], option: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise EventError(
                [Problem(f"{option}: expected NAME=VALUE, found {pair!r}", code="MPH-A005")]
            )
        out[key.strip()] = _value(value.strip())
    return out


def _phase(engine: Engine, given: str | None) -> str:
    phases = tuple(engine.compiled.phases)
    if given is not None:
        return given
    if len(phases) == 1:
        return phases[0]
    raise EventError(
        [
            Problem(
                "--phase is required; the pack's phases are " + ", ".join(phases), code="MPH-A006"
            )
        ]
    )


def _facts(args: argparse.Namespace) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    if getattr(args, "facts", None):
        doc, problems = read_yaml(Path(args.facts).read_bytes(), args.facts)
        if problems:
            raise EventError(problems)
        if not isinstance(doc.data, dict):
            raise EventError(
                [Problem("facts: expected a mapping", args.facts, 1, 1, code="MPH-A005")]
            )
        facts.update(doc.data)
    facts.update(_pairs(args.fact, "--fact"))
    return facts


def run(args: argparse.Namespace) -> int:
    pack = load_pack(args.pack)
    engine = Engine(pack, settings=settings(args.setting))
    facts = _facts(args)
    context = {"facts": facts, "consents": list(args.consent)}
    if args.check == "intake":
        verdict: Any = engine.check_intake(facts)
        ok = verdict.eligible
        text = render.text.intake_verdict(verdict, engine.pack, lang=args.lang)
    elif args.check == "access":
        verdict = engine.check_access(
            args.role,
            args.category,
            phase=_phase(engine, args.phase),
            action=args.action,
            purpose=args.purpose,
            context=context,
        )
        ok = verdict.allowed
        question = render.text.Words(engine.pack, args.lang).m(
            f"check.access_{args.action}", role=args.role, category=args.category
        )
        text = render.text.verdict(verdict, engine.pack, question=question, lang=args.lang)
    else:
        verdict = engine.check_sharing(
            args.from_role,
            args.to_role,
            tuple(args.categories),
            phase=_phase(engine, args.phase),
            payload=_pairs(args.set, "--set"),
            context=context,
        )
        ok = verdict.allowed
        question = render.text.Words(engine.pack, args.lang).m(
            "check.sharing",
            giver=args.from_role,
            taker=args.to_role,
            categories=", ".join(args.categories),
        )
        text = render.text.verdict(verdict, engine.pack, question=question, lang=args.lang)
    print(verdict.to_json() if args.format == "json" else text)
    return 0 if ok else 1
