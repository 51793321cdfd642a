"""Pack tests as data: given a case (or a point query), the expected decision.

A test file (``tests/packs/<pack>/*.yaml``)::

    pack: hilversum
    tests:
      - name: triage within 5 working days
        as_of: 2024-03-20
        case: {id: t1, events: [...]}
        expect: {phase: expert_team, deadlines: [{rule: iv5_triage_deadline, status: met}]}
      - name: the short retention regime
        settings: {retention_regime: short}     # optional: the pack's settings for this test
        as_of: 2025-01-01
        case: {id: t2, events: [...]}
        expect: {deletions: [{scope: case_file, rule: r_closed_short}]}
      - name: triagist may not read the file
        check_access: {role: triagist, category: household_identity, phase: triage}
        expect: {allowed: false}
      - name: after acceptance the regisseur may write        # a point query on a case
        case: {id: t3, events: [...]}        # prior events: the query reads this case's state
        check_access: {role: regisseur, category: household_identity, action: write}
        expect: {allowed: true}                # phase defaults to the case's phase

Expectations are partial: only the keys written are compared. Run with
``python -m mph_rules.testing.packtests PATH...`` or plain ``pytest`` (the plugin).
"""

from __future__ import annotations

import datetime as dt
import difflib
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mph_rules.decision import CaseDecision, IntakeVerdict, Verdict, _plain
from mph_rules.engine import Engine
from mph_rules.engine.state import cutoff
from mph_rules.errors import EventError, PackError, Problem
from mph_rules.loading import load_pack
from mph_rules.yamlread import read_yaml

EXERCISED = {"fired", "allowed", "denied"}
KINDS = ("case", "check_access", "check_sharing", "check_intake")
QUERIES = ("check_access", "check_sharing")  # point queries that may read a case (``case:``)


@dataclass(frozen=True)
class PackTest:
    file: str
    line: int | None
    pack: str
    name: str
    spec: dict[str, Any]

    @property
    def kind(self) -> str:
        # a point query given a case reads that case's state; it is still a point query
        return next((k for k in (*QUERIES, *KINDS) if k in self.spec), "case")


@dataclass
class Outcome:
    test: PackTest
    failures: list[str]
    exercised: set[str] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        return not self.failures


def read_tests(path: str | Path) -> list[PackTest]:
    """The tests in one file; PackError (with lines) if the file is malformed."""
    file = str(path)
    doc, problems = read_yaml(Path(path).read_bytes(), file)
    if problems:
        raise PackError(problems)
    data = doc.data
    if not isinstance(data, dict) or "pack" not in data or not isinstance(data.get("tests"), list):
        raise PackError(
            [
                Problem(
                    "a pack test file has 'pack:' and a list 'tests:'", file, 1, 1, code="MPH-T001"
                )
            ]
        )
    unknown = set(data) - {"pack", "tests", "description"}
    if unknown:
        line, col = doc.locate((sorted(unknown)[0],), key=True)
        raise PackError(
            [
                Problem(
                    f"unknown key {sorted(unknown)[0]!r}",
                    file,
                    line,
                    col,
                    hint="allowed: pack, tests, description",
                    code="MPH-T001",
                )
            ]
        )
    tests = []
    for i, spec in enumerate(data["tests"]):
        line, col = doc.locate(("tests", i))
        if not isinstance(spec, dict) or "name" not in spec or "expect" not in spec:
            raise PackError(
                [Problem("each test needs 'name' and 'expect'", file, line, col, code="MPH-T001")]
            )
        kinds = [k for k in KINDS if k in spec]
        if len(kinds) == 2 and kinds[0] == "case" and kinds[1] in QUERIES:
            kinds = kinds[1:]  # the case is the query's prior history
        extra = set(spec) - {"name", "expect", "as_of", "note", "settings", *KINDS}
        if len(kinds) != 1 or extra:
            what = f"unknown keys {sorted(extra)}" if extra else f"found {kinds or 'none'}"
            raise PackError(
                [
                    Problem(
                        f"a test has exactly one of {', '.join(KINDS)} ({what})",
                        file,
                        line,
                        col,
                        code="MPH-T001",
                    )
                ]
            )
        if kinds == ["case"] and "as_of" not in spec:
            raise PackError(
                [Problem("a case test needs 'as_of'", file, line, col, code="MPH-T001")]
            )
        tests.append(PackTest(file, line, str(data["pack"]), str(spec["name"]), spec))
    return tests


def _norm(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _compare(where: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    out = []
    for key, want in expected.items():
        if key == "rules":
            missing = [r for r in want if r not in actual.get("rules", ())]
            if missing:
                out.append(f"{where}: rules {missing} not among {list(actual.get('rules', ()))}")
            continue
        if key not in actual:
            out.append(f"{where}: no field {key!r} (fields: {sorted(actual)})")
            continue
        got = actual[key]
        want_n = _norm(want)
        if isinstance(want_n, list) and isinstance(got, list):
            missing = [w for w in want_n if w not in got]
            if missing:
                out.append(f"{where}.{key}: expected to include {missing}, got {got}")
        elif want_n != got:
            out.append(f"{where}.{key}: expected {want_n!r}, got {got!r}")
    return out


def _match_list(
    kind: str, key: str, expected: list[dict[str, Any]], actual: list[dict[str, Any]]
) -> list[str]:
    out = []
    for want in expected:
        ident = want.get(key)
        candidates = [a for a in actual if a.get(key) == ident]
        if "index" in want and kind in ("notifications", "records", "findings"):
            pos = want["index"]
            candidates = candidates[pos : pos + 1]
            want = {k: v for k, v in want.items() if k != "index"}
        if not candidates:
            have = sorted({str(a.get(key)) for a in actual})
            out.append(f"{kind}: none with {key}={ident!r} (have {have})")
            continue
        attempts = [_compare(f"{kind}[{key}={ident}]", want, c) for c in candidates]
        if all(attempts):
            out.append(
                min(attempts, key=len)[0]
                if len(attempts) == 1
                else f"{kind}[{key}={ident}]: no entry matches {want}; entries: "
                f"{[{k: c.get(k) for k in want} for c in candidates]}"
            )
    return out


def check_decision(expect: dict[str, Any], decision: CaseDecision) -> list[str]:
    d = decision.to_dict()
    failures: list[str] = []
    for key, want in expect.items():
        if key in ("phase", "owner"):
            if d[key] != want:
                failures.append(f"{key}: expected {want!r}, got {d[key]!r}")
        elif key == "events":
            by_index = {e["index"]: e for e in d["events"]}
            for w in want:
                got = by_index.get(w.get("index"))
                if got is None:
                    failures.append(f"events: no event with index {w.get('index')}")
                else:
                    failures += _compare(f"events[{w['index']}]", w, got)
        elif key in ("notifications", "deadlines", "deletions"):
            ident = {"notifications": "duty", "deadlines": "rule", "deletions": "scope"}[key]
            failures += _match_list(key, ident, want, d[key])
        elif key in ("findings", "records", "open_points"):
            # v2 decision parts, matched by the rule that raised them
            failures += _match_list(key, "rule", want, d[key])
        elif key == "no_findings":
            raised = sorted({f["rule"] for f in d["findings"]} & set(want))
            if raised:
                failures.append(f"no_findings: {raised} raised findings")
        elif key == "no_notifications":
            opened = sorted({n["duty"] for n in d["notifications"]} & set(want))
            if opened:
                failures.append(f"no_notifications: {opened} have notifications")
        elif key == "fired":
            fired = {t["rule"] for t in d["trace"] if t["outcome"] in EXERCISED}
            missing = [r for r in want if r not in fired]
            if missing:
                failures.append(f"fired: {missing} did not fire (fired: {sorted(fired)})")
        elif key == "not_fired":
            fired = {t["rule"] for t in d["trace"] if t["outcome"] in EXERCISED}
            wrong = [r for r in want if r in fired]
            if wrong:
                failures.append(f"not_fired: {wrong} fired")
        elif key == "allowed_actions":
            failures += _match_list(key, "event", want, d["allowed_actions"])
        else:
            failures.append(f"unknown expectation {key!r}")
    return failures


def exercised_by(result: CaseDecision | Verdict | IntakeVerdict) -> set[str]:
    """Rule ids a result shows as having decided something (for rule coverage)."""
    if isinstance(result, CaseDecision):
        rules = {t.rule for t in result.trace if t.outcome in EXERCISED}
        for ev in result.events:
            rules.update(ev.rules)
        rules.update(n.duty for n in result.notifications)
        rules.update(d.rule for d in result.deletions if d.rule)
        rules.update(r.rule for r in result.records)  # v2: a record duty that was required
        rules.update(f.rule for f in result.findings)  # v2: a rule that raised a finding
        return rules
    if isinstance(result, IntakeVerdict):
        # an unspecified criterion is exercised when a test sees it reported undetermined
        return set(result.met) | set(result.failed) | set(result.undetermined)
    return set(result.rules) | {t.rule for t in result.trace if t.outcome in EXERCISED}


def run_test(engine: Engine, test: PackTest) -> Outcome:
    spec = test.spec
    expect = spec["expect"]
    try:
        if test.kind == "case":
            result: Any = engine.evaluate(spec["case"], as_of=_as_of(spec["as_of"]))
            failures = [] if "error" not in expect else ["expected an error, got a decision"]
            failures += check_decision({k: v for k, v in expect.items() if k != "error"}, result)
        elif test.kind == "check_access":
            q = _with_case(engine, spec, _query(spec, "check_access", ("role", "category")))
            result = engine.check_access(q.pop("role"), q.pop("category"), **q)
            failures = _compare("check_access", expect, result.to_dict())
        elif test.kind == "check_sharing":
            q = _query(spec, "check_sharing", ("from_role", "to_role", "categories"))
            q = _with_case(engine, spec, q)
            result = engine.check_sharing(
                q.pop("from_role"), q.pop("to_role"), q.pop("categories"), **q
            )
            failures = _compare("check_sharing", expect, result.to_dict())
        else:
            result = engine.check_intake(spec["check_intake"].get("facts", {}))
            failures = _compare("check_intake", expect, result.to_dict())
    except EventError as exc:
        want = expect.get("error")
        text = str(exc)
        if want is not None and str(want) in text:
            return Outcome(test, [])
        return Outcome(test, [f"error: {text}"])
    except (TypeError, MalformedQuery) as exc:
        return Outcome(test, [f"malformed test: {exc}"])
    return Outcome(test, failures, exercised_by(result))


class MalformedQuery(ValueError):
    """A point query in a pack test lacks a field its query needs."""


def _query(spec: dict[str, Any], kind: str, required: tuple[str, ...]) -> dict[str, Any]:
    """The point query of a test as keyword arguments: a missing field is a failure of that
    test naming the field (and the near-miss the author wrote), never a KeyError traceback."""
    query = spec[kind]
    if not isinstance(query, dict):
        raise MalformedQuery(f"{kind} must be a mapping, found {type(query).__name__}")
    missing = [key for key in required if key not in query]
    if missing:
        hints = [
            f"{close[0]!r} given: did you mean {key!r}?"
            for key in missing
            if (close := difflib.get_close_matches(key, [str(k) for k in query], n=1))
        ]
        raise MalformedQuery(
            f"{kind} lacks {', '.join(repr(k) for k in missing)}"
            + (f" ({'; '.join(hints)})" if hints else "")
        )
    return dict(query)


def _with_case(engine: Engine, spec: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    """A point query given ``case:`` reads that case: a session built from its events (those
    up to ``as_of`` when the test gives one), so conditions on the case's history (earlier
    events, consent per subject) are answered from it. The phase defaults to the case's."""
    if "case" not in spec:
        return query
    case = engine.validate_case(spec["case"])
    limit = cutoff(_as_of(spec["as_of"])) if "as_of" in spec else None
    session = engine.session(case.id, facts=case.facts, subjects=case.subjects)
    for event in case.events:
        if limit is None or event.moment <= limit:
            session.post(event)
    query.setdefault("phase", session.phase)
    return {**query, "session": session}


def _as_of(value: Any) -> dt.date | dt.datetime:
    if isinstance(value, dt.date):
        return value
    text = str(value)
    return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)


def test_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(p.rglob("*.yaml"))
        else:
            yield p


def engine_for(test: PackTest, cache: dict[Any, Engine]) -> Engine:
    """One engine per (pack, settings): a test may set the pack's settings (``settings:``)."""
    settings = test.spec.get("settings") or {}
    key = (_pack_path(test), tuple(sorted((str(k), str(v)) for k, v in settings.items())))
    if key not in cache:
        base = next((e for (p, _), e in cache.items() if p == key[0]), None)
        pack = base.pack if base is not None else load_pack(key[0])
        cache[key] = Engine(pack, settings=settings)
    return cache[key]


def run_paths(paths: Iterable[str | Path]) -> list[Outcome]:
    engines: dict[Any, Engine] = {}
    outcomes = []
    for file in test_files(paths):
        for test in read_tests(file):
            outcomes.append(run_test(engine_for(test, engines), test))
    return outcomes


def _pack_path(test: PackTest) -> str:
    """A relative pack path in a test file is relative to that file."""
    if test.pack.endswith((".yaml", ".yml")):
        return str(Path(test.file).parent / test.pack)
    return test.pack


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv) or ["tests/packs"]
    try:
        outcomes = run_paths(args)
    except PackError as exc:
        from mph_rules.render.text import problems

        for line in problems(exc.problems):
            print(line, file=sys.stderr)
        return 2
    failed = [o for o in outcomes if not o.passed]
    for o in failed:
        print(f"FAIL {o.test.file}:{o.test.line} {o.test.name}")
        for f in o.failures:
            print(f"     {f}")
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
