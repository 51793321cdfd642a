"""The access family: who may read and write which data category in which phase.

Reading a file (``file_accessed``) and recording data (``data_recorded``) are judged per
category against the access cells; deny wins, no applicable allow is default deny.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, cast

from mph_rules.compile import Cell, decide_access
from mph_rules.decision import RoleAccess, Verdict
from mph_rules.engine.family import RuleFamily
from mph_rules.engine.memo import Memo
from mph_rules.engine.point_query import (
    ABSENT,
    NOT_PLAIN,
    NOTHING,
    PARTS,
    PLAIN,
    ROOTS,
    UNPLAIN,
    context_parts,
    context_plan,
    in_phase,
    plan_steps,
    planned_key,
    query_state,
    reads_context,
    values_key,
    values_keyer,
)
from mph_rules.engine.state import CaseState, Context
from mph_rules.events import Event
from mph_rules.schema import Effect

_BLANK_PURPOSES = 4  # verdicts a conditional cell keeps for queries without context
_GROUP_CATEGORIES = 8  # events naming more categories are decided cell by cell
_GROUPS = 4096  # (role, categories, phase, action) groups kept: the category lists vary
_QUERY_VALUES = 256  # verdicts a conditional cell keeps per plain context (query())


def combine(verdicts: list[Verdict]) -> Verdict:
    """Several verdicts on one event: all must allow; a denial lists only the deniers."""
    if len(verdicts) == 1:
        return verdicts[0]
    allowed = all(v.allowed for v in verdicts)
    chosen = verdicts if allowed else [v for v in verdicts if not v.allowed]
    rules = tuple(dict.fromkeys(r for v in chosen for r in v.rules))
    reasons = tuple(r for v in chosen for r in v.reasons)
    trace = tuple(t for v in verdicts for t in v.trace)
    return Verdict(allowed, rules, reasons, trace)


class ConditionalCell:
    """An access cell whose verdict depends on the query: ``decide(purpose, context)``,
    ``blank(purpose)`` for a query without context or session, ``query(purpose, context)``
    for a query with a context of facts (and no session). ``tests`` are its varying
    rules' (purposes, condition) and ``verdict(purpose, varied)`` the verdict for their
    outcomes (0 applies, 1 purpose excluded, 2 condition not met), as ``decide`` computes
    them: an event's cells share the outcomes of the conditions they have in common."""

    __slots__ = ("blank", "decide", "query", "tests", "verdict")

    def __init__(
        self,
        decide: Callable[[str | None, Context], Verdict],
        blank: Callable[[str | None], Verdict],
        query: Callable[[str | None, Mapping[str, Any]], Verdict],
        tests: tuple[tuple[Any, Any], ...] = (),
        verdict: Callable[[str | None, tuple[int, ...]], Verdict] | None = None,
    ) -> None:
        self.decide = decide
        self.blank = blank
        self.query = query
        self.tests = tests
        self.verdict = verdict


class Access(RuleFamily):
    name = "access"
    checks = frozenset({"file_accessed", "data_recorded"})
    reacts_to = checks

    def __init__(self, engine: Any, memo: Memo) -> None:
        super().__init__(engine)
        self.memo = memo
        self._summary: dict[str, tuple[RoleAccess, ...]] = {}
        # each cell compiled so far (see ``cell``)
        self._cells: dict[Cell, Verdict | ConditionalCell] = {}
        # per cell, the verdict of a query without purpose, context or session where it is
        # known to be a pure function of the cell (a fixed cell's, or the blank answer a
        # conditional cell kept): such a query reads one table (see Engine.check_access)
        self.plain: dict[Cell, Verdict] = {}
        # a conditional cell's blank verdict with the parts of a context (``context_parts``)
        # that can change it, for a query with a context and no purpose or session: one
        # that gives none of those parts is answered with it (see ``_conditional``), one
        # that does by the cell's ``given_query``
        self.unread: dict[Cell, tuple[int, Verdict, Callable[[Any, int], Verdict]]] = {}
        self._blank: dict[str, CaseState] = {}
        self._blank_ctx: dict[str, Context] = {}
        self._groups: dict[Any, tuple[Any, tuple[Verdict | ConditionalCell, ...]] | None] = {}

    def check(self, i: int, event: Event, state: CaseState, ctx: Context) -> Verdict:
        p = event.parsed
        action = "read" if event.type == "file_accessed" else "write"
        role = event.actor.role if event.actor else ""
        purpose = p.purpose
        group = self._group(role, p.categories, state.phase, action)
        if group is not None and (purpose is None or type(purpose) is str):
            return self._grouped(group, purpose, ctx)
        verdicts = [
            self.access((role, cat, state.phase, action), purpose, ctx) for cat in p.categories
        ]
        return self.memo.combined(verdicts, combine)

    def _group(
        self, role: str, categories: Any, phase: str, action: str
    ) -> tuple[Any, tuple[Verdict | ConditionalCell, ...]] | None:
        """Per (role, categories, phase, action) of an event, once: a memo name and its
        cells; None where a cell is not kept or the event names many categories."""
        name = (role, tuple(categories), phase, action)
        if name in self._groups:
            return self._groups[name]
        cells = [self.cell((role, cat, phase, action)) for cat in name[1]]
        found = None
        if len(cells) <= _GROUP_CATEGORIES and all(c is not None for c in cells):
            found = (("access*", name), tuple(c for c in cells if c is not None))
        if len(self._groups) >= _GROUPS:
            self._groups.clear()
        self._groups[name] = found
        return found

    def _grouped(
        self,
        group: tuple[Any, tuple[Verdict | ConditionalCell, ...]],
        purpose: str | None,
        ctx: Context,
    ) -> Verdict:
        """The combined verdict of an event's cells, memoised whole under the outcomes of
        each conditional cell's rules (what each cell's own verdict is memoised under), each
        condition tested once per event and in the order ``decide`` tests them."""
        name, cells = group
        seen: dict[Any, bool] = {}
        outcomes: list[tuple[int, ...]] = []
        for found in cells:
            if isinstance(found, Verdict):
                continue
            varied = []
            for purposes, holds in found.tests:
                if purposes is not None and purpose not in purposes:
                    varied.append(1)
                elif holds is None:
                    varied.append(0)
                else:
                    met = seen.get(holds)
                    if met is None:
                        met = seen[holds] = bool(holds(ctx))
                    varied.append(0 if met else 2)
            outcomes.append(tuple(varied))
        memo = self.memo
        key = (name, purpose, tuple(outcomes))
        verdict = memo.get(key)
        if verdict is None:
            parts = iter(outcomes)
            verdicts = [
                memo.keep(found)
                if isinstance(found, Verdict)
                else found.verdict(purpose, next(parts))  # type: ignore[misc]
                for found in cells
            ]
            verdict = memo.combined(verdicts, combine)
            memo.put(key, verdict)
        return verdict

    def access(self, cell: Cell, purpose: str | None, ctx: Context) -> Verdict:
        found = self.cell(cell)
        if found is None:  # e.g. an event without an actor: default deny, nothing kept
            found = self._conditional(cell)
        if isinstance(found, Verdict):
            return self.memo.keep(found)
        return found.decide(purpose, ctx)

    def cell(self, cell: Cell) -> Verdict | ConditionalCell | None:
        """A cell as compiled on first use and kept: its verdict when no condition or purpose
        can change it, else a function of (purpose, context); None for an unknown name."""
        found = self._cells.get(cell)
        if found is None:
            found = self.cp.fixed_access(cell)
            if found is None:
                cp = self.cp
                if not (cell[0] in cp.roles and cell[1] in cp.categories and cell[2] in cp.phases):
                    return None
                if cell[3] not in ("read", "write"):  # default deny, not kept: a caller's value
                    return self._conditional(cell)
                found = self._conditional(cell)
            self._cells[cell] = found
            if isinstance(found, Verdict):
                self.plain[cell] = found
        return found

    def query_context(self, phase: str, context: Mapping[str, Any]) -> Context:
        """The context of a point query with ``context`` (its ``facts``, ``consents`` and
        ``payload``) and no session. The caller's facts and payload are read where they are
        plain dicts (conditions only read), copied otherwise (as before: a non-mapping fails
        here as it did)."""
        state = query_state(phase, context, self.engine.settings)
        payload: Any = context.get("payload")
        if type(payload) is not dict:
            payload = {} if payload is None and "payload" not in context else dict(payload)
        return Context(state, None, payload)

    def blank_context(self, phase: str) -> Context:
        """The context of a point query without context or session (see ``blank_state``)."""
        ctx = self._blank_ctx.get(phase)
        if ctx is None:
            ctx = self._blank_ctx[phase] = Context(self.blank_state(phase), None, NOTHING)
        return ctx

    def blank_state(self, phase: str) -> CaseState:
        """The state a point query without context or session reads: an empty case in
        ``phase`` with the engine's settings, built once per phase and kept. Its tables are
        read-only views, so a condition can read it but never change it (a write raises):
        sharing it between queries cannot make one answer depend on another."""
        state = self._blank.get(phase)
        if state is None:
            empty = cast(dict[Any, Any], MappingProxyType({}))
            state = CaseState(phase, empty, empty, MappingProxyType(dict(self.engine.settings)))
            state.occurred = state.last = state.matched = state.consents = state.requests = empty
            state.open_duties = state.open_deadlines = state.clocks = empty
            state.request_rights = state.counter = empty
            state.notifications = state.deadlines = state.trace = cast(list[Any], ())
            state.holds_seen = cast(list[Any], ())
            state.mandates = cast(set[str], frozenset())
            self._blank[phase] = state
        return state

    def _conditional(self, cell: Cell) -> Verdict | ConditionalCell:
        """A conditional cell compiled to a closure. Its verdict depends on the context only
        through each rule's outcome (its purposes exclude the query's, its condition is not
        met, or it applies), so it is memoised under those outcomes and the purpose:
        transparent by construction, history-reading conditions included (their outcome is
        computed, never assumed). A forbidden category's write is refused whatever the rules.

        Long for a reason: the closures below (decide, blank, query, given_query) are the
        cell's compiled form and share its state (its tests, kept verdicts and context
        plan) as closure variables, which is what makes a query a few lookups; check_access
        reads ``plain`` and ``unread`` first, which ``blank`` fills."""
        cp = self.cp
        category = cp.categories.get(cell[1])
        forbidden = category if category is not None and category.forbidden else None
        rules = cp.access_cells.get(cell, ())
        sources, origins = cp.sources, cp.origins
        if forbidden is not None and cell[3] == "write":
            return decide_access(cell, rules, forbidden, sources, origins, None)
        # only the rules whose outcome can vary are tested; the others always apply
        varying = tuple(
            (i, rule.purposes, None if rule.when is None else self.node(rule.when).holds)
            for i, rule in enumerate(rules)
            if rule.purposes is not None or rule.when is not None
        )
        tests = tuple((purposes, holds) for _, purposes, holds in varying)
        # which tests a query's context can change (see reads_context); the others read only
        # settings and the case's history, which a query without a session does not have
        contextual = tuple(
            rules[i].when is not None and reads_context(self.node(rules[i].when).reads)
            for i, _, _ in varying
        )
        where = tuple(i for i, _, _ in varying)
        unmet = {
            id(rule): f"condition not met: {self.node(rule.when).text}"
            for rule in rules
            if rule.when is not None
        }
        read = [self.node(rules[i].when).reads for i, _, _ in varying if rules[i].when is not None]
        plan = context_plan([reads for reads in read if reads_context(reads)])
        keyed = values_keyer(plan)
        by_values: dict[tuple[Any, ...], Verdict] = {}  # query(): see there
        varies = True in contextual
        # the parts of a plain context the contextual conditions read (their plan's roots):
        # a plain context without any of them reads as the blank context does (empty facts,
        # payload and consents), so its verdict is the blank query's; None when not known
        parts_read = (
            UNPLAIN
            if not varies
            else None
            if plan is None
            else UNPLAIN | sum({PARTS[root] for root, _ in plan})
        )
        # only a cell of the pack's names is listed in check_access's tables (a caller's
        # other action is compiled per query and never kept: see ``cell``)
        listed = (
            cell[3] in ("read", "write")
            and cell[0] in cp.roles
            and cell[1] in cp.categories
            and cell[2] in cp.phases
        )
        memo = self.memo
        name = f"access {cell}"  # a string: its hash is computed once
        applies = (True, "")

        def fresh(purpose: str | None, varied: tuple[int, ...]) -> Verdict:
            outcomes = [0] * len(rules)
            for i, outcome in zip(where, varied, strict=True):
                outcomes[i] = outcome
            why = {}
            for rule, outcome in zip(rules, outcomes, strict=True):
                if outcome == 1:
                    why[id(rule)] = (
                        False,
                        f"purpose {purpose!r} is not one of {list(rule.purposes or ())}",
                    )
                else:
                    why[id(rule)] = (False, unmet[id(rule)]) if outcome == 2 else applies
            return decide_access(cell, rules, None, sources, origins, lambda r: why[id(r)])

        def verdict(purpose: str | None, varied: tuple[int, ...]) -> Verdict:
            key = (name, purpose, varied) if purpose is None or type(purpose) is str else None
            found = memo.get(key)
            if found is None:
                found = fresh(purpose, varied)
                memo.put(key, found)
            return found

        def decide(purpose: str | None, ctx: Context) -> Verdict:
            varied = tuple(
                [
                    1
                    if purposes is not None and purpose not in purposes
                    else 2
                    if holds is not None and not holds(ctx)
                    else 0
                    for purposes, holds in tests
                ]
            )
            return verdict(purpose, varied)

        met: tuple[bool, ...] | None = None  # each condition's outcome in the blank context

        answers: dict[str | None, Verdict] = {}  # blank queries: the verdict per purpose
        absent, plain_types = ABSENT, PLAIN
        plain = self.plain

        def blank_met() -> tuple[bool, ...] | None:
            """Each condition's outcome in the blank context, computed once and kept (the
            blank context is read-only and the conditions pure); None if one raises (an odd
            value: then decided afresh each time, where it may raise)."""
            nonlocal met
            if met is None:
                ctx = self.blank_context(cell[2])
                try:
                    met = tuple(holds is None or bool(holds(ctx)) for _, holds in tests)
                except Exception:
                    return None
            return met

        def blank(purpose: str | None) -> Verdict:
            """A query without context or session: each condition's outcome is the blank
            context's (``blank_met``); the verdict of the first few purposes asked is kept (a
            pure function of the purpose)."""
            found = answers.get(purpose) if purpose is None or type(purpose) is str else None
            if found is not None:
                return found
            outcomes = blank_met()
            if outcomes is None:
                return decide(purpose, self.blank_context(cell[2]))
            varied = tuple(
                [
                    1 if purposes is not None and purpose not in purposes else 0 if ok else 2
                    for (purposes, _), ok in zip(tests, outcomes, strict=True)
                ]
            )
            found = verdict(purpose, varied)
            if (purpose is None or type(purpose) is str) and len(answers) < _BLANK_PURPOSES:
                answers[purpose] = found
                if purpose is None and listed:
                    plain[cell] = found
                    if parts_read is not None:
                        self.unread[cell] = (parts_read, found, given_query)
            return found

        def query(purpose: str | None, context: Mapping[str, Any]) -> Verdict:
            """A query with a context of facts and no session: only the conditions that read
            the context are tested; the others read what the blank context holds too
            (settings, an empty history), so their outcome there is used. Without such a
            condition the answer is the blank query's. Where the context's values those
            conditions read are all plain (``values_key``), the verdict is a pure function of
            them and the purpose, and is kept per cell under them (bounded)."""
            key = keyed(purpose, context)
            if key is NOT_PLAIN:  # read as before: every condition tested
                return decide(purpose, self.query_context(cell[2], context))
            if key is not None:
                found = by_values.get(key)
                if found is not None:
                    return found
            found = contextual_query(purpose, context) if varies else blank(purpose)
            if key is not None:
                if len(by_values) >= _QUERY_VALUES:
                    by_values.clear()
                by_values[key] = found
                if purpose is None and listed and parts_read is not None and cell not in plain:
                    blank_once()  # so check_access answers the next one from its tables
            return found

        # the plan as (part index, bit, name): facts 0, payload 1, consents 2 (PARTS' bits)
        steps = plan_steps(plan)
        one = steps[0] if len(steps) == 1 and steps[0][0] != 2 else None
        one_root, one_bit, one_name = (ROOTS[one[0]], one[1], one[2]) if one else ("", 0, "")
        unplain = UNPLAIN

        def given_query(context: Mapping[str, Any], given: int) -> Verdict:
            """``query(None, context)`` for a plain context that gives the parts ``given``
            (``context_parts``, which check_access has read): the values the conditions read
            are looked up here, under the key ``values_key`` gives them, without checking
            the context's form again."""
            if given & unplain or plan is None:
                return query(None, context)
            if one_bit:  # the usual plan: one value
                if given & one_bit:
                    part = context[one_root]  # a dict (context_parts)
                    name = one_name
                    value = part[name] if name in part else absent  # noqa: SIM401 (no call)
                    if value is not absent and type(value) not in plain_types:
                        return query(None, context)
                    found = by_values.get((None, type(value), value))
                else:
                    found = by_values.get((None, absent))
                return found if found is not None else query(None, context)
            key = planned_key(steps, None, context, given)
            if key is None:  # a value not plain
                return query(None, context)
            found = by_values.get(key)
            return found if found is not None else query(None, context)

        def blank_once() -> None:
            """Compute the blank answer without a purpose, which blank keeps (where the
            conditions' outcomes in the blank context are known: it then cannot raise)."""
            if blank_met() is not None:
                blank(None)

        def contextual_query(purpose: str | None, context: Mapping[str, Any]) -> Verdict:
            outcomes = blank_met()
            ctx = self.query_context(cell[2], context)
            if outcomes is None:
                return decide(purpose, ctx)
            varied = tuple(
                [
                    1
                    if purposes is not None and purpose not in purposes
                    else (0 if holds(ctx) else 2)
                    if reads and holds is not None
                    else (0 if ok else 2)
                    for (purposes, holds), reads, ok in zip(
                        tests, contextual, outcomes, strict=True
                    )
                ]
            )
            return verdict(purpose, varied)

        return ConditionalCell(decide, blank, query, tests, verdict)

    # reporting ----------------------------------------------------------------------------

    def role_access(self, phase: str) -> tuple[RoleAccess, ...]:
        rows = self._summary.get(phase)
        if rows is None:
            rows = self._summary[phase] = self._summarise(phase)
        return rows

    def _summarise(self, phase: str) -> tuple[RoleAccess, ...]:
        """Who may read and write what in a phase, whatever the case: rules whose condition
        reads only the engine's settings are decided here; others are left out."""
        cp = self.cp
        ctx = Context(CaseState(phase, {}, {}, self.engine.settings), None, {})
        out = []
        for role in sorted(cp.roles):
            found: dict[str, list[str]] = {"read": [], "write": []}
            for action, cats in found.items():
                for cat in cp.categories:
                    rules = cp.access_cells.get((role, cat, phase, action), ())
                    if action == "write" and cp.categories[cat].forbidden:
                        continue
                    if self._static_allow(rules, ctx):
                        cats.append(cat)
            if found["read"] or found["write"]:
                out.append(RoleAccess(role, tuple(found["read"]), tuple(found["write"])))
        return tuple(out)

    def _static_allow(self, rules: tuple[Any, ...], ctx: Context) -> bool:
        """Allowed whatever the case: every rule's condition reads only settings, no purpose,
        at least one applicable allow and no applicable deny."""
        allowed = False
        for rule in rules:
            if rule.purposes is not None:
                return False
            if rule.when is not None:
                node = self.node(rule.when)
                if not all(
                    kind == "field" and name.startswith("settings.") for kind, name in node.reads
                ):
                    return False
                if not node.holds(ctx):
                    continue
            if rule.effect is Effect.DENY:
                return False
            allowed = True
        return allowed


__all__ = [
    "NOT_PLAIN",
    "Access",
    "ConditionalCell",
    "combine",
    "context_parts",
    "context_plan",
    "in_phase",
    "reads_context",
    "values_key",
]
