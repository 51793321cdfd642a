"""Input checks against one pack: every name an event uses must be defined, requests must be
received before they are answered, events come in time order, settings have their type."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from mph_rules.errors import EventError, Problem
from mph_rules.events import VOCABULARY, Case, Event
from mph_rules.schema import Pack
from mph_rules.schema.rules import check_setting_value
from mph_rules.suggestions import Hints, did_you_mean


class Validator:
    """Checks cases, events and query names against the engine's compiled pack."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._names: dict[str, tuple[frozenset[str], str]] | None = None  # see _known
        # whether ``event_problems`` would find nothing in an event, by a cheaper test of
        # the same names (False where it cannot tell: those events get the full check)
        self._clear: Callable[[Event], bool] = self._compile_clear()

    def check_case(self, case: Case) -> None:
        problems: list[Problem] = []
        previous: dt.datetime | None = None
        received: set[str] = set()
        subject_ids = {s.id for s in case.subjects}
        hints = Hints()  # did-you-mean over the whole case, bounded in total work
        clear = self._clear
        for i, event in enumerate(case.events):
            if not clear(event):  # only an event that may have a problem is examined
                problems += self.event_problems(i, event, hints)
            kind = event.type
            if kind in _REQUEST_EVENTS:
                problems += request_problems(i, event, received)
            if event.subjects and not subject_ids.issuperset(event.subjects):
                problems += subject_problems(i, event, subject_ids)
            moment = event.moment
            if previous is not None and moment < previous:
                problems.append(
                    Problem(
                        f"event {i} ({event.type}) at {event.at} is earlier than the one before",
                        path=f"events[{i}].at",
                        hint="events must be given in time order",
                        code="MPH-C005",
                    )
                )
            previous = moment
        if problems:
            raise EventError(problems)

    def _compile_clear(self) -> Callable[[Event], bool]:
        """``_clear`` for this pack: per event type it may clear, the payload fields that
        name something the pack defines (VOCABULARY), each with the names it defines."""
        cp = self.engine.compiled
        refs: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
        for kind in cp.event_types - _EXAMINED:
            spec = VOCABULARY.get(kind)
            named = spec.references if spec is not None else ()
            refs[kind] = tuple((name, self._known(what)[0]) for name, what in named)
        plan, roles, parties = refs.get, cp.roles, cp.parties

        def clear(event: Event) -> bool:
            checks = plan(event.type)
            if checks is None:  # not a type of the pack, or one checked beyond names
                return False
            actor = event.actor
            if actor is not None:
                if actor.role not in roles:
                    return False
                if actor.party is not None and actor.party not in parties:
                    return False
            if not checks:
                return True
            p = event.parsed
            if not isinstance(p, BaseModel):
                return False
            fields = p.__dict__
            for name, known in checks:
                value = fields.get(name)
                if value is None:
                    continue
                if type(value) is tuple:
                    if not known.issuperset(value):
                        return False
                elif type(value) is not str or value not in known:
                    return False
            return True

        return clear

    def event_problems(self, i: int, event: Event, hints: Hints | None = None) -> list[Problem]:
        cp = self.engine.compiled
        out: list[Problem] = []
        where = f"events[{i}]"
        hint = hints or Hints()

        def bad(path: str, what: str, value: str, known: frozenset[str] | set[str]) -> None:
            out.append(
                Problem(
                    f"unknown {what} {value!r}",
                    path=f"{where}.{path}",
                    hint=hint(value, known),
                    code="MPH-C002",
                )
            )

        if event.type not in cp.event_types:
            bad("type", "event type", event.type, cp.event_types)
            return out
        if event.actor is not None:
            if event.actor.role not in cp.roles:
                bad("actor.role", "role", event.actor.role, cp.roles)
            if event.actor.party is not None and event.actor.party not in cp.parties:
                bad("actor.party", "party", event.actor.party, cp.parties)
        p = event.parsed
        if event.type == "subject_request_received" and p.right not in cp.rights:
            rights = {r.value for r in cp.rights}
            bad("payload.right", "right (the pack defines no such right)", p.right.value, rights)
        if event.type == "information_duty_waived" and p.details:
            # v2: a waiver carries only the pack's own fields its duty names (details.<name>)
            duty = cp.duties.get(p.duty)
            if duty is not None:
                allowed = duty.waiver_details
                for key in sorted(set(p.details) - allowed):
                    what = f"waiver detail (the waiver_requires of {duty.id} names no such)"
                    bad(f"payload.details.{key}", what, key, allowed)
        spec = VOCABULARY.get(event.type)
        if spec is None or not spec.references:
            return out
        fields = p.__dict__ if isinstance(p, BaseModel) else {}
        for name, kind in spec.references:
            value = fields.get(name)
            if value is None:
                continue
            known, what = self._known(kind)
            if isinstance(value, tuple):
                for j, item in enumerate(value):
                    if item not in known:
                        bad(f"payload.{name}[{j}]", what, item, known)
            elif value not in known:
                bad(f"payload.{name}", what, value, known)
        return out

    def _known(self, kind: str) -> tuple[frozenset[str], str]:
        known = self._names
        if known is None:
            cp = self.engine.compiled
            known = self._names = {
                "role": (cp.roles, "role"),
                "party": (cp.parties, "party"),
                "category": (cp.category_ids, "data category"),
                "duty": (cp.duty_ids, "information duty"),
                "ground": (cp.grounds, "exception ground"),
            }
        return known[kind]

    def check_names(
        self, *, role: str | None = None, category: str | None = None, phase: str | None = None
    ) -> None:
        cp = self.engine.compiled
        asked = (
            ("role", role, cp.roles),
            ("data category", category, cp.categories),
            ("phase", phase, cp.phases),
        )
        problems = [
            Problem(f"unknown {kind} {name!r}", hint=did_you_mean(name, known), code="MPH-C002")
            for kind, name, known in asked
            if name is not None and name not in known
        ]
        if problems:
            raise EventError(problems)


# events whose checks go beyond names (a right the pack must define, a waiver's details):
# always examined in full by ``event_problems``
_EXAMINED = frozenset({"subject_request_received", "information_duty_waived"})
_REQUEST_EVENTS = frozenset(
    {"subject_request_received", "subject_request_answered", "subject_request_extended"}
)


def subject_problems(i: int, event: Event, known: set[str]) -> list[Problem]:
    """v2: the subjects an event names must be subjects of the case."""
    return [
        Problem(
            f"unknown subject {who!r}: not one of the case's subjects",
            path=f"events[{i}].subjects[{j}]",
            hint=did_you_mean(who, known) or f"case subjects: {sorted(known) or 'none'}",
            code="MPH-C003",
        )
        for j, who in enumerate(event.subjects or ())
        if who not in known
    ]


def request_problems(i: int, event: Event, received: set[str]) -> list[Problem]:
    """A request must be received before it is extended or answered (ids in ``received``,
    which this updates)."""
    if event.type == "subject_request_received":
        received.add(event.parsed.request_id)
    elif event.type in ("subject_request_answered", "subject_request_extended"):
        request_id = event.parsed.request_id
        if request_id not in received:
            return [
                Problem(
                    f"request {request_id!r} was never received in this case",
                    path=f"events[{i}].payload.request_id",
                    hint=did_you_mean(request_id, received),
                    code="MPH-C004",
                )
            ]
    return []


def resolve_settings(pack: Pack, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The pack's defaults with the user's overrides, each checked against its type."""
    defined = {s.id: s for s in pack.settings}
    problems = []
    values: dict[str, Any] = {s.id: s.default for s in pack.settings}
    for key, value in overrides.items():
        setting = defined.get(key)
        if setting is None:
            problems.append(
                Problem(
                    f"unknown setting {key!r}",
                    hint=did_you_mean(key, defined)
                    or f"settings of {pack.pack.id}: {sorted(defined) or 'none'}",
                    code="MPH-A003",
                )
            )
            continue
        try:
            values[key] = check_setting_value(setting, value)
        except ValueError as exc:
            problems.append(Problem(str(exc), code="MPH-A004"))
    if problems:
        raise EventError(problems)
    return values


__all__ = ["Validator", "request_problems", "resolve_settings", "subject_problems"]
