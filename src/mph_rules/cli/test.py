"""`mph-rules test PATH... [--coverage]`: run pack tests; report which rules they exercise.

Coverage is per pack, over the pack's own rules (those written in its file, not inherited from
a baseline): a rule is exercised when a test's decision shows it deciding something (see
``testing.packtests.exercised_by``), like ``opa test --coverage``.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mph_rules.analysis import Locator
from mph_rules.errors import PackError, Problem
from mph_rules.loading import load_pack
from mph_rules.schema import Pack
from mph_rules.schema.pack import RULE_SECTIONS
from mph_rules.testing.packtests import Outcome, _pack_path, run_paths

# Legal bases are cited by lint, not exercised by events, so coverage leaves them out.
COVERED_SECTIONS = tuple(s for s in RULE_SECTIONS if s != "legal_bases")


@dataclass(frozen=True)
class PackCoverage:
    """Which of a pack's own rules its tests exercised."""

    pack: str
    rules: tuple[str, ...]
    exercised: tuple[str, ...]
    places: dict[str, str]

    @property
    def missed(self) -> tuple[str, ...]:
        done = set(self.exercised)
        return tuple(r for r in self.rules if r not in done)

    @property
    def percent(self) -> float:
        return 100.0 * len(self.exercised) / len(self.rules) if self.rules else 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "rules": len(self.rules),
            "exercised": list(self.exercised),
            "not_exercised": [{"rule": r, "at": self.places.get(r)} for r in self.missed],
            "percent": round(self.percent, 1),
        }


def coverable_rules(pack: Pack) -> dict[str, str]:
    """The pack's own rules that a test can exercise, each with its file:line.

    Legal bases, roles and exception grounds are cited but never decide on their own; a
    forbidden category decides (it denies every write), so it counts as a rule.
    """
    loc = Locator(pack)
    found: list[tuple[str, str]] = []
    for section in COVERED_SECTIONS:
        found += [(section, item.id) for item in getattr(pack, section)]
    found += [("data_categories", c.id) for c in pack.data_categories if c.forbidden]
    if pack.lifecycle is not None:
        found += [("lifecycle.transitions", t.id) for t in pack.lifecycle.transitions]
        found += [("lifecycle.deadlines", d.id) for d in pack.lifecycle.deadlines]
    if pack.intake is not None:
        found += [("intake.criteria", c.id) for c in pack.intake.criteria]
    out: dict[str, str] = {}
    for section, rule_id in found:
        if not loc.is_own(section, rule_id):
            continue
        file, line, _, _ = loc.place(section, rule_id)
        out[rule_id] = f"{file}:{line}" if file else ""
    return out


def coverage(outcomes: list[Outcome]) -> list[PackCoverage]:
    """Rule coverage per pack over the given test outcomes (tests that name the same pack by
    name and by path count together)."""
    by_key: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        by_key[_pack_path(o.test)] |= o.exercised
    packs: dict[str, Pack] = {}
    exercised: dict[str, set[str]] = defaultdict(set)
    for key, rules in by_key.items():
        pack = load_pack(key)
        packs.setdefault(pack.pack.id, pack)
        exercised[pack.pack.id] |= rules
    out = []
    for pack_id in sorted(packs):
        places = coverable_rules(packs[pack_id])
        done = tuple(r for r in places if r in exercised[pack_id])
        out.append(PackCoverage(pack_id, tuple(places), done, places))
    return out


def add_parser(sub: Any) -> None:
    p = sub.add_parser("test", help="run pack tests (tests/packs/<pack>/*.yaml)")
    p.add_argument("paths", nargs="*", default=["tests/packs"], metavar="PATH")
    p.add_argument("--coverage", action="store_true", help="report rules no test exercised")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--fail-under",
        type=float,
        default=None,
        metavar="PERCENT",
        help="with --coverage: exit 1 if a pack's rule coverage is below PERCENT",
    )


def run(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise PackError(
            [Problem(f"no such file or directory: {p}", code="MPH-Y001") for p in missing]
        )
    outcomes = run_paths(args.paths)
    failed = [o for o in outcomes if not o.passed]
    covered = coverage(outcomes) if args.coverage or args.fail_under is not None else []
    under = [c for c in covered if args.fail_under is not None and c.percent < args.fail_under]
    if args.format == "json":
        data: dict[str, Any] = {
            "passed": len(outcomes) - len(failed),
            "failed": [
                {
                    "file": o.test.file,
                    "line": o.test.line,
                    "name": o.test.name,
                    "failures": o.failures,
                }
                for o in failed
            ],
        }
        if covered:
            data["coverage"] = [c.to_dict() for c in covered]
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for o in failed:
            print(f"FAIL {o.test.file}:{o.test.line} {o.test.name}")
            for f in o.failures:
                print(f"     {f}")
        print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
        for c in covered:
            print(
                f"coverage {c.pack}: {len(c.exercised)}/{len(c.rules)} rules exercised "
                f"({c.percent:.1f}%)"
            )
            for rule in c.missed:
                print(f"  not exercised: {rule} ({c.places.get(rule) or 'baseline'})")
    return 1 if failed or under else 0
