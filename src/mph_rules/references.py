"""Cross-reference checks on a resolved pack: every id a rule names must be defined."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mph_rules.conditions import (
    AllOf,
    AnyOf,
    Condition,
    FieldTest,
    Not,
    referenced_events,
    referenced_fields,
)
from mph_rules.errors import Problem
from mph_rules.events import CORE_EVENTS
from mph_rules.schema import EventRef, Pack, Source
from mph_rules.schema.pack import RULE_SECTIONS
from mph_rules.schema.rules import check_setting_value
from mph_rules.suggestions import Hints
from mph_rules.yamlread import Document

HINT_LIMIT = 200


class _Checker:
    def __init__(self, pack: Pack, origins: dict[str, str], doc: Document) -> None:
        self.pack = pack
        self.doc = doc
        self.own = pack.pack.id
        self.origins = origins
        self.problems: list[Problem] = []
        self.roles = {r.id for r in pack.roles}
        self.categories = {c.id for c in pack.data_categories}
        self.grounds = {g.id for g in pack.exception_grounds}
        self.bases = {b.id for b in pack.legal_bases}
        self.parties = {p.id for p in pack.parties}
        self.documents = {d.id for d in pack.pack.sources}
        self.phases = {p.id for p in pack.lifecycle.phases} if pack.lifecycle else set()
        self.events = set(CORE_EVENTS) | {e.type for e in pack.events}
        self.duties = {d.id for d in pack.information_duties}
        self.settings = {s.id for s in pack.settings}
        self.setting_models = {s.id: s for s in pack.settings}
        self.hint = Hints()  # did-you-mean, bounded in total work

    def at(
        self,
        path: tuple[str | int, ...],
        message: str,
        hint: str | None = None,
        code: str = "MPH-P010",
    ) -> None:
        line, col = self.doc.locate(path)
        rendered = ""
        for part in path:
            rendered += f"[{part}]" if isinstance(part, int) else (f".{part}" if rendered else part)
        self.problems.append(Problem(message, self.doc.file, line, col, rendered, hint, code=code))

    def ref(self, path: tuple[str | int, ...], value: str, known: set[str], what: str) -> None:
        if value not in known:
            # suggestions cost a fuzzy match each: a pack with thousands of broken references
            # gets them for the first HINT_LIMIT only, and within the Hints budget
            hint = self.hint(value, known) if len(self.problems) < HINT_LIMIT else None
            self.at(path, f"undefined {what} {value!r}", hint)

    def refs(
        self, path: tuple[str | int, ...], values: Iterable[str] | str, known: set[str], what: str
    ) -> None:
        if isinstance(values, str):
            if values not in ("*", "any"):
                self.ref(path, values, known, what)
            return
        for i, value in enumerate(values):
            self.ref((*path, i), value, known, what)

    def event(self, path: tuple[str | int, ...], value: str) -> None:
        self.ref(path, value, self.events, "event type")

    def event_ref(self, path: tuple[str | int, ...], ref: EventRef) -> None:
        self.event((*path, "event"), ref.event)
        if ref.when is not None:
            self.condition((*path, "when"), ref.when)

    def condition(self, path: tuple[str | int, ...], cond: Condition) -> None:
        for name in sorted(referenced_events(cond)):
            if name not in self.events:
                self.at(path, f"undefined event type {name!r}", self.hint(name, self.events))
        for name in sorted(referenced_fields(cond)):
            head, _, rest = name.partition(".")
            if head == "settings" and rest.split(".")[0] not in self.settings:
                self.at(path, f"undefined setting {rest!r}", self.hint(rest, self.settings))
        for test in _field_tests(cond):
            setting = self.setting_models.get(test.field.removeprefix("settings."))
            if not test.field.startswith("settings.") or setting is None:
                continue
            for value in (test.equals,) if test.equals is not None else test.in_ or ():
                try:
                    check_setting_value(setting, value)
                except ValueError as exc:
                    self.at(
                        path, f"{test.field} is compared with {value!r}: {exc}", code="MPH-P011"
                    )

    def source(self, path: tuple[str | int, ...], source: Source) -> None:
        self.ref((*path, "source", "document"), source.document, self.documents, "source document")


def _field_tests(cond: Any) -> list[FieldTest]:
    if isinstance(cond, FieldTest):
        return [cond]
    if isinstance(cond, AllOf | AnyOf):
        parts = cond.all if isinstance(cond, AllOf) else cond.any
        return [t for c in parts for t in _field_tests(c)]
    if isinstance(cond, Not):
        return _field_tests(cond.not_)
    return []  # occurred (its `where` reads the earlier event), consent


def _own(items: Iterable[Any], origins: dict[str, str], own: str) -> Iterable[tuple[int, Any]]:
    """Items of the pack's own file, with their index in that file's section."""
    index = 0
    for item in items:
        key = str(getattr(item, "id", None) or getattr(item, "type", ""))
        if origins.get(key, own) == own:
            yield index, item
            index += 1


def check_references(pack: Pack, origins: dict[str, str], doc: Document) -> list[Problem]:
    """Problems in the pack's own file (baselines were checked when they were loaded)."""
    c = _Checker(pack, origins, doc)
    p: tuple[str | int, ...]
    own = c.own
    _check_ids(c)
    for section in (
        "settings",
        "parties",
        "roles",
        "data_categories",
        "exception_grounds",
        *RULE_SECTIONS,
    ):
        for i, item in _own(getattr(pack, section), origins, own):
            c.source((section, i), item.source)
    if pack.defaults is not None and "defaults" in (doc.data or {}):
        for kind in ("access", "sharing"):
            rule = getattr(pack.defaults, kind)
            if rule is not None:
                c.source(("defaults", kind), rule.source)
    for i, ev in _own(pack.events, origins, own):
        if not ev.type.startswith(f"{own}."):
            c.at(
                ("events", i, "type"),
                f"pack event {ev.type!r} must start with '{own}.'",
                code="MPH-P012",
            )
        c.source(("events", i), ev.source)
    if pack.lifecycle is not None and "lifecycle" in (doc.data or {}):
        lc = pack.lifecycle
        c.ref(("lifecycle", "initial"), lc.initial, c.phases, "phase")
        for i, name in enumerate(lc.always_accepted):
            c.event(("lifecycle", "always_accepted", i), name)
        for i, phase in enumerate(lc.phases):
            c.source(("lifecycle", "phases", i), phase.source)
            for j, name in enumerate(phase.accepts):
                c.event(("lifecycle", "phases", i, "accepts", j), name)
        for i, tr in enumerate(lc.transitions):
            p = ("lifecycle", "transitions", i)
            c.source(p, tr.source)
            c.event((*p, "on"), tr.on)
            c.refs((*p, "from"), tr.from_, c.phases, "phase")
            c.ref((*p, "to"), tr.to, c.phases, "phase")
            if tr.by is not None:
                c.refs((*p, "by"), tr.by, c.roles, "role")
            if tr.when is not None:
                c.condition((*p, "when"), tr.when)
        for i, dl in enumerate(lc.deadlines):
            p = ("lifecycle", "deadlines", i)
            c.source(p, dl.source)
            c.event_ref((*p, "start"), dl.start)
            c.event_ref((*p, "until"), dl.until)
            if dl.responsible is not None:
                c.ref((*p, "responsible"), dl.responsible, c.roles, "role")
    if pack.intake is not None and "intake" in (doc.data or {}):
        c.refs(("intake", "decided_by"), pack.intake.decided_by, c.roles, "role")
        for i, crit in enumerate(pack.intake.criteria):
            c.source(("intake", "criteria", i), crit.source)
    for i, duty in _own(pack.information_duties, origins, own):
        p = ("information_duties", i)
        c.event_ref((*p, "trigger"), duty.trigger)
        c.ref((*p, "informer"), duty.informer, c.roles, "role")
        c.ref((*p, "recipient"), duty.recipient, c.roles, "role")
        c.refs((*p, "exception_grounds"), duty.exception_grounds, c.grounds, "exception ground")
        for j, ref in enumerate(duty.fulfilled_by):
            c.event_ref((*p, "fulfilled_by", j), ref)
    for i, pre in _own(pack.preconditions, origins, own):
        p = ("preconditions", i)
        c.event((*p, "event"), pre.event)
        c.condition((*p, "require"), pre.require)
        if pre.when is not None:
            c.condition((*p, "when"), pre.when)
    for i, rule in _own(pack.access, origins, own):
        p = ("access", i)
        c.refs((*p, "roles"), rule.roles, c.roles, "role")
        c.refs((*p, "categories"), rule.categories, c.categories, "data category")
        c.refs((*p, "phases"), rule.phases, c.phases, "phase")
        c.refs((*p, "legal_bases"), rule.legal_bases, c.bases, "legal basis")
        if rule.when is not None:
            c.condition((*p, "when"), rule.when)
    for i, rule in _own(pack.sharing, origins, own):
        p = ("sharing", i)
        c.refs((*p, "from_roles"), rule.from_roles, c.roles, "role")
        c.refs((*p, "to_roles"), rule.to_roles, c.roles, "role")
        c.refs((*p, "categories"), rule.categories, c.categories, "data category")
        c.refs((*p, "phases"), rule.phases, c.phases, "phase")
        c.refs((*p, "legal_bases"), rule.legal_bases, c.bases, "legal basis")
        if rule.when is not None:
            c.condition((*p, "when"), rule.when)
    for i, clock in _own(pack.retention, origins, own):
        p = ("retention", i)
        c.event_ref((*p, "trigger"), clock.trigger)
        if clock.counted_from is not None:
            c.event_ref((*p, "counted_from"), clock.counted_from)
        for j, ref in enumerate(clock.cancelled_by):
            c.event_ref((*p, "cancelled_by", j), ref)
        if clock.categories:
            c.refs((*p, "categories"), clock.categories, c.categories, "data category")
        for j, exc in enumerate(clock.exceptions):
            c.ref(
                (*p, "exceptions", j, "source", "document"),
                exc.source.document,
                c.documents,
                "source document",
            )
    for i, right in _own(pack.rights, origins, own):
        p = ("rights", i)
        c.ref((*p, "handler"), right.handler, c.roles, "role")
        c.refs((*p, "refusal_grounds"), right.refusal_grounds, c.grounds, "exception ground")
        if right.requires is not None:
            c.condition((*p, "requires"), right.requires)
    _check_v2(c)
    return c.problems


def _check_v2(c: _Checker) -> None:
    """References of the v2 vocabulary (issue 14): roles, events, settings, deadlines."""
    pack, own = c.pack, c.own
    settings = {s.id: s for s in pack.settings}
    deadline_ids = {d.id for d in pack.lifecycle.deadlines} if pack.lifecycle else set()

    def setting(path: tuple[str | int, ...], spec: Any, kind: str, choices: set[str]) -> None:
        if spec is None or isinstance(spec, str) or getattr(spec, "setting", None) is None:
            return
        c.ref((*path, "setting"), spec.setting, c.settings, "setting")
        found = settings.get(spec.setting)
        if found is None:
            return
        if kind == "duration" and found.type != "duration":
            c.at(
                (*path, "setting"),
                f"setting {found.id!r} must have type duration",
                code="MPH-P013",
            )
        if choices and not set(found.choices) <= choices:
            c.at(
                (*path, "setting"),
                f"setting {found.id!r} must choose from {sorted(choices)}",
                code="MPH-P013",
            )

    def actor(path: tuple[str | int, ...], limit: Any) -> None:
        if limit is None:
            return
        c.refs((*path, "roles"), limit.roles, c.roles, "role")
        if limit.mandate is not None:
            c.event_ref((*path, "mandate"), limit.mandate)

    def deadline(path: tuple[str | int, ...], value: Any) -> None:
        setting((*path, "duration_from"), getattr(value, "duration_from", None), "duration", set())

    if pack.lifecycle is not None and "lifecycle" in (c.doc.data or {}):
        for i, phase in enumerate(pack.lifecycle.phases):
            if phase.owner is not None:
                c.ref(("lifecycle", "phases", i, "owner"), phase.owner, c.roles, "role")
        for i, dl in enumerate(pack.lifecycle.deadlines):
            for j, ref in enumerate(dl.cancelled_by):
                c.event_ref(("lifecycle", "deadlines", i, "cancelled_by", j), ref)
            deadline(("lifecycle", "deadlines", i, "deadline"), dl.deadline)
    for i, duty in _own(pack.information_duties, c.origins, own):
        p: tuple[str | int, ...] = ("information_duties", i)
        c.refs((*p, "recipients"), duty.recipients, c.roles, "role")
        actor((*p, "actor"), duty.actor)
        deadline((*p, "deadline"), duty.deadline)
        if duty.opened_by_missed is not None:
            known = deadline_ids | c.duties
            c.ref((*p, "opened_by_missed"), duty.opened_by_missed, known, "deadline")
    for i, pre in _own(pack.preconditions, c.origins, own):
        if pre.not_before is not None:
            c.event_ref(("preconditions", i, "not_before", "after"), pre.not_before.after)
    fields = {f for cat in pack.data_categories for f in cat.fields}
    for i, clock in _own(pack.retention, c.origins, own):
        p = ("retention", i)
        setting((*p, "duration_from"), clock.duration_from, "duration", set())
        setting(
            (*p, "on_reregistration"), clock.on_reregistration, "", {"restart", "keep", "cancel"}
        )
        if fields:
            c.refs((*p, "surviving_fields"), clock.surviving_fields, fields, "field")
    for i, right in _own(pack.rights, c.origins, own):
        actor(("rights", i, "actor"), right.actor)
        deadline(("rights", i, "deadline"), right.deadline)
    for i, record in _own(pack.records, c.origins, own):
        p = ("records", i)
        if record.by is not None:
            c.ref((*p, "by"), record.by, c.roles, "role")
        c.event_ref((*p, "trigger"), record.trigger)
        for j, ref in enumerate(record.before):
            c.event_ref((*p, "before", j), ref)
        for j, ref in enumerate(record.discharged_by):
            c.event_ref((*p, "discharged_by", j), ref)
        deadline((*p, "deadline"), record.deadline)


def _check_ids(c: _Checker) -> None:
    """Rule ids must be unique across rule sections: a trace cites a rule by id alone."""
    seen: dict[str, str] = {}
    for section in RULE_SECTIONS:
        for i, item in _own(getattr(c.pack, section), c.origins, c.own):
            if item.id in seen and seen[item.id] != section:
                c.at(
                    (section, i, "id"),
                    f"id {item.id!r} is also used in {seen[item.id]}",
                    code="MPH-P008",
                )
            seen.setdefault(item.id, section)
