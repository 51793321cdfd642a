"""Pack -> CompiledPack: indexes so evaluation never scans every rule.

Access rules are indexed by (role, action); the rules of a (role, category, phase, action)
cell are found on first use and kept, and a cell whose rules carry no condition and no purpose
gets its verdict decided once, so the common ``check_access`` is a dictionary lookup. Nothing is
expanded to roles x categories x phases at compile time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mph_rules.conditions import Condition, Node, compile_condition
from mph_rules.decision import TraceEntry, Verdict
from mph_rules.schema import (
    AccessRule,
    Action,
    DataCategory,
    Effect,
    InformationDuty,
    Pack,
    Precondition,
    ProcessDeadline,
    RetentionClock,
    Right,
    RightKind,
    SharingRule,
    Transition,
)
from mph_rules.schema.pack import RULE_SECTIONS

Cell = tuple[str, str, str, str]


@dataclass(frozen=True)
class CompiledPack:
    """Read-only indexes over one resolved pack."""

    pack: Pack
    origins: dict[str, str]
    sources: dict[str, str]  # rule id -> "document article"
    initial: str
    phases: tuple[str, ...]
    accepts: dict[str, frozenset[str]]
    always: frozenset[str]
    transitions: dict[tuple[str, str], tuple[Transition, ...]]
    preconditions: dict[str, tuple[Precondition, ...]]
    duties_by_trigger: dict[str, tuple[InformationDuty, ...]]
    duties: dict[str, InformationDuty]
    fulfilling_events: frozenset[str]
    deadlines_by_start: dict[str, tuple[ProcessDeadline, ...]]
    deadlines_by_until: dict[str, tuple[ProcessDeadline, ...]]
    clocks_by_trigger: dict[str, tuple[RetentionClock, ...]]
    clocks_by_cancel: dict[str, tuple[RetentionClock, ...]]
    scopes: tuple[str, ...]
    clocks: tuple[RetentionClock, ...]
    rights: dict[RightKind, Right]
    categories: dict[str, DataCategory]
    category_ids: frozenset[str]
    duty_ids: frozenset[str]
    roles: frozenset[str]
    parties: frozenset[str]
    grounds: frozenset[str]
    event_types: frozenset[str]
    access_cells: AccessCells
    access_fixed: dict[Cell, Verdict]
    sharing_index: SharingIndex
    default_sources: dict[str, str]
    overridden: dict[str, str] = field(default_factory=dict)
    # compiled conditions by the identity of the pack's condition objects (see node())
    nodes: dict[int, tuple[Condition, Node]] = field(default_factory=dict)
    # access cells fixed_access found conditional: not looked at again
    access_open: set[Cell] = field(default_factory=set)

    def node(self, condition: Condition) -> Node:
        """The compiled form of one of this pack's conditions, built once and kept."""
        found = self.nodes.get(id(condition))
        if found is not None and found[0] is condition:
            return found[1]
        node = compile_condition(condition)
        self.nodes[id(condition)] = (condition, node)
        return node

    def cite(self, rule_id: str) -> str | None:
        return self.sources.get(rule_id)

    def fixed_access(self, cell: Cell) -> Verdict | None:
        """The verdict of an access cell whose rules carry no condition and no purpose,
        decided once and memoised; None for conditional cells and unknown names."""
        verdict = self.access_fixed.get(cell)
        if verdict is not None:
            return verdict
        if cell in self.access_open:
            return None
        role, category, phase, action = cell
        if (
            role not in self.roles
            or category not in self.categories
            or phase not in self.phases
            or action not in ("read", "write")
        ):
            return None
        rules = self.access_cells.get(cell, ())
        if any(r.when is not None or r.purposes is not None for r in rules):
            if len(self.access_open) < 65536:  # bounded: cells of known names only
                self.access_open.add(cell)
            return None
        cat = self.categories[category]
        verdict = decide_access(
            cell, rules, cat if cat.forbidden else None, self.sources, self.origins, None
        )
        self.access_fixed[cell] = verdict
        return verdict


def _group(pairs: list[tuple[Any, Any]]) -> dict[Any, tuple[Any, ...]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return {k: tuple(v) for k, v in grouped.items()}


def compile_pack(pack: Pack) -> CompiledPack:
    """Build the indexes; called once per pack (an Engine holds the result)."""
    from mph_rules.events import CORE_EVENTS

    prov = pack.provenance
    lifecycle = pack.lifecycle
    phases = tuple(p.id for p in lifecycle.phases) if lifecycle else ("open",)
    initial = lifecycle.initial if lifecycle else "open"
    sources: dict[str, str] = {}
    for section in (
        *RULE_SECTIONS,
        "data_categories",
        "exception_grounds",
    ):
        for item in getattr(pack, section):
            sources[item.id] = item.source.cite()
    if lifecycle:
        for item in (*lifecycle.phases, *lifecycle.transitions, *lifecycle.deadlines):
            sources[item.id] = item.source.cite()
    if pack.intake:
        for crit in pack.intake.criteria:
            sources[crit.id] = crit.source.cite()
    categories = {c.id: c for c in pack.data_categories}
    roles = frozenset(r.id for r in pack.roles)
    event_types = frozenset(CORE_EVENTS) | frozenset(e.type for e in pack.events)
    always = frozenset(lifecycle.always_accepted) if lifecycle else event_types
    accepts = {p.id: frozenset(p.accepts) for p in lifecycle.phases} if lifecycle else {}
    transitions = _group(
        [((src, t.on), t) for t in (lifecycle.transitions if lifecycle else ()) for src in t.from_]
    )
    duties = {d.id: d for d in pack.information_duties}
    fulfilling = {"notification_sent", "household_informed"} | {
        ref.event for d in pack.information_duties for ref in d.fulfilled_by
    }
    defaults = pack.defaults
    default_sources = {
        kind: rule.source.cite()
        for kind in ("access", "sharing")
        if defaults is not None and (rule := getattr(defaults, kind)) is not None
    }
    origins = dict(prov.origins)
    for kind, cite in default_sources.items():
        sources[f"default_deny.{kind}"] = cite
        origins.setdefault(f"default_deny.{kind}", pack.pack.id)
    cells = AccessCells(pack, tuple(categories), phases)
    sharing = SharingIndex(pack.sharing, frozenset(categories), roles)
    scopes = tuple(dict.fromkeys(c.scope for c in pack.retention))
    return CompiledPack(
        pack=pack,
        origins=origins,
        sources=sources,
        initial=initial,
        phases=phases,
        accepts=accepts,
        always=always,
        transitions=transitions,
        preconditions=_group([(p.event, p) for p in pack.preconditions]),
        duties_by_trigger=_group([(d.trigger.event, d) for d in pack.information_duties]),
        duties=duties,
        fulfilling_events=frozenset(fulfilling),
        deadlines_by_start=_group(
            [(d.start.event, d) for d in (lifecycle.deadlines if lifecycle else ())]
        ),
        deadlines_by_until=_group(
            [(d.until.event, d) for d in (lifecycle.deadlines if lifecycle else ())]
        ),
        clocks_by_trigger=_group([(c.trigger.event, c) for c in pack.retention]),
        clocks_by_cancel=_group([(ref.event, c) for c in pack.retention for ref in c.cancelled_by]),
        scopes=scopes,
        clocks=pack.retention,
        rights={r.right: r for r in pack.rights},
        categories=categories,
        category_ids=frozenset(categories),
        duty_ids=frozenset(duties),
        roles=roles,
        parties=frozenset(p.id for p in pack.parties),
        grounds=frozenset(g.id for g in pack.exception_grounds),
        event_types=event_types,
        access_cells=cells,
        access_fixed={},
        sharing_index=sharing,
        default_sources=default_sources,
        overridden=dict(prov.overridden),
    )


class AccessCells(Mapping[Cell, tuple[AccessRule, ...]]):
    """The access rules of each (role, category, phase, action) cell, found on first use.

    Rules are indexed by (role, action) at compile time, so compiling and memory grow with the
    rules, not with roles x categories x phases; a cell is filtered from its (role, action)
    rules when first asked for and kept (what is kept grows with the cells actually used).
    """

    def __init__(self, pack: Pack, categories: tuple[str, ...], phases: tuple[str, ...]) -> None:
        grouped: dict[tuple[str, str], list[AccessRule]] = defaultdict(list)
        for rule in pack.access:
            for role in rule.roles:
                for action in rule.actions:
                    grouped[(role, action.value)].append(rule)
        self._by_role = {k: tuple(v) for k, v in grouped.items()}
        self._categories = categories
        self._category_set = frozenset(categories)
        self._phases = phases
        self._phase_set = frozenset(phases)
        self._rule_sets = {
            id(r): (
                None if r.categories == "*" else frozenset(r.categories),
                None if r.phases == "*" else frozenset(r.phases),
            )
            for r in pack.access
        }
        self._cells: dict[Cell, tuple[AccessRule, ...]] = {}

    def __getitem__(self, cell: Cell) -> tuple[AccessRule, ...]:
        found = self._cells.get(cell)
        if found is None:
            found = self._find(cell)
            if not found:
                raise KeyError(cell)
        return found

    def get(self, cell: Cell, default: Any = None) -> Any:
        found = self._cells.get(cell)
        if found is None:
            found = self._find(cell)
        return found or default

    def _find(self, cell: Cell) -> tuple[AccessRule, ...]:
        role, category, phase, action = cell
        if category not in self._category_set or phase not in self._phase_set:
            return ()
        sets = self._rule_sets
        found = tuple(
            rule
            for rule in self._by_role.get((role, action), ())
            if ((cats := sets[id(rule)][0]) is None or category in cats)
            and ((phs := sets[id(rule)][1]) is None or phase in phs)
        )
        if found:
            self._cells[cell] = found
        return found

    def __iter__(self) -> Iterator[Cell]:
        for role, action in self._by_role:
            for category in self._categories:
                for phase in self._phases:
                    if self._find((role, category, phase, action)):
                        yield (role, category, phase, action)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class SharingIndex:
    """The sharing rules of each (category, giver), in pack order, found on first use and
    kept: nothing is expanded to categories x roles at compile time."""

    def __init__(
        self, rules: tuple[SharingRule, ...], categories: frozenset[str], roles: frozenset[str]
    ) -> None:
        self._rules = tuple(
            (
                rule,
                categories if rule.categories == "*" else frozenset(rule.categories),
                roles if rule.from_roles == "*" else frozenset(rule.from_roles),
            )
            for rule in rules
        )
        self._found: dict[tuple[str, str], tuple[SharingRule, ...]] = {}

    def get(
        self, key: tuple[str, str], default: tuple[SharingRule, ...] = ()
    ) -> tuple[SharingRule, ...]:
        found = self._found.get(key)
        if found is None:
            cat, giver = key
            found = tuple(r for r, cats, givers in self._rules if cat in cats and giver in givers)
            if len(self._found) < 100_000:  # bounded: keys come from validated names
                self._found[key] = found
        return found or default


def pack_category_forbidden(pack: Pack, category: str) -> DataCategory | None:
    for cat in pack.data_categories:
        if cat.id == category and cat.forbidden:
            return cat
    return None


def decide_access(
    cell: Cell,
    rules: tuple[AccessRule, ...],
    forbidden: DataCategory | None,
    sources: dict[str, str],
    origins: dict[str, str],
    applies: Any,
) -> Verdict:
    """Deny wins over allow; no applicable allow means default deny. ``applies(rule)`` tests
    purpose and condition (None: every candidate applies)."""
    role, category, phase, action = cell
    trace: list[TraceEntry] = []
    if forbidden is not None and action == Action.WRITE.value:
        reason = f"{category} may never be recorded ({forbidden.label})"
        entry = TraceEntry(
            forbidden.id, "denied", reason, forbidden.source.cite(), origins.get(forbidden.id)
        )
        return Verdict(False, (forbidden.id,), (reason,), (entry,))
    allow: list[AccessRule] = []
    deny: list[AccessRule] = []
    for rule in rules:
        ok, why = (True, "") if applies is None else applies(rule)
        if not ok:
            trace.append(
                TraceEntry(
                    rule.id, "not_applicable", why, sources.get(rule.id), origins.get(rule.id)
                )
            )
            continue
        (deny if rule.effect is Effect.DENY else allow).append(rule)
    what = f"{role} {action} {category} in phase {phase}"
    if deny:
        reasons = tuple(f"{r.id} forbids {what}" for r in deny)
        trace += [
            TraceEntry(r.id, "denied", f"forbids {what}", sources.get(r.id), origins.get(r.id))
            for r in deny
        ]
        return Verdict(False, tuple(r.id for r in deny), reasons, tuple(trace))
    if allow:
        reasons = tuple(f"{r.id} allows {what}" for r in allow)
        trace += [
            TraceEntry(r.id, "allowed", f"allows {what}", sources.get(r.id), origins.get(r.id))
            for r in allow
        ]
        return Verdict(True, tuple(r.id for r in allow), reasons, tuple(trace))
    reason = f"no rule allows {what} (default deny)"
    rule_id = "default_deny.access"
    cite = sources.get(rule_id)
    trace.append(TraceEntry(rule_id, "default_deny", reason, cite, origins.get(rule_id)))
    return Verdict(False, (rule_id,) if cite else (), (reason,), tuple(trace))
