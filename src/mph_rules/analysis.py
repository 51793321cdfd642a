"""Static checks on packs (lint), the access matrix, and comparison across covenants.

Pure functions over a resolved ``Pack``: nothing here evaluates a case. Every finding names
the file and line the author must look at (found again with ``yamlread.read_yaml``, since the
validated models keep no positions) and says how to fix it.

What "reachable" means here: the lifecycle read as a graph from ``initial`` along every
transition, ignoring ``when`` and ``by``. A phase or event that is unreachable in that graph is
unreachable in every case; the converse does not hold, so these checks never cry wolf about
reachability but can miss a condition that is never true.
"""

from __future__ import annotations

import itertools
import re
import typing
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mph_rules.calendar import WORKING_DAYS_CALENDAR_SETTING
from mph_rules.casebook import index_case_model
from mph_rules.conditions import (
    AllOf,
    AnyOf,
    Condition,
    ConsentGiven,
    FieldTest,
    Not,
    describe,
    nodes,
    referenced_events,
)
from mph_rules.errors import place
from mph_rules.schema import (
    AccessRule,
    DataCategory,
    Effect,
    EventRef,
    LegalBasis,
    Pack,
    RightKind,
    Role,
    SharingRule,
    Unspecified,
)
from mph_rules.schema.pack import LIST_SECTIONS
from mph_rules.schema.text import reads_as_english, takes_text
from mph_rules.yamlread import Document, read_yaml

YamlPath = tuple[str | int, ...]


# --- findings -------------------------------------------------------------------------------


class Severity(StrEnum):
    """Errors make ``mph-rules lint`` fail; warnings only with ``--strict``; info never."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Check:
    """One lint check: its code (used in output and in ignore comments) and what it finds."""

    code: str
    severity: Severity
    summary: str


CHECKS: dict[str, Check] = {
    c.code: c
    for c in (
        Check("source-placeholder", Severity.WARNING, "a source citation is a placeholder"),
        Check("default-deny-uncited", Severity.WARNING, "default deny cites no article"),
        Check("unused-role", Severity.WARNING, "a role no rule names"),
        Check("unused-category", Severity.WARNING, "a data category no rule names"),
        Check("unused-event", Severity.WARNING, "a pack event no rule or phase names"),
        Check("unused-exception-ground", Severity.WARNING, "an exception ground no rule names"),
        Check("unused-setting", Severity.WARNING, "a setting no condition reads"),
        Check("unused-legal-basis", Severity.INFO, "a legal basis no rule relies on"),
        Check(
            "event-never-accepted", Severity.WARNING, "a rule waits for an event no phase accepts"
        ),
        Check("phase-unreachable", Severity.ERROR, "no path of transitions leads to a phase"),
        Check("phase-dead-end", Severity.WARNING, "a non-terminal phase cannot be left"),
        Check(
            "retention-trigger-never-occurs",
            Severity.ERROR,
            "a retention clock's trigger can never be accepted",
        ),
        Check("access-shadowed", Severity.ERROR, "an access allow that a deny always overrides"),
        Check(
            "access-conflict", Severity.WARNING, "allow and unconditional deny on the same cells"
        ),
        Check("access-redundant", Severity.WARNING, "an access rule another rule makes redundant"),
        Check("sharing-shadowed", Severity.ERROR, "a sharing allow that a deny always overrides"),
        Check(
            "sharing-conflict", Severity.WARNING, "allow and unconditional deny on the same flows"
        ),
        Check("sharing-redundant", Severity.WARNING, "a sharing rule another rule makes redundant"),
        Check(
            "sharing-without-access",
            Severity.WARNING,
            "data shared with a role that may not read that category",
        ),
        Check("duty-no-deadline", Severity.WARNING, "an information duty without a latest date"),
        Check(
            "duty-no-exceptions",
            Severity.WARNING,
            "an information duty without exception grounds where the pack has them",
        ),
        Check(
            "no-legal-basis",
            Severity.ERROR,
            "processing allowed without a legal basis for that party type and data kind",
        ),
        Check(
            "legal-basis-mismatch",
            Severity.WARNING,
            "a listed legal basis covers none of the rule's party types and data kinds",
        ),
        Check(
            "consent-not-enforced",
            Severity.WARNING,
            "a rule relies on a consent basis but nothing checks the consent",
        ),
        Check(
            "text-not-translated",
            Severity.WARNING,
            "a text for case workers is English only (lint --lang-complete)",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """One lint finding at a place in a pack file, with a hint how to fix it."""

    check: str
    severity: Severity
    message: str
    hint: str
    rule: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        where = place(self.file or "<pack>", self.line, self.column)
        text = f"{where}: {self.severity.value}[{self.check}]: "
        if self.path:
            text += f"{self.path}: "
        return f"{text}{self.message}\n    hint: {self.hint}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
            "rule": self.rule,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
        }


# --- the access matrix ----------------------------------------------------------------------


class CellVerdict(StrEnum):
    ALLOW = "allow"  # an allow rule applies whatever the case
    CONDITIONAL = "conditional"  # allowed only under a condition or purpose
    DENY = "deny"  # a rule (or a forbidden category) denies it
    DEFAULT_DENY = "default_deny"  # no rule decides: default deny


@dataclass(frozen=True)
class MatrixCell:
    """One role x category x phase x action: who decides it, and on what legal basis."""

    role: str
    category: str
    phase: str
    action: str
    verdict: CellVerdict
    rules: tuple[str, ...] = ()
    legal_bases: tuple[str, ...] = ()
    condition: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "role": self.role,
            "category": self.category,
            "phase": self.phase,
            "action": self.action,
            "verdict": self.verdict.value,
        }
        if self.rules:
            out["rules"] = list(self.rules)
        if self.legal_bases:
            out["legal_bases"] = list(self.legal_bases)
        if self.condition:
            out["condition"] = self.condition
        return out


@dataclass(frozen=True)
class AccessMatrix:
    """Every cell of the access matrix, so an author sees the decisions and the gaps at once."""

    roles: tuple[str, ...]
    categories: tuple[str, ...]
    phases: tuple[str, ...]
    cells: tuple[MatrixCell, ...]

    def cell(self, role: str, category: str, phase: str, action: str) -> MatrixCell:
        return self._index[(role, category, phase, action)]

    @cached_property
    def _index(self) -> dict[tuple[str, str, str, str], MatrixCell]:
        return {(c.role, c.category, c.phase, c.action): c for c in self.cells}

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in CellVerdict}
        for c in self.cells:
            out[c.verdict.value] += 1
        out["allow_without_legal_basis"] = sum(
            1
            for c in self.cells
            if c.verdict in (CellVerdict.ALLOW, CellVerdict.CONDITIONAL) and not c.legal_bases
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "roles": list(self.roles),
            "categories": list(self.categories),
            "phases": list(self.phases),
            "counts": self.counts(),
            "cells": [c.to_dict() for c in self.cells],
        }


@dataclass(frozen=True)
class LintReport:
    """The findings for one pack, those silenced by ignore comments, and the access matrix."""

    pack: str
    files: tuple[str, ...]
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    matrix: AccessMatrix

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    def failed(self, *, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def to_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "files": list(self.files),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
            "suppressed": [f.to_dict() for f in self.suppressed],
            "access_matrix": self.matrix.to_dict(),
        }


# --- where things are written ---------------------------------------------------------------

_LIFECYCLE_LISTS = ("phases", "transitions", "deadlines")
_IGNORE = re.compile(r"#\s*mph-rules:\s*ignore\[([a-z0-9_,\s-]+)\]")


@dataclass
class _Source:
    """One file of the resolved pack (the pack itself or a baseline it extends)."""

    pack_id: str
    file: str
    doc: Document
    lines: list[str]
    items: dict[tuple[str, str], YamlPath] = field(default_factory=dict)


class Locator:
    """Finds the file, line and column of an item of the resolved pack, by section and id."""

    def __init__(self, pack: Pack) -> None:
        self.own = pack.pack.id
        self.sources: list[_Source] = []
        try:
            files: tuple[str, ...] = pack.provenance.files
        except ValueError:
            files = ()
        for file in files:
            try:
                raw = Path(file).read_bytes()
            except OSError:
                continue
            doc, problems = read_yaml(raw, file)
            if problems or not isinstance(doc.data, dict):
                continue
            meta = doc.data.get("pack")
            pack_id = str(meta.get("id")) if isinstance(meta, dict) else ""
            src = _Source(pack_id, display_path(file), doc, raw.decode("utf-8").splitlines())
            self._index(src)
            self.sources.append(src)
        self.by_pack = {s.pack_id: s for s in self.sources}
        # an item defined in several files belongs to the last one (the pack overrides)
        self.owner: dict[tuple[str, str], _Source] = {}
        for src in self.sources:
            for key in src.items:
                self.owner[key] = src

    @staticmethod
    def _index(src: _Source) -> None:
        data = src.doc.data
        for section in LIST_SECTIONS:
            for i, item in enumerate(data.get(section) or ()):
                if isinstance(item, dict):
                    key = item.get("id", item.get("type"))
                    if key is not None:
                        src.items[(section, str(key))] = (section, i)
        lifecycle = data.get("lifecycle")
        if isinstance(lifecycle, dict):
            for part in _LIFECYCLE_LISTS:
                for i, item in enumerate(lifecycle.get(part) or ()):
                    if isinstance(item, dict) and "id" in item:
                        src.items[(f"lifecycle.{part}", str(item["id"]))] = ("lifecycle", part, i)
        intake = data.get("intake")
        if isinstance(intake, dict):
            for i, item in enumerate(intake.get("criteria") or ()):
                if isinstance(item, dict) and "id" in item:
                    src.items[("intake.criteria", str(item["id"]))] = ("intake", "criteria", i)

    def own_source(self) -> _Source | None:
        return self.by_pack.get(self.own)

    def is_own(self, section: str, item_id: str) -> bool:
        """Whether the item is written in the pack's own file (not inherited)."""
        src = self.owner.get((section, item_id))
        return src is None or src.pack_id == self.own

    def place(
        self, section: str, item_id: str | None, sub: YamlPath = ()
    ) -> tuple[str | None, int | None, int | None, str | None]:
        src: _Source | None
        if item_id is None:
            src = self.own_source()
            base: YamlPath = tuple(section.split("."))
        else:
            src = self.owner.get((section, item_id))
            base = src.items[(section, item_id)] if src else ()
        if src is None:
            return None, None, None, _render((*base, *sub)) if base else section
        path = (*base, *sub)
        line, col = src.doc.locate(path, key=item_id is None and not sub)
        return src.file, line, col, _render(path)

    def ignored(self, finding: Finding) -> bool:
        """An ``# mph-rules: ignore[code]`` comment on the finding's line or the line above.
        Errors cannot be silenced: they describe a pack the covenant or the law cannot mean."""
        src = next((s for s in self.sources if s.file == finding.file), None)
        if src is None or finding.line is None or finding.severity is Severity.ERROR:
            return False
        for number in (finding.line, finding.line - 1):
            if 1 <= number <= len(src.lines):
                match = _IGNORE.search(src.lines[number - 1])
                if match:
                    codes = {c.strip() for c in match.group(1).split(",")}
                    if finding.check in codes or "all" in codes:
                        return True
        return False


def display_path(file: str) -> str:
    """A pack file as its author knows it: relative to the working directory when it lies
    under it, with the bundled-packs symlink resolved (``policies/x.yaml``)."""
    path = Path(file)
    for candidate in (path.resolve(), path.absolute()):
        try:
            return str(candidate.relative_to(Path.cwd()))
        except ValueError:
            continue
    return file


def _render(path: YamlPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- small readers of the pack --------------------------------------------------------------


def plain_texts(data: Any) -> Iterator[tuple[YamlPath, str]]:
    """The plain strings of a pack file's YAML data in fields that take ``{nl, en}`` (its
    texts for case workers not yet in two languages), with their paths."""
    return _plain_texts(Pack, data, ())


def _plain_texts(
    model: type[BaseModel], data: Any, path: YamlPath
) -> Iterator[tuple[YamlPath, str]]:
    """The plain strings of a pack file (its YAML data read against the pack models) in
    fields that take ``{nl, en}``, with their paths."""
    if not isinstance(data, dict):
        return
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    for key, value in data.items():
        info = fields.get(key)
        if info is None:
            continue
        where = (*path, key)
        if takes_text(info.annotation):
            if isinstance(value, str):
                yield where, value
            elif isinstance(value, list):
                yield from (((*where, i), v) for i, v in enumerate(value) if isinstance(v, str))
            continue
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            if not isinstance(item, dict):
                continue
            sub = next((m for m in _models_in(info.annotation) if set(item) <= _keys(m)), None)
            if sub is not None:
                yield from _plain_texts(sub, item, where if index is None else (*where, index))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's annotation may hold (through unions, Annotated and tuples)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _keys(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def _phases(pack: Pack) -> tuple[str, ...]:
    return tuple(p.id for p in pack.lifecycle.phases) if pack.lifecycle else ("open",)


def _expand(values: tuple[str, ...] | str, universe: Iterable[str]) -> tuple[str, ...]:
    return tuple(universe) if values == "*" else tuple(values)


def _conditions(pack: Pack) -> Iterator[Condition]:
    """Every condition written anywhere in the pack."""
    lc = pack.lifecycle
    refs: list[EventRef] = []
    conds: list[Condition | None] = []
    if lc is not None:
        conds += [t.when for t in lc.transitions]
        refs += [r for d in lc.deadlines for r in (d.start, d.until)]
    if pack.intake is not None:
        conds += [
            c.condition for c in pack.intake.criteria if not isinstance(c.condition, Unspecified)
        ]
    for duty in pack.information_duties:
        refs += [duty.trigger, *duty.fulfilled_by]
    for pre in pack.preconditions:
        conds += [pre.when, pre.require]
    conds += [r.when for r in pack.access] + [r.when for r in pack.sharing]
    for clock in pack.retention:
        refs += [clock.trigger, *clock.cancelled_by]
        if clock.counted_from is not None:
            refs.append(clock.counted_from)
    conds += [r.requires for r in pack.rights]
    conds += [r.when for r in refs]
    for cond in conds:
        if cond is not None:
            yield cond


def _walk(cond: Condition) -> Iterator[Condition]:
    """Every node of a condition (the shared traversal of ``conditions.walk``)."""
    return nodes(cond)


def _constants(cond: Condition) -> set[str]:
    """String values a condition compares with (role, category or ground ids among them)."""
    out: set[str] = set()
    for c in _walk(cond):
        if isinstance(c, FieldTest):
            for value in (c.equals, c.contains):
                if isinstance(value, str):
                    out.add(value)
            for values in (c.in_, c.contains_any):
                out.update(v for v in values or () if isinstance(v, str))
    return out


def _requires_consent(cond: Condition | None) -> bool:
    """Whether the condition can only hold when some consent was given."""
    if cond is None:
        return False
    if isinstance(cond, ConsentGiven):
        return True
    if isinstance(cond, AllOf):
        return any(_requires_consent(c) for c in cond.all)
    if isinstance(cond, AnyOf):
        return all(_requires_consent(c) for c in cond.any)
    return False


def _is_missing_consent(cond: Condition | None) -> bool:
    """``{not: {consent: X}}``: a deny with this condition enforces a consent."""
    return isinstance(cond, Not) and isinstance(cond.not_, ConsentGiven)


def _field_values(cond: Condition | None, path: str) -> set[str | int | bool] | None:
    """The values ``path`` must have for ``cond`` to hold, when the condition pins it down
    with ``equals``/``in`` (alone or inside ``all``); None when it does not."""
    if cond is None:
        return None
    if isinstance(cond, FieldTest) and cond.field == path:
        if cond.equals is not None:
            return {cond.equals}
        if cond.in_ is not None:
            return set(cond.in_)
        return None
    if isinstance(cond, AllOf):
        found = [v for c in cond.all if (v := _field_values(c, path)) is not None]
        if found:
            return set.intersection(*found)
    return None


# --- the analysis ---------------------------------------------------------------------------


class _Box:
    """A rule's cells as a product of sets: (roles, categories, phases, actions) for access,
    (from roles, to roles, categories, phases) for sharing."""

    __slots__ = ("dims", "rule", "unconditional")

    def __init__(self, rule: Any, dims: tuple[frozenset[str], ...], unconditional: bool) -> None:
        self.rule = rule
        self.dims = dims
        self.unconditional = unconditional

    def contains(self, cell: tuple[str, ...]) -> bool:
        return all(v in d for v, d in zip(cell, self.dims, strict=True))

    def overlap(self, other: _Box) -> int:
        size = 1
        for a, b in zip(self.dims, other.dims, strict=True):
            size *= len(a & b)
        return size

    def cells(self) -> Iterator[tuple[str, ...]]:
        return itertools.product(*(sorted(d) for d in self.dims))


def _covered(box: _Box, others: Sequence[_Box]) -> bool:
    """Whether every cell of ``box`` lies in one of ``others`` (stops at the first that
    does not, so a large uncovered box costs little)."""
    candidates = [o for o in others if box.overlap(o)]
    if not candidates:
        return False
    return all(any(o.contains(cell) for o in candidates) for cell in box.cells())


class _Linter:
    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.loc = Locator(pack)
        self.findings: list[Finding] = []
        self.phases = _phases(pack)
        self.roles = {r.id: r for r in pack.roles}
        self.categories = {c.id: c for c in pack.data_categories}
        self.bases = {b.id: b for b in pack.legal_bases}
        party_types = {p.type.value for p in pack.parties}
        self.any_types = frozenset(party_types) if party_types else frozenset({"any"})
        self.reachable = self._reachable()
        self.derived_bases: set[str] = set()

    # reporting ------------------------------------------------------------------------------

    def add(
        self,
        check: str,
        message: str,
        hint: str,
        section: str,
        item_id: str | None,
        sub: YamlPath = (),
    ) -> None:
        file, line, col, path = self.loc.place(section, item_id, sub)
        self.findings.append(
            Finding(check, CHECKS[check].severity, message, hint, item_id, file, line, col, path)
        )

    def own(self, section: str, item_id: str) -> bool:
        return self.loc.is_own(section, item_id)

    # texts in two languages -------------------------------------------------------------------

    def check_translated(self) -> None:
        """A pack for Dutch readers (``pack.language: nl``) whose own texts for case workers
        are plain strings that read as English: shown as written, so English in Dutch output.
        Opt-in (``lint --lang-complete``): a pack being translated still lints clean."""
        src = self.loc.own_source()
        if src is None or self.pack.pack.language != "nl":
            return
        for path, text in plain_texts(src.doc.data):
            if not reads_as_english(text):
                continue
            line, col = src.doc.locate(path)
            short = " ".join(text.split())
            short = short if len(short) <= 60 else short[:57] + "..."
            self.findings.append(
                Finding(
                    "text-not-translated",
                    CHECKS["text-not-translated"].severity,
                    f"text for case workers is English only: '{short}'",
                    "write it as `{nl: ..., en: ...}`, the Dutch in the seed's own words where "
                    "it has them",
                    None,
                    src.file,
                    line,
                    col,
                    _render(path),
                )
            )

    # the lifecycle ----------------------------------------------------------------------------

    def _reachable(self) -> set[str]:
        lc = self.pack.lifecycle
        if lc is None:
            return set(self.phases)
        seen = {lc.initial}
        todo = [lc.initial]
        while todo:
            phase = todo.pop()
            for tr in lc.transitions:
                if phase in tr.from_ and tr.to not in seen:
                    seen.add(tr.to)
                    todo.append(tr.to)
        return seen

    def can_occur(self, event: str, when: Condition | None = None) -> bool:
        """Whether an event (matching ``when``) can be accepted in some reachable phase."""
        lc = self.pack.lifecycle
        if lc is None or event in lc.always_accepted:
            return True
        if any(event in p.accepts for p in lc.phases if p.id in self.reachable):
            return True
        transitions = [t for t in lc.transitions if t.on == event and set(t.from_) & self.reachable]
        if not transitions:
            return False
        # accepted only through transitions: the trigger's pinned values must meet theirs
        for path in {c.field for c in _walk(when) if isinstance(c, FieldTest)} if when else ():
            wanted = _field_values(when, path)
            if wanted is None:
                continue
            admitted: set[str | int | bool] = set()
            for t in transitions:
                values = _field_values(t.when, path)
                if values is None:
                    break
                admitted |= values
            else:
                if not wanted & admitted:
                    return False
        return True

    def check_lifecycle(self) -> None:
        lc = self.pack.lifecycle
        if lc is None or not self.own("lifecycle.phases", lc.phases[0].id):
            return
        outgoing = {src for t in lc.transitions for src in t.from_}
        for phase in lc.phases:
            if phase.id not in self.reachable:
                self.add(
                    "phase-unreachable",
                    f"phase {phase.id!r} cannot be reached from {lc.initial!r}",
                    "add a transition into it, or remove the phase",
                    "lifecycle.phases",
                    phase.id,
                )
            elif phase.id not in outgoing and not phase.terminal:
                self.add(
                    "phase-dead-end",
                    f"phase {phase.id!r} has no transition out and is not marked terminal",
                    "add a transition out of it, or mark it `terminal: true` if cases end there",
                    "lifecycle.phases",
                    phase.id,
                )

    def check_events(self) -> None:
        """Rules that wait for an event the lifecycle never accepts."""
        pack = self.pack
        lc = pack.lifecycle
        if lc is None:
            return
        refs: list[tuple[str, str, str, YamlPath, str, Condition | None]] = []
        for d in pack.information_duties:
            refs.append(
                (
                    "information_duties",
                    d.id,
                    d.trigger.event,
                    ("trigger",),
                    "triggered by",
                    d.trigger.when,
                )
            )
            for j, r in enumerate(d.fulfilled_by):
                refs.append(
                    (
                        "information_duties",
                        d.id,
                        r.event,
                        ("fulfilled_by", j),
                        "fulfilled by",
                        r.when,
                    )
                )
        for dl in lc.deadlines:
            refs.append(
                (
                    "lifecycle.deadlines",
                    dl.id,
                    dl.start.event,
                    ("start",),
                    "started by",
                    dl.start.when,
                )
            )
            refs.append(
                ("lifecycle.deadlines", dl.id, dl.until.event, ("until",), "met by", dl.until.when)
            )
        for pre in pack.preconditions:
            refs.append(("preconditions", pre.id, pre.event, ("event",), "guards", pre.when))
        for clock in pack.retention:
            for j, r in enumerate(clock.cancelled_by):
                refs.append(
                    ("retention", clock.id, r.event, ("cancelled_by", j), "cancelled by", r.when)
                )
            if clock.counted_from is not None:
                cf = clock.counted_from
                refs.append(
                    ("retention", clock.id, cf.event, ("counted_from",), "counted from", cf.when)
                )
        for section, rule_id, event, sub, verb, when in refs:
            if self.can_occur(event, when):
                continue
            self._never_accepted(section, rule_id, event, sub, f"is {verb} {event!r}")
        for clock in pack.retention:
            if self.can_occur(clock.trigger.event, clock.trigger.when):
                continue
            what = clock.trigger.event
            if clock.trigger.when is not None:
                what += f" where {describe(clock.trigger.when)}"
            if self.own("retention", clock.id):
                self.add(
                    "retention-trigger-never-occurs",
                    f"retention clock {clock.id!r} starts on {what}, which the lifecycle never "
                    "accepts: the data would never get a deletion date",
                    "accept the event in a reachable phase (`accepts` or `always_accepted`) or "
                    "add a transition on it, or correct the trigger",
                    "retention",
                    clock.id,
                    ("trigger",),
                )
            else:
                self.add(
                    "retention-trigger-never-occurs",
                    f"baseline retention clock {clock.id!r} starts on {what}, which this "
                    "pack's lifecycle never accepts",
                    "accept the event in a reachable phase or `always_accepted`",
                    "lifecycle",
                    None,
                )

    def _never_accepted(
        self, section: str, rule_id: str, event: str, sub: YamlPath, what: str
    ) -> None:
        hint = "accept it in a reachable phase (`accepts`, `always_accepted`) or add a transition"
        if self.own(section, rule_id):
            self.add(
                "event-never-accepted",
                f"{rule_id} {what}, which no reachable phase accepts",
                hint,
                section,
                rule_id,
                sub,
            )
        else:
            self.add(
                "event-never-accepted",
                f"baseline rule {rule_id} {what}, which this pack's lifecycle never accepts",
                hint,
                "lifecycle",
                None,
            )

    # citations --------------------------------------------------------------------------------

    _PLACEHOLDER = re.compile(
        r"^\s*(\?+|\.\.\.|…|-+|n/?a|todo|tbd|xxx+|fixme)\s*$|\b(TODO|TBD|FIXME)\b", re.I
    )

    def check_sources(self) -> None:
        pack = self.pack
        items: list[tuple[str, Any]] = [
            (section, item) for section in LIST_SECTIONS for item in getattr(pack, section)
        ]
        if pack.lifecycle is not None:
            for part in _LIFECYCLE_LISTS:
                items += [(f"lifecycle.{part}", i) for i in getattr(pack.lifecycle, part)]
        if pack.intake is not None:
            items += [("intake.criteria", c) for c in pack.intake.criteria]
        for section, item in items:
            key = str(getattr(item, "id", None) or getattr(item, "type", ""))
            if not self.own(section, key):
                continue
            source = item.source
            for part in ("article", "quote"):
                if self._PLACEHOLDER.search(getattr(source, part)):
                    self.add(
                        "source-placeholder",
                        f"{key}: source {part} {getattr(source, part)!r} is a placeholder",
                        f"cite the article and quote the covenant's words (source.{part})",
                        section,
                        key,
                        ("source", part),
                    )
        for kind, rules in (("access", pack.access), ("sharing", pack.sharing)):
            cited = pack.defaults is not None and getattr(pack.defaults, kind) is not None
            if cited or not any(self.own(kind, r.id) for r in rules):
                continue
            self.add(
                "default-deny-uncited",
                f"{kind} is default deny, but the pack cites no article for it: every "
                f"default-deny verdict on {kind} comes without a source",
                f"add `defaults: {{{kind}: {{source: {{document, article, quote}}}}}}` citing "
                "the article that limits "
                + ("access to the file" if kind == "access" else "the provision of data"),
                "pack",
                None,
            )

    # unused definitions -----------------------------------------------------------------------

    def check_unused(self) -> None:
        pack = self.pack
        lc = pack.lifecycle
        consts: set[str] = set()
        for cond in _conditions(pack):
            consts |= _constants(cond)
        roles: set[str] = set(consts)
        categories: set[str] = set(consts)
        grounds: set[str] = set(consts)
        # `*` in an allow grants every category (role), so it uses them all; in a deny it
        # only restates default deny, so it uses none
        everything = {Effect.ALLOW: True, Effect.DENY: False}
        for r in pack.access:
            roles.update(r.roles)
            if r.categories != "*":
                categories.update(r.categories)
            elif everything[r.effect]:
                categories.update(self.categories)
        for s in pack.sharing:
            for values in (s.from_roles, s.to_roles):
                if values != "*":
                    roles.update(values)
                elif everything[s.effect]:
                    roles.update(self.roles)
            if s.categories != "*":
                categories.update(s.categories)
            elif everything[s.effect]:
                categories.update(self.categories)
        if lc is not None:
            for t in lc.transitions:
                roles.update(t.by or ())
            roles.update(d.responsible for d in lc.deadlines if d.responsible)
        if pack.intake is not None:
            roles.update(pack.intake.decided_by)
        for d in pack.information_duties:
            roles.update((d.informer, d.recipient))
            grounds.update(d.exception_grounds)
        for right in pack.rights:
            roles.add(right.handler)
            grounds.update(right.refusal_grounds)
            for rep in right.representation:
                roles.update(rep.exercised_by)
        for role in pack.roles:
            if role.id not in roles and self.own("roles", role.id):
                self.add(
                    "unused-role",
                    f"role {role.id!r} is defined but no rule names it",
                    "name it in an access, sharing, duty or lifecycle rule, or remove it",
                    "roles",
                    role.id,
                )
        for cat in pack.data_categories:
            if (
                cat.id not in categories
                and not cat.forbidden
                and self.own("data_categories", cat.id)
            ):
                self.add(
                    "unused-category",
                    f"data category {cat.id!r} is defined but no access or sharing rule names it "
                    "(it falls to default deny everywhere)",
                    "name it in an access or sharing rule, or remove it",
                    "data_categories",
                    cat.id,
                )
        for ground in pack.exception_grounds:
            if ground.id not in grounds and self.own("exception_grounds", ground.id):
                self.add(
                    "unused-exception-ground",
                    f"exception ground {ground.id!r} is defined but no duty, right or "
                    "condition names it",
                    "list it in a duty's `exception_grounds` or a right's `refusal_grounds`",
                    "exception_grounds",
                    ground.id,
                )
        events: set[str] = set()
        if lc is not None:
            events.update(lc.always_accepted)
            for p in lc.phases:
                events.update(p.accepts)
            events.update(t.on for t in lc.transitions)
        for cond in _conditions(pack):
            events |= referenced_events(cond)
        events.update(pre.event for pre in pack.preconditions)
        for ev in pack.events:
            if ev.type not in events and self.own("events", ev.type):
                self.add(
                    "unused-event",
                    f"event {ev.type!r} is defined but no phase accepts it and no rule names it",
                    "accept it in a phase or use it as a trigger, or remove it",
                    "events",
                    ev.type,
                )
            elif ev.type in events and not self.can_occur(ev.type) and self.own("events", ev.type):
                self._never_accepted("events", ev.type, ev.type, ("type",), "is a pack event")
        used_settings = {
            c.field.split(".", 1)[1].split(".")[0]
            for cond in _conditions(pack)
            for c in _walk(cond)
            if isinstance(c, FieldTest) and c.field.startswith("settings.")
        }
        # v2: `{setting: id}` (durations, on_reregistration) and the "werkdagen" calendar the
        # engine reads for every rule counting working days
        index = index_case_model(pack)
        used_settings.update(s for reads in index.rule_settings.values() for s in reads)
        if index.working_day_rules:
            used_settings.add(WORKING_DAYS_CALENDAR_SETTING)
        for setting in pack.settings:
            if setting.id not in used_settings and self.own("settings", setting.id):
                self.add(
                    "unused-setting",
                    f"setting {setting.id!r} is read by no condition",
                    f"use it as `{{field: settings.{setting.id}, ...}}` in a rule, or remove it",
                    "settings",
                    setting.id,
                )
        relied = {b for r in pack.access for b in r.legal_bases}
        relied |= {b for r in pack.sharing for b in r.legal_bases}
        relied |= self.derived_bases
        for basis in pack.legal_bases:
            if basis.id not in relied and self.own("legal_bases", basis.id):
                self.add(
                    "unused-legal-basis",
                    f"legal basis {basis.id!r} covers no party type and data kind that an "
                    "access or sharing rule allows",
                    "fine if the covenant names it for completeness; else list it in a rule's "
                    "`legal_bases`",
                    "legal_bases",
                    basis.id,
                )

    # information duties ------------------------------------------------------------------------

    def check_duties(self) -> None:
        pack = self.pack
        with_grounds: dict[str, list[str]] = defaultdict(list)
        for d in pack.information_duties:
            if d.exception_grounds:
                with_grounds[d.recipient].append(d.id)
        for d in pack.information_duties:
            if not self.own("information_duties", d.id):
                continue
            dl = d.deadline
            if isinstance(dl, Unspecified) or (dl.asap and dl.duration is None):
                what = (
                    "is unspecified"
                    if isinstance(dl, Unspecified)
                    else "is 'as soon as possible' with no latest date"
                )
                self.add(
                    "duty-no-deadline",
                    f"information duty {d.id!r}: the deadline {what}, so the engine can never "
                    "report it overdue",
                    "give `duration` (the latest date) if the covenant or the statute has one; "
                    "if it truly has none, keep the note and add "
                    "`# mph-rules: ignore[duty-no-deadline]`",
                    "information_duties",
                    d.id,
                    ("deadline",),
                )
            others = [o for o in with_grounds.get(d.recipient, ()) if o != d.id]
            notes = " ".join(filter(None, (d.note, d.source.note))).lower()
            explained = "exception" in notes or "uitzondering" in notes
            if not d.exception_grounds and others and not explained:
                self.add(
                    "duty-no-exceptions",
                    f"information duty {d.id!r} has no exception grounds, while "
                    f"{', '.join(others)} to the same recipient has them",
                    "list the grounds the covenant gives in `exception_grounds`; if it gives "
                    'none for this duty, say so in the note ("no exception ...")',
                    "information_duties",
                    d.id,
                )

    # access and sharing -------------------------------------------------------------------------

    def _access_box(self, rule: AccessRule) -> _Box:
        return _Box(
            rule,
            (
                frozenset(rule.roles),
                frozenset(_expand(rule.categories, self.categories)),
                frozenset(_expand(rule.phases, self.phases)),
                frozenset(a.value for a in rule.actions),
            ),
            rule.when is None and rule.purposes is None,
        )

    def _sharing_box(self, rule: SharingRule) -> _Box:
        return _Box(
            rule,
            (
                frozenset(_expand(rule.from_roles, self.roles)),
                frozenset(_expand(rule.to_roles, self.roles)),
                frozenset(_expand(rule.categories, self.categories)),
                frozenset(_expand(rule.phases, self.phases)),
            ),
            rule.when is None,
        )

    def check_overlaps(self, kind: str, boxes: list[_Box], fixed_denies: list[_Box]) -> None:
        """Shadowed allows (always overridden), conflicts (an allow and an unconditional deny
        meet) and redundant rules (another rule of the same effect always applies)."""
        section = "access" if kind == "access" else "sharing"
        denies = [b for b in boxes if b.rule.effect is Effect.DENY and b.unconditional]
        for box in boxes:
            rule = box.rule
            if not self.own(section, rule.id):
                continue
            if rule.effect is Effect.ALLOW:
                shadowed = _covered(box, [*denies, *fixed_denies])
                if shadowed:
                    by = sorted({d.rule.id for d in [*denies, *fixed_denies] if box.overlap(d)})
                    self.add(
                        f"{kind}-shadowed",
                        f"{rule.id} never allows anything: {', '.join(by)} always deny "
                        "every case it covers (deny wins)",
                        "narrow the deny, or remove the allow if the covenant forbids it",
                        section,
                        rule.id,
                    )
                    continue
                for deny in denies:
                    n = box.overlap(deny)
                    if n:
                        example = [min(a & b) for a, b in zip(box.dims, deny.dims, strict=True)]
                        self.add(
                            f"{kind}-conflict",
                            f"{rule.id} allows and {deny.rule.id} denies the same "
                            f"{'cells' if kind == 'access' else 'flows'} ({n}, e.g. "
                            f"{' / '.join(example)}); the deny wins",
                            "if this is a deliberate exception, add "
                            f"`# mph-rules: ignore[{kind}-conflict]` with the article; else "
                            "narrow one of the rules",
                            section,
                            rule.id,
                        )
            same = [
                b
                for b in boxes
                if b is not box and b.unconditional and b.rule.effect is rule.effect
            ]
            redundant = _covered(box, same)
            if redundant:
                by = [b for b in same if box.overlap(b)]
                mutual = [b for b in by if box.unconditional and _covered(b, [box])]
                index = boxes.index(box)
                if mutual and all(boxes.index(b) > index for b in mutual):
                    continue  # identical coverage: report only the later rule
                verb = {Effect.ALLOW: "allow", Effect.DENY: "deny"}[rule.effect]
                self.add(
                    f"{kind}-redundant",
                    f"{rule.id} changes no verdict: {', '.join(b.rule.id for b in by)} "
                    f"already {verb}{'s' if len(by) == 1 else ''} everything it covers"
                    + ("" if box.unconditional else ", whatever its condition"),
                    "merge the citations into one rule, or remove this one",
                    section,
                    rule.id,
                )

    def check_access_sharing(self) -> None:
        pack = self.pack
        access = [self._access_box(r) for r in pack.access]
        forbidden = [
            _Box(
                c,
                (
                    frozenset(self.roles),
                    frozenset({c.id}),
                    frozenset(self.phases),
                    frozenset({"write"}),
                ),
                True,
            )
            for c in pack.data_categories
            if c.forbidden
        ]
        self.check_overlaps("access", access, forbidden)
        sharing = [self._sharing_box(r) for r in pack.sharing]
        self.check_overlaps("sharing", sharing, [])
        readable: dict[str, set[str]] = defaultdict(set)
        for box in access:
            if box.rule.effect is Effect.ALLOW and "read" in box.dims[3]:
                for role in box.dims[0]:
                    readable[role] |= box.dims[1]
        for rule in pack.sharing:
            if rule.effect is not Effect.ALLOW or rule.to_roles == "*":
                continue
            if not self.own("sharing", rule.id):
                continue
            cats = _expand(rule.categories, self.categories)
            blind = {
                role: [c for c in cats if c not in readable.get(role, set())]
                for role in rule.to_roles
            }
            blind = {r: c for r, c in blind.items() if c}
            if blind:
                shown = list(blind.items())[:4]
                parts = "; ".join(
                    f"{role}: {', '.join(c) if len(c) <= 4 else f'{len(c)} categories'}"
                    for role, c in shown
                ) + (f"; +{len(blind) - 4} more roles" if len(blind) > 4 else "")
                self.add(
                    "sharing-without-access",
                    f"{rule.id} shares data with roles that may not read them in the file "
                    f"({parts})",
                    "grant read access, or, if the recipient keeps the data outside the case file "
                    "by design, say so with `# mph-rules: ignore[sharing-without-access]`",
                    "sharing",
                    rule.id,
                )

    # legal bases ----------------------------------------------------------------------------------

    def party_types(self, role_id: str) -> frozenset[str]:
        role: Role | None = self.roles.get(role_id)
        if role is None:
            return frozenset()
        if role.party_types == "any":
            return self.any_types
        return frozenset(t.value for t in role.party_types)

    @staticmethod
    def covers(basis: LegalBasis, party_type: str, kind: str) -> bool:
        types = basis.party_types
        type_ok = types == "any" or (party_type != "any" and party_type in {t.value for t in types})
        return type_ok and kind in {k.value for k in basis.data_kinds}

    def bases_for(self, listed: tuple[str, ...], party_type: str, kind: str) -> list[LegalBasis]:
        pool = [self.bases[b] for b in listed if b in self.bases] if listed else self.bases.values()
        return [b for b in pool if self.covers(b, party_type, kind)]

    def check_legal_bases(self) -> None:
        """Every allowed processing needs a legal basis for the party type of the role that
        processes (the reader or writer; for sharing, the provider) and the data kind."""
        pack = self.pack
        derived: set[str] = set()
        consent_denies_access = [
            self._access_box(r)
            for r in pack.access
            if r.effect is Effect.DENY and _is_missing_consent(r.when)
        ]
        consent_denies_sharing = [
            self._sharing_box(r)
            for r in pack.sharing
            if r.effect is Effect.DENY and _is_missing_consent(r.when)
        ]
        rules: list[tuple[str, Any, _Box, tuple[str, ...], list[_Box]]] = []
        for r in pack.access:
            if r.effect is Effect.ALLOW:
                box = self._access_box(r)
                rules.append(("access", r, box, tuple(sorted(box.dims[0])), consent_denies_access))
        for s in pack.sharing:
            if s.effect is Effect.ALLOW:
                box = self._sharing_box(s)
                rules.append(
                    ("sharing", s, box, tuple(sorted(box.dims[0])), consent_denies_sharing)
                )
        for section, rule, box, actors, consent_denies in rules:
            cat_dim = 1 if section == "access" else 2
            missing: dict[tuple[str, str], list[str]] = defaultdict(list)
            unenforced: dict[str, list[str]] = defaultdict(list)
            used: set[str] = set()
            types = sorted({t for role in actors for t in self.party_types(role)})
            for cat_id in sorted(box.dims[cat_dim]):
                cat: DataCategory = self.categories[cat_id]
                if cat.forbidden and section == "access" and box.dims[3] == {"write"}:
                    continue
                for ptype in types:
                    found = self.bases_for(rule.legal_bases, ptype, cat.kind.value)
                    used.update(b.id for b in found)
                    if not found:
                        missing[(ptype, cat.kind.value)].append(cat_id)
                    elif all(b.requires_consent for b in found) and not _requires_consent(
                        rule.when
                    ):
                        sub = _Box(
                            rule,
                            tuple(
                                d if i != cat_dim else frozenset({cat_id})
                                for i, d in enumerate(box.dims)
                            ),
                            True,
                        )
                        if not _covered(sub, consent_denies):
                            unenforced[found[0].id].append(cat_id)
            if not rule.legal_bases:
                derived |= used
            if not self.own(section, rule.id):
                continue
            if missing:
                parts = []
                offer: set[str] = set()
                absent: list[str] = []
                for (ptype, kind), cats in sorted(missing.items()):
                    shown = ", ".join(cats[:3]) + (f" +{len(cats) - 3}" if len(cats) > 3 else "")
                    parts.append(f"{ptype} x {kind} ({shown})")
                    found = self.bases_for((), ptype, kind)
                    offer.update(b.id for b in found)
                    if not found:
                        absent.append(f"{ptype} x {kind}")
                listed = (
                    f" among its legal_bases {list(rule.legal_bases)}"
                    if rule.legal_bases
                    else " in the pack"
                )
                hints = []
                if offer and rule.legal_bases:
                    hints.append(f"add {', '.join(sorted(offer))} to `legal_bases`")
                if absent:
                    hints.append(
                        f"no basis in the pack covers {', '.join(absent)}: define one "
                        "(legal_bases[]: party_types, data_kinds, ground, law) or narrow the "
                        "rule's roles or categories"
                    )
                hint = "; ".join(hints)
                self.add(
                    "no-legal-basis",
                    f"{rule.id} allows processing with no legal basis{listed} for "
                    + "; ".join(parts),
                    hint,
                    section,
                    rule.id,
                )
            for basis_id in rule.legal_bases:
                basis = self.bases.get(basis_id)
                if basis is None:
                    continue
                if not any(
                    self.covers(basis, t, self.categories[c].kind.value)
                    for t in types
                    for c in box.dims[cat_dim]
                ):
                    self.add(
                        "legal-basis-mismatch",
                        f"{rule.id} lists {basis_id}, which covers none of its party types "
                        f"({', '.join(types)}) and data kinds",
                        f"remove {basis_id} from `legal_bases`, or correct the basis's "
                        "party_types / data_kinds",
                        section,
                        rule.id,
                        ("legal_bases",),
                    )
            for basis_id, cats in unenforced.items():
                self.add(
                    "consent-not-enforced",
                    f"{rule.id} relies on {basis_id} (requires consent) for "
                    f"{', '.join(sorted(set(cats)))}, but neither its `when` nor a deny "
                    "`{not: {consent: ...}}` checks the consent",
                    "add `when: {consent: <scope>}` or a deny rule with "
                    "`when: {not: {consent: <scope>}}`",
                    section,
                    rule.id,
                )
        self.derived_bases = derived

    # the matrix ----------------------------------------------------------------------------------

    def matrix(self) -> AccessMatrix:
        pack = self.pack
        roles = tuple(sorted(self.roles))
        cats = tuple(self.categories)
        cells: dict[tuple[str, str, str, str], list[AccessRule]] = defaultdict(list)
        for rule in pack.access:
            box = self._access_box(rule)
            for cell in box.cells():
                cells[(cell[0], cell[1], cell[2], cell[3])].append(rule)
        out: list[MatrixCell] = []
        for role in roles:
            types = sorted(self.party_types(role))
            for cat in cats:
                category = self.categories[cat]
                for phase in self.phases:
                    for action in ("read", "write"):
                        rules = cells.get((role, cat, phase, action), [])
                        out.append(self._cell(role, category, phase, action, rules, types))
        return AccessMatrix(roles, cats, self.phases, tuple(out))

    def _cell(
        self,
        role: str,
        category: DataCategory,
        phase: str,
        action: str,
        rules: list[AccessRule],
        types: list[str],
    ) -> MatrixCell:
        args = (role, category.id, phase, action)
        if category.forbidden and action == "write":
            return MatrixCell(*args, CellVerdict.DENY, (category.id,))
        denies = [r for r in rules if r.effect is Effect.DENY]
        allows = [r for r in rules if r.effect is Effect.ALLOW]
        fixed = [r for r in denies if r.when is None and r.purposes is None]
        if fixed:
            return MatrixCell(*args, CellVerdict.DENY, tuple(r.id for r in fixed))
        if not allows:
            # a conditional deny without an allow changes nothing: default deny decides
            return MatrixCell(*args, CellVerdict.DEFAULT_DENY, tuple(r.id for r in denies))
        bases = tuple(
            dict.fromkeys(
                b.id
                for r in allows
                for t in types
                for b in self.bases_for(r.legal_bases, t, category.kind.value)
            )
        )
        conditions = [
            describe(r.when) if r.when is not None else f"purpose in {list(r.purposes or ())}"
            for r in allows
            if r.when is not None or r.purposes is not None
        ]
        conditions += [f"denied if {describe(r.when)}" for r in denies if r.when is not None]
        conditions += [
            f"denied unless purpose in {list(r.purposes or ())}" for r in denies if r.when is None
        ]
        unconditional = any(r.when is None and r.purposes is None for r in allows)
        verdict = CellVerdict.ALLOW if unconditional and not denies else CellVerdict.CONDITIONAL
        return MatrixCell(
            *args,
            verdict,
            tuple(r.id for r in (*allows, *denies)),
            bases,
            "; ".join(conditions) or None,
        )


def access_matrix(pack: Pack) -> AccessMatrix:
    """Every role x data category x phase x action cell, with the rules and legal bases that
    decide it; cells no rule decides are default deny."""
    return _Linter(pack).matrix()


def lint_pack(pack: Pack, *, lang_complete: bool = False) -> LintReport:
    """All static checks on a loaded pack. Findings on inherited (baseline) items are left to
    the baseline, except where the pack makes them wrong (e.g. its lifecycle never accepts a
    baseline duty's trigger). ``lang_complete``: also report the pack's own texts for case
    workers that are English plain strings in a Dutch pack (``text-not-translated``)."""
    linter = _Linter(pack)
    if lang_complete:
        linter.check_translated()
    linter.check_sources()
    linter.check_lifecycle()
    linter.check_events()
    linter.check_access_sharing()
    linter.check_legal_bases()
    linter.check_duties()
    linter.check_unused()
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in sorted(
        dict.fromkeys(linter.findings),
        key=lambda f: (f.file or "", f.line or 0, f.check, f.message),
    ):
        (suppressed if linter.loc.ignored(finding) else kept).append(finding)
    files = tuple(s.file for s in linter.loc.sources)
    return LintReport(pack.pack.id, files, tuple(kept), tuple(suppressed), linter.matrix())


# --- comparison across covenants --------------------------------------------------------------

_ISO = re.compile(
    r"^P(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?$"
)
_UNITS = {"Y": "year", "M": "month", "W": "week", "D": "day", "h": "hour", "m": "minute"}
_ANCHORS = {
    "event_date": "",
    "next_day": " from the next day",
    "start_of_next_month": " from the 1st of the next month",
    "start_of_next_year": " from 1 January of the next year",
}


def humanize_duration(text: str, counting: str | None = None) -> str:
    """``P4W`` -> ``4 weeks``; ``P5D`` counted in working days -> ``5 working days``."""
    match = _ISO.match(text)
    if match is None:
        return text
    parts = []
    for key, unit in _UNITS.items():
        value = match.group(key)
        if value is None:
            continue
        n = int(value)
        working = counting in ("working_days", "working_days_statutory")
        name = "working day" if unit == "day" and working else unit
        parts.append(f"{n} {name}{'' if n == 1 else 's'}")
    if not parts or all(p.startswith("0 ") for p in parts):
        return "immediately"
    return " ".join(parts)


def deadline_text(deadline: Any) -> str:
    """A deadline (or an open one) as a person reads it, with how it is counted."""
    if isinstance(deadline, Unspecified):
        return "open (the source gives no period)"
    counting = deadline.counting.value
    if deadline.duration is None:
        return "as soon as possible (no latest date)"
    text = humanize_duration(deadline.duration, counting) + _ANCHORS[deadline.anchor.value]
    if counting not in ("calendar", "working_days"):
        text += f" ({counting})"
    return ("as soon as possible, at the latest " if deadline.asap else "") + text


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class ComparisonRow:
    """One aspect of the covenants, one value per pack (lines joined by newlines)."""

    aspect: str
    item: str
    values: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "aspect": self.aspect,
            "item": self.item,
            "values": list(self.values),
            "differs": self.differs,
        }


@dataclass(frozen=True)
class Comparison:
    """Covenants side by side on the points where municipalities differ most."""

    packs: tuple[str, ...]
    titles: tuple[str, ...]
    rows: tuple[ComparisonRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "packs": list(self.packs),
            "titles": list(self.titles),
            "rows": [r.to_dict() for r in self.rows],
        }


class _Describer:
    """Plain-language lines about one pack, keyed so packs can be lined up; every word from
    the message catalogue in one language, conditions in words with the pack's labels."""

    def __init__(self, pack: Pack, lang: str) -> None:
        # imported here: render imports this module (access matrix, lint report)
        from mph_rules.render.conditions import Labels
        from mph_rules.render.i18n import Messages

        self.pack = pack
        self.loc = Locator(pack)
        self.m = Messages(lang)
        self.words = Labels.of(pack, self.m)
        self.roles = {r.id: self.m.text(r.label) for r in pack.roles}
        self.grounds = {g.id: self.m.text(g.label) for g in pack.exception_grounds}

    def describe(self, condition: Condition) -> str:
        from mph_rules.render.conditions import describe as in_words

        return in_words(condition, self.words)

    def deadline(self, deadline: Any) -> str:
        from mph_rules.render import periods

        return periods.deadline(deadline, self.m)

    def event(self, event_type: str) -> str:
        """The row key of an event: its type in English (as the packs name it), in words in
        Dutch."""
        return self.m.event(event_type) if self.m.lang == "nl" else event_type

    def origin(self, section: str, item_id: str) -> str:
        return "" if self.loc.is_own(section, item_id) else " " + self.m("docs.statute_baseline")

    def intake(self) -> dict[str, str]:
        m = self.m
        intake = self.pack.intake
        if intake is None:
            return {m("compare.item.criteria"): m("docs.none"), m("compare.item.decided_by"): "-"}
        lines = []
        for c in intake.criteria:
            cond = (
                m("docs.period_open", note=_short(m.text(c.condition.note), 50))
                if isinstance(c.condition, Unspecified)
                else _short(self.describe(c.condition), 120)
            )
            lines.append(
                m(
                    "compare.criterion",
                    kind=m("docs.required" if c.required else "docs.indicator"),
                    label=m.text(c.label),
                    condition=cond,
                    cite=c.source.cite(),
                )
            )
        return {
            m("compare.item.criteria"): "\n".join(lines),
            m("compare.item.decided_by"): ", ".join(intake.decided_by),
        }

    def retention(self) -> dict[str, str]:
        from mph_rules.render import periods

        m = self.m
        out: dict[str, list[str]] = defaultdict(list)
        for clock in self.pack.retention:
            if isinstance(clock.duration, Unspecified):
                period = m("docs.period_open", note=_short(m.text(clock.duration.note), 50))
            else:
                period = periods.duration(clock.duration, clock.counting.value, m)
                period += periods.anchor(clock.anchor.value, m)
                if clock.counted_from is not None:
                    period += ", " + m(
                        "compare.counted_from", event=self.event(clock.counted_from.event)
                    )
            when = (
                " " + m("docs.if", clause=self.describe(clock.trigger.when))
                if clock.trigger.when
                else ""
            )
            out[m("compare.item.on", event=self.event(clock.trigger.event))].append(
                f"{clock.scope}: {period}{when} ({clock.source.cite()})"
                + self.origin("retention", clock.id)
            )
        return {k: "\n".join(v) for k, v in out.items()}

    def duties(self) -> dict[str, str]:
        m = self.m
        out: dict[str, list[str]] = defaultdict(list)
        for d in self.pack.information_duties:
            grounds = [self.grounds.get(g, g) for g in d.exception_grounds]
            exc = "; ".join(_short(g, 50) for g in grounds) if grounds else m("docs.none")
            out[m("compare.item.on", event=self.event(d.trigger.event))].append(
                m(
                    "compare.duty",
                    informer=d.informer,
                    recipient=d.recipient,
                    about=d.about,
                    deadline=self.deadline(d.deadline),
                    exceptions=exc,
                    cite=d.source.cite(),
                )
                + self.origin("information_duties", d.id)
            )
        return {k: "\n".join(v) for k, v in out.items()}

    def rights(self) -> dict[str, str]:
        m = self.m
        out = {}
        for r in sorted(self.pack.rights, key=lambda r: list(RightKind).index(r.right)):
            text = self.deadline(r.deadline)
            if r.extension is not None:
                text += ", " + m("compare.extension", deadline=self.deadline(r.extension))
            key = f"compare.right.{r.right.value}"
            out[m(key) if m.has(key) else r.right.value] = (
                f"{text} ({r.source.cite()})" + self.origin("rights", r.id)
            )
        return out

    def police(self) -> dict[str, str]:
        m = self.m
        matrix = access_matrix(self.pack)
        police = {
            c.id for c in self.pack.data_categories if c.kind.value in ("police", "special_police")
        }
        categories, readers_key, receivers_key = (
            m("compare.item.categories"),
            m("compare.item.may_read"),
            m("compare.item.may_receive"),
        )
        if not police:
            return {categories: m("docs.none"), readers_key: "-", receivers_key: "-"}
        readers: dict[str, str] = {}
        for cell in matrix.cells:
            if cell.category in police and cell.action == "read":
                if cell.verdict is CellVerdict.ALLOW:
                    readers[cell.role] = ""
                elif cell.verdict is CellVerdict.CONDITIONAL:
                    readers.setdefault(cell.role, " " + m("compare.conditionally"))
        receivers: dict[str, set[str]] = defaultdict(set)
        roles = list(self.roles)
        for rule in self.pack.sharing:
            if rule.effect is not Effect.ALLOW:
                continue
            cats = set(_expand(rule.categories, [c.id for c in self.pack.data_categories]))
            if cats & police:
                for to in _expand(rule.to_roles, roles):
                    for frm in _expand(rule.from_roles, roles):
                        receivers[to].add(frm)
        return {
            categories: ", ".join(sorted(police)),
            readers_key: ", ".join(f"{r}{c}" for r, c in sorted(readers.items()))
            or m("compare.nobody"),
            receivers_key: "\n".join(
                m("compare.receives_from", to=to, roles=", ".join(sorted(frm)))
                for to, frm in sorted(receivers.items())
            )
            or m("compare.nobody"),
        }

    def forbidden(self) -> str:
        return ", ".join(c.id for c in self.pack.data_categories if c.forbidden) or self.m(
            "docs.none"
        )


def compare_packs(packs: Sequence[Pack], *, lang: str = "en") -> Comparison:
    """Line packs up on intake, retention, information-duty exceptions, rights deadlines and
    police data. Rows are keyed by the core vocabulary (event types, right kinds), which every
    pack shares, so like is compared with like. ``lang``: the language of the cells (nl|en);
    the aspects stay keys (renderers name them)."""
    described = [_Describer(p, lang) for p in packs]
    m = described[0].m if described else None
    rows: list[ComparisonRow] = []

    def add(aspect: str, per_pack: list[dict[str, str]], absent: str) -> None:
        keys = list(dict.fromkeys(k for d in per_pack for k in d))
        for key in keys:
            rows.append(ComparisonRow(aspect, key, tuple(d.get(key, absent) for d in per_pack)))

    if m is not None:
        add("intake", [d.intake() for d in described], "-")
        add("retention", [d.retention() for d in described], m("compare.no_clock"))
        add("information duties", [d.duties() for d in described], m("compare.no_duty"))
        add("rights", [d.rights() for d in described], m("compare.not_regulated"))
        add("police data", [d.police() for d in described], "-")
        rows.append(
            ComparisonRow(
                "data categories",
                m("compare.item.never_recorded"),
                tuple(d.forbidden() for d in described),
            )
        )
    return Comparison(
        tuple(p.pack.id for p in packs),
        tuple(d.m.text(d.pack.pack.title) for d in described),
        tuple(rows),
    )
