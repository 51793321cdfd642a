"""Records, findings and open points of the v2 case book (issue 14 items 5-7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mph_rules import load_pack, load_pack_text
from mph_rules.calendar import AMSTERDAM
from mph_rules.casebook import CaseBook, index_case_model
from mph_rules.consent import ConsentLedger
from mph_rules.decision import TraceEntry, Verdict
from mph_rules.findings import actor_problem, flagged_verdict, informing_problems
from mph_rules.schema.common import EventRef

PACK = load_pack(Path(__file__).parent / "fixtures" / "casemodel.yaml")
INDEX = index_case_model(PACK)


def book(subjects: tuple[str, ...] = ()) -> CaseBook:
    return CaseBook(INDEX, lambda rule: f"cv {rule}", ConsentLedger(subjects=subjects))


def end_of(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time.max, tzinfo=AMSTERDAM)


def due(day: str | None) -> Any:
    def at(_rule: Any) -> tuple[dt.date | None, dt.datetime | None]:
        return (dt.date.fromisoformat(day), end_of(day)) if day else (None, None)

    return at


def every(_ref: EventRef) -> bool:
    return True


def test_a_record_is_required_then_done_by_data_recorded_with_its_id() -> None:
    b = book()
    b.on_allowed(0, "case_registered", None, None, every, due("2024-03-18"))
    statuses, _ = b.record_statuses(end_of("2024-03-12"))
    assert [(s.rule, s.status, s.due) for s in statuses] == [
        ("rec_register", "required", dt.date(2024, 3, 18))
    ]
    b.on_allowed(1, "data_recorded", "rec_register", None, every, due(None))
    statuses, late = b.record_statuses(end_of("2024-04-01"))
    assert statuses[0].status == "done" and statuses[0].done_event == 1 and late == []


def test_a_pack_event_discharges_a_record_and_a_missed_one_is_a_finding() -> None:
    b = book()
    b.on_allowed(0, "case_registered", None, None, every, due("2024-03-18"))
    b.on_allowed(1, "case_registered", None, None, every, due("2024-03-25"))
    b.on_allowed(2, "casemodel.register_entry", None, None, every, due(None))
    statuses, late = b.record_statuses(end_of("2024-04-01"))
    assert [s.status for s in statuses] == ["done", "done"]
    b2 = book()
    b2.on_allowed(0, "case_registered", None, None, every, due("2024-03-18"))
    statuses, late = b2.record_statuses(end_of("2024-03-19"))
    assert statuses[0].status == "missing"
    assert [(f.code, f.rule, f.source) for f in late] == [
        ("record_missing", "rec_register", "cv rec_register")
    ]


def test_an_event_before_the_record_is_a_finding_not_a_refusal() -> None:
    b = book()
    b.on_allowed(0, "information_duty_waived", None, None, every, due(None))
    b.on_allowed(1, "case_closed", None, None, every, due(None))
    statuses, _ = b.record_statuses(end_of("2024-04-01"))
    assert statuses[0].status == "missing" and statuses[0].reason == "not recorded before event 1"
    assert [(f.code, f.event) for f in b.findings] == [("record_missing", 1)]


def test_per_subject_records_are_done_per_subject() -> None:
    b = book(("mother", "son"))
    b.on_allowed(0, "data_provided", None, None, every, due("2024-03-12"))
    b.on_allowed(1, "data_recorded", "rec_provision", ("mother",), every, due(None))
    statuses, late = b.record_statuses(end_of("2024-03-20"))
    assert {(s.subject, s.status) for s in statuses} == {("mother", "done"), ("son", "missing")}
    assert [f.subject for f in late] == ["son"]


def test_open_points_list_markers_the_case_touched_with_their_setting() -> None:
    b = book()
    trace = [
        TraceEntry("escalation_open", "unspecified", "open", event=4),
        TraceEntry("r_closed", "fired", "clock", event=7),
        TraceEntry("d_triage", "fired", "started", event=0),
        TraceEntry("t_register", "fired", "x", event=0),
    ]
    settings = {"reregistration_effect": "cancel", "retention_regime": "long"}
    points = b.open_points(trace, settings)
    by_rule = {p.rule: p for p in points}
    assert by_rule["escalation_open"].kind == "unspecified"
    assert by_rule["escalation_open"].events == (4,)
    # r_closed reads settings.retention_regime and {setting: reregistration_effect}: the latter
    # carries a conflict marker, so it is listed with the value in force
    assert by_rule["reregistration_effect"].kind == "conflict"
    assert by_rule["reregistration_effect"].setting == "reregistration_effect"
    assert "t_register" not in by_rule  # no marker


def test_working_days_calendar_is_an_open_point_where_the_pack_is_silent() -> None:
    mini = load_pack(Path(__file__).parent / "fixtures" / "mini.yaml")
    b = CaseBook(index_case_model(mini), lambda rule: None)
    points = b.open_points([TraceEntry("d_triage", "fired", "started", event=0)], {})
    assert [(p.rule, p.setting, p.reading) for p in points] == [
        ("d_triage", "working_days_calendar", "holidays_package (default)")  # a v1 pack
    ]
    # the v2 test pack defines the setting: the open point is still stated, the pack's value
    # being the decision (and its justification quoted)
    (point,) = book().open_points(
        [TraceEntry("d_triage", "fired", "s", event=0)],
        {"working_days_calendar": "holidays_package"},
    )
    assert (point.rule, point.kind, point.setting, point.events) == (
        "d_triage",
        "unspecified",
        "working_days_calendar",
        (0,),
    )
    assert point.reading == "holidays_package (the pack's setting)"
    assert "the Atw list is the statutory one" in point.note


CASEMODEL_TEXT = (Path(__file__).parent / "fixtures" / "casemodel.yaml").read_text()


def test_a_pack_calendar_setting_with_a_conflict_marker_is_that_conflict() -> None:
    text = CASEMODEL_TEXT.replace(
        '    justification: the covenant does not define "werkdagen"; the Atw list is the '
        "statutory one\n",
        '    justification: the covenant does not define "werkdagen"; the Atw list is the '
        "statutory one\n"
        '    conflict: {readings: ["Atw list", "holidays package"], chosen: "Atw list", '
        'why: "art. 5 and annex 2 count differently"}\n',
    )
    assert text != CASEMODEL_TEXT
    b = CaseBook(index_case_model(load_pack_text(text, "cm.yaml")), lambda rule: None)
    points = b.open_points(
        [
            TraceEntry("d_triage", "fired", "s", event=0),
            TraceEntry("rec_register", "fired", "s", event=0),  # also working days: listed once
        ],
        {"working_days_calendar": "atw"},
    )
    assert [(p.rule, p.kind, p.setting, p.reading) for p in points] == [
        (
            "working_days_calendar",
            "conflict",
            "working_days_calendar",
            "'atw' (default reading: Atw list)",
        )
    ]


def test_a_setting_deciding_whether_a_rule_applied_is_listed_even_if_it_did_not() -> None:
    # retention_regime gates r_closed and r_closed_short (`trigger.when`); with a conflict
    # marker it is an open point whenever case_closed happened, though no rule reading it is
    # in the trace (say the chosen regime's clock was cancelled or is another pack's)
    text = CASEMODEL_TEXT.replace(
        '    source: {document: cv, article: "art. 15", quote: "vijf jaar"}\n',
        '    source: {document: cv, article: "art. 15", quote: "vijf jaar"}\n'
        '    conflict: {readings: ["five years (art. 15(1))", "one year (art. 15(5))"], '
        'chosen: "five years (art. 15(1))", why: "art. 15(1) is the general rule"}\n',
        1,
    )
    assert text != CASEMODEL_TEXT
    b = CaseBook(index_case_model(load_pack_text(text, "cm.yaml")), lambda rule: None)
    closed = SimpleNamespace(index=5, type="case_closed", allowed=True)
    refused = SimpleNamespace(index=5, type="case_closed", allowed=False)
    settings = {"retention_regime": "short"}
    (point,) = b.open_points([], settings, [closed])  # type: ignore[list-item]
    assert (point.rule, point.kind, point.events) == ("retention_regime", "conflict", (5,))
    assert point.reading == "'short' (default reading: five years (art. 15(1)))"
    assert b.open_points([], settings, [refused]) == ()  # type: ignore[list-item]
    assert b.open_points([], settings) == ()


def test_actor_limits_and_mandates() -> None:
    right = {r.id: r for r in PACK.rights}["right_access"]
    assert actor_problem(right.actor, "controller", ()) is None
    assert actor_problem(right.actor, "regisseur", ("regisseur",)) is None
    problem = actor_problem(right.actor, "regisseur", ())
    assert problem is not None and "casemodel.mandate_granted" in problem


def test_form_and_content_of_an_informing_act() -> None:
    duty = {d.id: d for d in PACK.information_duties}["inform_each_member"]
    good = SimpleNamespace(form="oral", how="unspecified", content=("outcome", "expectations"))
    assert informing_problems(duty, good) == []
    letter = SimpleNamespace(form=None, how="written", content=("outcome",))
    assert [code for code, _ in informing_problems(duty, letter)] == [
        "wrong_form",
        "content_missing",
    ]
    unstated = SimpleNamespace(form=None, how="unspecified", content=("outcome", "expectations"))
    assert informing_problems(duty, unstated) == []


def test_flag_rules_turn_a_refusal_into_a_finding_only_where_another_rule_allows() -> None:
    rule = SimpleNamespace(id="deny_flag", on_violation="flag", outcome=None, note=None)
    allowed_entry = TraceEntry("allow_it", "allowed", "ok")
    denied = Verdict(False, ("deny_flag",), ("deny_flag forbids",), (allowed_entry,))
    verdict, flagged = flagged_verdict(denied, {"deny_flag": rule})
    assert verdict.allowed and flagged == ["deny_flag"]
    alone = Verdict(False, ("deny_flag",), ("deny_flag forbids",), ())
    assert flagged_verdict(alone, {"deny_flag": rule}) == (alone, [])
    open_rule = SimpleNamespace(id="u", on_violation="deny", outcome="unspecified", note="n")
    verdict, _ = flagged_verdict(Verdict(True, ("u",), ("u allows",)), {"u": open_rule})
    assert verdict.verdict == "unspecified" and verdict.allowed


def test_a_registered_letter_meets_a_duty_asking_written() -> None:
    """Regression (MDA++ art. 5.7 'minimaal schriftelijk'): an aangetekend letter is written."""
    written_only = SimpleNamespace(id="d", form=("written",), required_content=())
    registered = SimpleNamespace(form="registered", how="unspecified", content=())
    assert informing_problems(written_only, registered) == []  # type: ignore[arg-type]
    oral_only = SimpleNamespace(id="d", form=("oral",), required_content=())
    assert [c for c, _ in informing_problems(oral_only, registered)] == ["wrong_form"]  # type: ignore[arg-type]
