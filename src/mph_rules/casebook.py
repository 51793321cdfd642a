"""The v2 case book: records, findings and open points of one case (design.md v2).

A covenant asks for things to be written down (the register, the reason for not informing, a
note of each provision); `records` say what, by whom and when, and the decision lists each as
required / done / missing. A breach the covenant only asks to record is a *finding*, never a
refusal. Every `conflict` or unspecified marker the case touched is an *open point* with the
setting that decides it. The book is filled while events are replayed and read once per
decision; the engine's rule families call it and never reach into it otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from mph_rules.calendar import WORKING_DAYS_CALENDAR_SETTING, Counting, WorkingDayCalendar
from mph_rules.consent import HOUSEHOLD, ConsentLedger
from mph_rules.decision import (
    EventVerdict,
    Finding,
    OpenPoint,
    RecordStatus,
    TraceEntry,
    new_finding,
    new_open_point,
    new_record_status,
)
from mph_rules.schema import Pack, RecordDuty, Unspecified
from mph_rules.schema.common import EventRef
from mph_rules.schema.pack import RULE_SECTIONS

Cite = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Marker:
    """A `conflict` or unspecified value on one rule, and the settings that decide it."""

    kind: str  # conflict | unspecified
    note: str
    reading: str | None
    settings: tuple[str, ...]


@dataclass(frozen=True)
class CaseModelIndex:
    """What the case book needs from a pack, indexed once per compiled pack."""

    records: Mapping[str, RecordDuty]
    by_trigger: Mapping[str, tuple[RecordDuty, ...]]
    by_discharge: Mapping[str, tuple[RecordDuty, ...]]
    by_before: Mapping[str, tuple[RecordDuty, ...]]
    markers: Mapping[str, tuple[Marker, ...]]
    setting_markers: Mapping[str, Marker]
    working_day_rules: frozenset[str]
    pack_defines_working_days: bool
    rule_settings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    working_days_default: str = WorkingDayCalendar.ATW.value
    # event type -> (rule, settings its gating `when` reads): the setting decided whether the
    # rule applied each time such an event happened, whether or not the rule then fired
    gates: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)
    working_days_note: str | None = None  # the pack's own justification of its calendar

    @functools.cached_property
    def reported_rules(self) -> frozenset[str]:
        """The rules `open_points` can report (a marker, a marked setting, werkdagen): the
        trace's other entries are skipped without being looked at twice."""
        marked = {
            rule
            for rule, reads in self.rule_settings.items()
            if any(setting in self.setting_markers for setting in reads)
        }
        # the werkdagen point is stated even where the pack sets the calendar (its value is
        # then the decision), so every working-day rule can report
        return frozenset(self.markers) | marked | self.working_day_rules

    @functools.cached_property
    def record_events(self) -> frozenset[str]:
        """The event types that can breach, discharge or require a record by type."""
        return frozenset((*self.by_before, *self.by_discharge, *self.by_trigger))


def _settings_read(value: Any) -> set[str]:
    """Ids of the settings a rule reads: `settings.<id>` fields and `{setting: id}` refs."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "field" and isinstance(item, str) and item.startswith("settings."):
                found.add(item.split(".")[1])
            elif key == "setting" and isinstance(item, str):
                found.add(item)
            else:
                found |= _settings_read(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= _settings_read(item)
    return found


def _unspecified_notes(model: BaseModel) -> list[str]:
    """Notes of every `{unspecified: true}` value inside a rule (its deadline, duration, ...)."""
    notes: list[str] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, Unspecified):
                notes.append(f"{name}: {item.note}")
            elif isinstance(item, BaseModel) and name not in ("source", "conflict"):
                notes.extend(f"{name}.{n}" for n in _unspecified_notes(item))
    return notes


def _gates(rule: Any) -> list[tuple[str, Any]]:
    """(event type, condition) pairs that decide whether ``rule`` applies to an event."""
    out: list[tuple[str, Any]] = []
    for name in ("trigger", "start"):
        ref = getattr(rule, name, None)
        if isinstance(ref, EventRef) and ref.when is not None:
            out.append((ref.event, ref.when))
    when = getattr(rule, "when", None)
    on = getattr(rule, "on", None) or getattr(rule, "event", None)
    if isinstance(on, str) and isinstance(when, BaseModel):
        out.append((on, when))
    return out


def _rules(pack: Pack) -> Iterable[Any]:
    """Everything whose id a trace entry can name: the rules, lifecycle parts, intake criteria
    and the data categories (a forbidden category refuses under its own id, so a `conflict` on
    it is an open point of the case that touched it)."""
    for section in RULE_SECTIONS:
        yield from getattr(pack, section)
    yield from pack.data_categories
    if pack.lifecycle is not None:
        yield from pack.lifecycle.phases
        yield from pack.lifecycle.transitions
        yield from pack.lifecycle.deadlines
    if pack.intake is not None:
        yield from pack.intake.criteria


def _uses_working_days(rule: Any) -> bool:
    for name in ("deadline", "extension"):
        deadline = getattr(rule, name, None)
        if getattr(deadline, "counting", None) is Counting.WORKING_DAYS:
            return True
    return getattr(rule, "counting", None) is Counting.WORKING_DAYS


def index_case_model(pack: Pack) -> CaseModelIndex:
    """Index a pack's records and markers (once per compiled pack)."""
    by_trigger: dict[str, list[RecordDuty]] = {}
    by_discharge: dict[str, list[RecordDuty]] = {}
    by_before: dict[str, list[RecordDuty]] = {}
    for record in pack.records:
        by_trigger.setdefault(record.trigger.event, []).append(record)
        for ref in record.discharged_by:
            by_discharge.setdefault(ref.event, []).append(record)
        for ref in record.before:
            by_before.setdefault(ref.event, []).append(record)
    markers: dict[str, tuple[Marker, ...]] = {}
    working: set[str] = set()
    rule_settings: dict[str, tuple[str, ...]] = {}
    gates: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for rule in _rules(pack):
        reads = tuple(sorted(_settings_read(rule.model_dump(mode="json", by_alias=True))))
        if reads:
            rule_settings[rule.id] = reads
            for event_type, when in _gates(rule):
                gated = tuple(sorted(_settings_read(when.model_dump(mode="json", by_alias=True))))
                if gated:
                    gates.setdefault(event_type, []).append((rule.id, gated))
        found: list[Marker] = []
        if rule.conflict is not None:
            c = rule.conflict
            found.append(Marker("conflict", c.why, c.chosen, reads))
        if getattr(rule, "outcome", None) == "unspecified":
            found.append(Marker("unspecified", rule.note or "", None, reads))
        found.extend(Marker("unspecified", n, None, reads) for n in _unspecified_notes(rule))
        if found:
            markers[rule.id] = tuple(found)
        if _uses_working_days(rule):
            working.add(rule.id)
    setting_markers = {
        s.id: Marker("conflict", s.conflict.why, s.conflict.chosen, (s.id,))
        for s in pack.settings
        if s.conflict is not None
    }
    calendar = next((s for s in pack.settings if s.id == WORKING_DAYS_CALENDAR_SETTING), None)
    return CaseModelIndex(
        records={r.id: r for r in pack.records},
        by_trigger={k: tuple(v) for k, v in by_trigger.items()},
        by_discharge={k: tuple(v) for k, v in by_discharge.items()},
        by_before={k: tuple(v) for k, v in by_before.items()},
        markers=markers,
        setting_markers=setting_markers,
        working_day_rules=frozenset(working),
        pack_defines_working_days=calendar is not None,
        rule_settings=rule_settings,
        gates={k: tuple(v) for k, v in gates.items()},
        working_days_note=calendar.justification if calendar is not None else None,
        # design.md v2: the Atw list where the source is silent; a v1 pack keeps the
        # `holidays` package's list it was written (and tested) against
        working_days_default=(
            WorkingDayCalendar.ATW.value
            if pack.pack.schema_version >= 2
            else WorkingDayCalendar.HOLIDAYS_PACKAGE.value
        ),
    )


@dataclass(slots=True)
class OpenRecord:
    """A record the case requires, being tracked while events are replayed."""

    rule: RecordDuty
    trigger: int
    subject: str | None
    due: dt.date | None
    due_at: dt.datetime | None
    done: int | None = None
    breached_by: int | None = None


EventMatch = Callable[[EventRef], bool]
"""Whether an event (the one being applied) matches a reference, `when` included."""


def _fires(refs: Iterable[EventRef], event_type: str, matches: EventMatch) -> bool:
    """Whether one of ``refs`` names this event type and matches it (a loop, not any() over
    a generator: this runs for every allowed event)."""
    for ref in refs:  # noqa: SIM110 (see the docstring)
        if ref.event == event_type and matches(ref):
            return True
    return False


@dataclass
class CaseBook:
    """The v2 bookkeeping of one case: consent, records, findings."""

    index: CaseModelIndex
    cite: Cite
    consent: ConsentLedger = field(default_factory=ConsentLedger)
    records: list[OpenRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def copy(self) -> CaseBook:
        return CaseBook(
            self.index,
            self.cite,
            self.consent.copy(),
            [dataclasses.replace(r) for r in self.records],
            list(self.findings),
        )

    def flag(
        self,
        code: str,
        rule: str,
        message: str,
        event: int | None,
        subject: str | None = None,
    ) -> Finding:
        finding = new_finding(code, rule, message, self.cite(rule), event, subject)
        self.findings.append(finding)
        return finding

    # records ----------------------------------------------------------------------------

    def on_allowed(
        self,
        i: int,
        event_type: str,
        record_id: str | None,
        subjects: tuple[str, ...] | None,
        matches: EventMatch,
        due: Callable[[RecordDuty], tuple[dt.date | None, dt.datetime | None]],
    ) -> None:
        """An allowed event: it may breach a `before`, discharge records and require new
        ones (in that order, so an event never discharges the record it requires). A rule
        with no record still open is not tested: it could change nothing (its conditions
        are pure)."""
        index = self.index
        before = index.by_before.get(event_type, ())
        discharge = index.by_discharge.get(event_type, ())
        if before or discharge or record_id is not None:
            self._breach_or_discharge(
                i, event_type, record_id, subjects, matches, before, discharge
            )
        for rule in index.by_trigger.get(event_type, ()):
            if not matches(rule.trigger):
                continue
            due_day, due_at = due(rule)
            if rule.per == "subject":
                for s in self.consent.concerned(subjects):
                    subject = s if s != HOUSEHOLD else None
                    self.records.append(OpenRecord(rule, i, subject, due_day, due_at))
            else:
                self.records.append(OpenRecord(rule, i, None, due_day, due_at))

    def _breach_or_discharge(
        self,
        i: int,
        event_type: str,
        record_id: str | None,
        subjects: tuple[str, ...] | None,
        matches: EventMatch,
        before: tuple[RecordDuty, ...],
        discharge: tuple[RecordDuty, ...],
    ) -> None:
        """The first two steps of ``on_allowed``: breach a `before`, discharge records."""
        pending: set[int] = set()  # ids of the rules with a record not yet done
        unbreached: set[int] = set()  # ... and not yet breached
        if before or discharge:
            for open_ in self.records:
                if open_.done is None:
                    pending.add(id(open_.rule))
                    if open_.breached_by is None:
                        unbreached.add(id(open_.rule))
        for rule in before:
            if id(rule) not in unbreached or not _fires(rule.before, event_type, matches):
                continue
            for open_ in self.records:
                if open_.rule is rule and open_.done is None and open_.breached_by is None:
                    open_.breached_by = i
                    who = f" for {open_.subject}" if open_.subject else ""
                    self.flag(
                        "record_missing",
                        rule.id,
                        f"{event_type} happened before {rule.label}{who} was recorded "
                        f"({rule.what})",
                        i,
                        open_.subject,
                    )
        discharging: list[RecordDuty] = []
        if event_type == "data_recorded" and record_id is not None:
            named = self.index.records.get(record_id)
            if named is not None:
                discharging.append(named)
        for rule in discharge:
            if id(rule) in pending and _fires(rule.discharged_by, event_type, matches):
                discharging.append(rule)
        concerned = set(self.consent.concerned(subjects)) if discharging else set()
        for rule in discharging:
            for open_ in self.records:
                if (
                    open_.rule is rule
                    and open_.done is None
                    and (open_.subject is None or open_.subject in concerned)
                ):
                    open_.done = i

    def record_statuses(
        self, cutoff: dt.datetime
    ) -> tuple[tuple[RecordStatus, ...], list[Finding]]:
        """Every required record as of `cutoff`, and a finding for each one now missing."""
        out: list[RecordStatus] = []
        late: list[Finding] = []
        for r in self.records:
            reason = None
            if r.done is not None:
                status = "done"
            elif r.breached_by is not None:
                status = "missing"
                reason = f"not recorded before event {r.breached_by}"
            elif r.due_at is not None and cutoff > r.due_at:
                status = "missing"
                reason = f"not recorded by {r.due}"
                who = f" for {r.subject}" if r.subject else ""
                late.append(
                    new_finding(
                        "record_missing",
                        r.rule.id,
                        f"{r.rule.label}{who} was not recorded by {r.due} ({r.rule.what})",
                        self.cite(r.rule.id),
                        r.trigger,
                        r.subject,
                    )
                )
            else:
                status = "required"
            out.append(
                new_record_status(  # positional, in RecordStatus's field order (faster)
                    f"{r.rule.id}#{r.trigger}" + (f"@{r.subject}" if r.subject else ""),
                    r.rule.id,
                    r.rule.what,
                    status,
                    self.cite(r.rule.id) or "",  # source
                    r.trigger,  # trigger_event
                    r.rule.by,
                    r.due,
                    r.done,  # done_event
                    r.subject,
                    reason,
                )
            )
        return tuple(out), late

    # open points ---------------------------------------------------------------------------

    def open_points(
        self,
        trace: Iterable[TraceEntry],
        settings: Mapping[str, Any],
        events: Iterable[EventVerdict] = (),
    ) -> tuple[OpenPoint, ...]:
        """Every marker on a rule the case touched (the rule appears in the trace), each with
        the settings that decide it, in the order first touched; and every setting with a
        marker that shaped the decision: read by a touched rule, by the `when` deciding whether
        a rule applied to an allowed event (``events``) even where it then did not, or (the
        "werkdagen" calendar) used to count a touched rule's working days."""
        touched: dict[str, list[int]] = {}
        reported = self.index.reported_rules
        for entry in [e for e in trace if e.rule in reported]:  # (most are not: filter first)
            events_of = touched.setdefault(entry.rule, [])
            if entry.event is not None and entry.event not in events_of:
                events_of.append(entry.event)
        for finding in self.findings:
            if finding.rule not in reported:
                continue
            events_of = touched.setdefault(finding.rule, [])
            if finding.event is not None and finding.event not in events_of:
                events_of.append(finding.event)
        gated: dict[str, tuple[list[int], set[str]]] = {}
        gates = self.index.gates
        for verdict in [v for v in events if v.type in gates] if gates else ():
            if not verdict.allowed:
                continue
            for rule, reads in gates[verdict.type]:
                indices, ids = gated.setdefault(rule, ([], set()))
                if verdict.index not in indices:
                    indices.append(verdict.index)
                ids.update(reads)
        out: list[OpenPoint] = []
        seen_settings: set[str] = set()

        def setting_point(setting_id: str, events_of: list[int]) -> None:
            marker = self.index.setting_markers.get(setting_id)
            if marker is None or setting_id in seen_settings:
                return
            seen_settings.add(setting_id)
            out.append(
                new_open_point(
                    setting_id,
                    "conflict",
                    marker.note,
                    self.cite(setting_id),
                    setting_id,
                    f"{settings.get(setting_id)!r} (default reading: {marker.reading})",
                    tuple(events_of),
                )
            )

        for rule, events_of in touched.items():
            for marker in self.index.markers.get(rule, ()):
                setting = marker.settings[0] if marker.settings else None
                reading = marker.reading
                if setting is not None and reading is None:
                    reading = f"setting {setting} = {settings.get(setting)!r}"
                out.append(
                    new_open_point(
                        rule,
                        marker.kind,
                        marker.note,
                        self.cite(rule),
                        setting,
                        reading,
                        tuple(events_of),
                    )
                )
                seen_settings.update(marker.settings)
            for setting_id in self.index.rule_settings.get(rule, ()):
                setting_point(setting_id, events_of)
            if rule in self.index.working_day_rules:
                self._working_days_point(rule, events_of, settings, seen_settings, out)
        for gate_events, gate_reads in gated.values():
            for setting_id in sorted(gate_reads):
                setting_point(setting_id, gate_events)
        return tuple(out)

    def _working_days_point(
        self,
        rule: str,
        events: list[int],
        settings: Mapping[str, Any],
        seen: set[str],
        out: list[OpenPoint],
    ) -> None:
        """The "werkdagen" calendar a touched rule counted with: the source never defines it,
        so it is an open point; a pack's own setting is the decision, not a reason to hide it."""
        setting_id = WORKING_DAYS_CALENDAR_SETTING
        if setting_id in seen:
            return
        seen.add(setting_id)
        marker = self.index.setting_markers.get(setting_id)
        if marker is not None:  # the pack marked its own reading as a conflict
            reading = f"{settings.get(setting_id)!r} (default reading: {marker.reading})"
            cite = self.cite(setting_id)
            out.append(
                new_open_point(
                    setting_id, "conflict", marker.note, cite, setting_id, reading, tuple(events)
                )
            )
            return
        note = (
            "the source does not define which days are 'werkdagen'; the setting "
            "working_days_calendar chooses the holiday list (atw: 5 May every year "
            "and Good Friday; holidays_package: 5 May in lustrum years)"
        )
        if self.index.pack_defines_working_days:
            value = settings.get(setting_id, self.index.working_days_default)
            reading = f"{value} (the pack's setting)"
            if self.index.working_days_note:
                note += f"; the pack: {self.index.working_days_note}"
        else:
            reading = f"{self.index.working_days_default} (default)"
        out.append(
            new_open_point(
                rule, "unspecified", note, self.cite(rule), setting_id, reading, tuple(events)
            )
        )


__all__ = ["CaseBook", "CaseModelIndex", "Marker", "OpenRecord", "index_case_model"]
