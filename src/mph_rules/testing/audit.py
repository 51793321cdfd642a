"""Audit records: a decision stored with its exact input, and its replay later.

An auditor must be able to show, years on, that a decision follows from its input and a
named pack. ``record`` stores the case (as JSON), the evaluation moment and the decision, which
names the pack id, version, content hash, engine version and settings. ``replay`` evaluates the
stored input again against a pack and lists every difference: a changed pack shows up as a
changed ``pack.content_hash`` (and whatever it changed in the decision), a changed engine as a
changed ``pack.engine_version``.

A record carries the SHA-256 of its canonical input (``as_of`` and the case) and of its
canonical output (the decision); canonical JSON keeps JSON types, so ``true`` and ``1`` differ.
Replay recomputes both, so an edit of the input that does not change the decision (a fact, a
note, an event after ``as_of``) or an edit of the stored decision is detected. The hashes are
in the record: whoever rewrites them too is caught only by comparing ``hashes.input`` with a
copy kept elsewhere (the service's chained decision log keeps one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mph_rules.decision import CaseDecision
from mph_rules.engine import Engine
from mph_rules.errors import EventError, Problem
from mph_rules.events import Case
from mph_rules.loading import load_pack
from mph_rules.schema import Pack

__all__ = ["FORMAT", "Replay", "canonical_hash", "dumps", "input_hash", "record", "replay"]

FORMAT = "mph-rules/audit-record/2"
OLD_FORMATS = ("mph-rules/audit-record/1",)
MAX_DIFFERENCES = 25


def record(
    engine: Engine, case: Case | Mapping[str, Any], as_of: dt.date | dt.datetime
) -> dict[str, Any]:
    """Evaluate ``case`` and return the audit record (plain JSON data).

    The case is stored in its validated JSON form. A case whose stored form would not
    reproduce the decision (e.g. facts holding values JSON cannot carry) is refused here,
    with an EventError, rather than discovered at audit time.
    """
    model = engine.validate_case(case if isinstance(case, Case) else dict(case))
    stored = model.model_dump(mode="json", by_alias=True)
    decision = engine.evaluate(model, as_of=as_of)
    again = engine.evaluate(json.loads(json.dumps(stored)), as_of=as_of)
    if again.to_dict() != decision.to_dict():
        raise EventError(
            [
                Problem(
                    "the case cannot be stored so that its decision reproduces (a fact or "
                    "payload value does not survive JSON)",
                    hint="use text, numbers, booleans, lists and mappings in facts and payloads",
                    code="MPH-T003",
                )
            ]
        )
    rec = {
        "format": FORMAT,
        "as_of": as_of.isoformat(),
        "case": stored,
        "decision": decision.to_dict(),
    }
    rec["hashes"] = {"input": input_hash(rec), "output": canonical_hash(rec["decision"])}
    return rec


def canonical_hash(value: Any) -> str:
    """SHA-256 of canonical JSON (sorted keys, no spaces, JSON types kept)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_hash(rec: Mapping[str, Any]) -> str:
    """The hash of a record's input: its ``as_of`` and its case."""
    return canonical_hash({"as_of": rec["as_of"], "case": rec["case"]})


def dumps(rec: dict[str, Any]) -> str:
    """The record as canonical JSON text (sorted keys): the same record, the same bytes."""
    return json.dumps(rec, indent=2, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Replay:
    """The outcome of evaluating a stored input again."""

    reproduced: bool
    differences: tuple[str, ...]
    decision: CaseDecision

    def summary(self) -> str:
        ref = self.decision.pack
        head = f"pack {ref.id} {ref.version} ({ref.content_hash}), engine {ref.engine_version}"
        if self.reproduced:
            return f"reproduced: {head}"
        return "\n".join([f"NOT reproduced with {head}:", *(f"  {d}" for d in self.differences)])


def replay(rec: dict[str, Any], pack: Pack | str | Path) -> Replay:
    """Evaluate the record's input again with ``pack`` and the recorded settings."""
    _check_shape(rec)
    loaded = pack if isinstance(pack, Pack) else load_pack(pack)
    recorded = rec["decision"]
    engine = Engine(loaded, settings=recorded["pack"].get("settings", {}))
    decision = engine.evaluate(rec["case"], as_of=_moment(rec["as_of"]))
    differences = _hash_differences(rec)
    _diff("", recorded, decision.to_dict(), differences)
    if len(differences) > MAX_DIFFERENCES:
        more = len(differences) - MAX_DIFFERENCES
        differences = [*differences[:MAX_DIFFERENCES], f"... and {more} more"]
    return Replay(not differences, tuple(differences), decision)


def _hash_differences(rec: Mapping[str, Any]) -> list[str]:
    """The record's input and stored decision against the hashes it carries."""
    if rec.get("format") in OLD_FORMATS:
        return [f"{rec['format']}: the record carries no hashes; its input cannot be verified"]
    hashes = rec.get("hashes")
    if not isinstance(hashes, dict):
        return ["hashes: missing; the record's input cannot be verified"]
    out = []
    for what, now in (("input", input_hash(rec)), ("output", canonical_hash(rec["decision"]))):
        if hashes.get(what) != now:
            part = "as_of or case" if what == "input" else "decision"
            out.append(f"hashes.{what}: recorded {hashes.get(what)!r}, the {part} hashes to {now}")
    return out


def _check_shape(rec: Any) -> None:
    ok = (
        isinstance(rec, dict)
        and rec.get("format") in (FORMAT, *OLD_FORMATS)
        and isinstance(rec.get("case"), dict)
        and isinstance(rec.get("as_of"), str)
        and isinstance(rec.get("decision"), dict)
        and isinstance(rec["decision"].get("pack"), dict)
    )
    if not ok:
        raise EventError(
            [
                Problem(
                    f"not an audit record ({FORMAT}): expected format, as_of, case and decision",
                    hint="write records with mph_rules.testing.audit.record or `mph-rules audit "
                    "record`",
                    code="MPH-T002",
                )
            ]
        )


def _moment(text: str) -> dt.date | dt.datetime:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise EventError(
            [Problem(f"audit record: as_of {text!r} is not an ISO date", code="MPH-A001")]
        ) from None
    if moment.utcoffset() is None:
        raise EventError(
            [Problem(f"audit record: as_of {text!r} has no UTC offset", code="MPH-A002")]
        )
    return moment


def _diff(path: str, old: Any, new: Any, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append(f"{where}: recorded, now absent")
            elif key not in old:
                out.append(f"{where}: absent in the record, now {_short(new[key])}")
            else:
                _diff(where, old[key], new[key], out)
        return
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            out.append(f"{path}: recorded {len(old)} entries, now {len(new)}")
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            _diff(f"{path}[{i}]", a, b, out)
        return
    if type(old) is not type(new) or old != new:  # JSON types are compared: true is not 1
        out.append(f"{path}: recorded {_short(old)}, now {_short(new)}")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
