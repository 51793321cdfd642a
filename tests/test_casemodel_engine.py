"""The v2 case model end to end on the test pack tests/fixtures/casemodel.yaml (issue 14).

One test per capability; each names the rule of the test pack it exercises.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from mph_rules import Engine, PackError, load_pack, load_pack_text
from mph_rules.decision import CaseDecision

FIXTURE = Path(__file__).parent / "fixtures" / "casemodel.yaml"
PACK = load_pack(FIXTURE)


def edited_fixture(old: str, new: str) -> str:
    """The test pack's text with its first ``old`` replaced by ``new`` (which must occur)."""
    text = FIXTURE.read_text(encoding="utf-8")
    edited = text.replace(old, new, 1)
    assert edited != text, old
    return edited


def pack_error(old: str, new: str) -> str:
    """The error loading the test pack with one edit gives."""
    with pytest.raises(PackError) as info:
        load_pack_text(edited_fixture(old, new), "cm.yaml")
    return str(info.value)
SUBJECTS = [{"id": "mother", "birth_date": "1985-02-01"}, {"id": "son", "birth_date": "2012-06-01"}]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(PACK)


def ev(
    type_: str, at: str, role: str | None = None, subjects: list[str] | None = None, **payload: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {"type": type_, "at": at, "payload": payload}
    if role is not None:
        event["actor"] = {"role": role}
    if subjects is not None:
        event["subjects"] = subjects
    return event


REGISTER = ev("case_registered", "2024-03-11", "police_officer")
ENTRY = ev("casemodel.register_entry", "2024-03-12", "regisseur")
ACCEPT = ev("triage_decided", "2024-03-14", "triagist", outcome="accepted")
HEARD = ev("household_heard", "2024-03-15", "regisseur")
PLAN = ev("plan_established", "2024-03-25", "regisseur")
TO_EXECUTION = [REGISTER, ENTRY, ACCEPT, HEARD, PLAN]


def decide(engine: Engine, *events: dict[str, Any], as_of: str = "2024-12-01") -> CaseDecision:
    case = {"id": "c", "subjects": SUBJECTS, "events": list(events)}
    return engine.evaluate(case, as_of=dt.date.fromisoformat(as_of))


def last(d: CaseDecision) -> Any:
    return d.events[-1]


# --- 1. subjects on events, per-subject duties ------------------------------------------------


def test_per_subject_duty_one_notification_per_member_each_with_its_status(engine: Engine) -> None:
    informed = ev(
        "household_informed",
        "2024-03-26",
        "regisseur",
        subjects=["mother"],
        about="plan",
        form="oral",
        content=["outcome", "expectations"],
    )
    d = decide(engine, *TO_EXECUTION, informed, as_of="2024-04-10")
    each = {n.subject: n.status for n in d.notifications if n.duty == "inform_each_member"}
    assert each == {"mother": "done", "son": "overdue"}  # rule inform_each_member
    assert d.events[-1].subjects == ("mother",)


def test_per_subject_waiver_waives_that_member_only(engine: Engine) -> None:
    d = decide(engine, *TO_EXECUTION)
    assert {n.subject for n in d.notifications if n.duty == "inform_each_member"} == {
        "mother",
        "son",
    }


# --- 4. who and how -----------------------------------------------------------------------------


def test_wrong_form_or_missing_content_does_not_discharge_and_is_a_finding(engine: Engine) -> None:
    letter = ev(
        "household_informed",
        "2024-03-26",
        "regisseur",
        about="plan",
        form="written",
        content=["outcome"],
    )
    d = decide(engine, *TO_EXECUTION, letter, as_of="2024-03-27")
    assert {n.status for n in d.notifications if n.duty == "inform_each_member"} == {"pending"}
    assert {(f.code, f.rule) for f in d.findings} >= {
        ("wrong_form", "inform_each_member"),
        ("content_missing", "inform_each_member"),
    }
    assert all(f.source for f in d.findings)


def test_wrong_actor_does_not_discharge(engine: Engine) -> None:
    by_triagist = ev(
        "household_informed",
        "2024-03-26",
        "triagist",
        about="plan",
        form="oral",
        content=["outcome", "expectations"],
    )
    d = decide(engine, *TO_EXECUTION, by_triagist, as_of="2024-03-27")
    assert {n.status for n in d.notifications if n.duty == "inform_each_member"} == {"pending"}
    assert ("wrong_actor", "inform_each_member") in {(f.code, f.rule) for f in d.findings}


def test_request_answered_without_mandate_stays_open_and_a_mandate_fixes_it(
    engine: Engine,
) -> None:
    received = ev(
        "subject_request_received",
        "2024-03-20",
        "controller",
        request_id="r1",
        right="access",
        subject="mother",
    )
    answered = ev(
        "subject_request_answered", "2024-03-22", "regisseur", request_id="r1", outcome="granted"
    )
    d = decide(engine, REGISTER, received, answered, as_of="2024-03-25")
    request = next(n for n in d.notifications if n.duty == "right_access")
    assert request.status == "pending"  # right_access: actor {roles: [controller], mandate}
    assert ("wrong_actor", "right_access") in {(f.code, f.rule) for f in d.findings}
    mandate = ev("casemodel.mandate_granted", "2024-03-21", "controller")
    mandate["payload"] = {"role": "regisseur"}
    d = decide(engine, REGISTER, received, mandate, answered, as_of="2024-03-25")
    assert next(n for n in d.notifications if n.duty == "right_access").status == "done"


# --- 2. scoped consent, withdrawal, objection ------------------------------------------------


def provide(at: str, subjects: list[str] | None, purpose: str = "coordinated_support") -> Any:
    return ev(
        "data_provided",
        at,
        "regisseur",
        subjects=subjects,
        from_role="regisseur",
        to_role="housing",
        categories=["identity"],
        purpose=purpose,
    )


CONSENT = ev(
    "consent_given",
    "2024-03-26",
    "regisseur",
    scope="sharing_housing",
    subject="mother",
    recipients=["housing"],
    purposes=["coordinated_support"],
)


def test_consent_of_one_member_covers_that_member_only(engine: Engine) -> None:
    d = decide(engine, *TO_EXECUTION, CONSENT, provide("2024-03-27", ["mother"]))
    assert last(d).allowed and last(d).rules == ("s_housing",)
    d = decide(engine, *TO_EXECUTION, CONSENT, provide("2024-03-27", ["son"]))
    assert not last(d).allowed
    d = decide(engine, *TO_EXECUTION, CONSENT, provide("2024-03-27", None))  # everyone
    assert not last(d).allowed


def test_purpose_outside_the_rule_and_the_consent_is_denied(engine: Engine) -> None:
    d = decide(engine, *TO_EXECUTION, CONSENT, provide("2024-03-27", ["mother"], "collection"))
    assert not last(d).allowed  # s_housing: purposes [coordinated_support]
    assert last(d).rules == ("default_deny.sharing",)


def test_withdrawal_stops_later_processing_of_that_member_cited(engine: Engine) -> None:
    withdrawn = ev(
        "consent_withdrawn", "2024-04-01", "regisseur", scope="sharing_housing", subject="mother"
    )
    d = decide(engine, *TO_EXECUTION, CONSENT, withdrawn, provide("2024-04-02", ["mother"]))
    assert not last(d).allowed
    assert any("was withdrawn (event #6)" in r for r in last(d).reasons), last(d).reasons


def test_upheld_objection_stops_processing_of_that_subject_and_no_other(engine: Engine) -> None:
    received = ev(
        "subject_request_received",
        "2024-03-26",
        "controller",
        request_id="o1",
        right="objection",
        subject="son",
    )
    upheld = ev(
        "subject_request_answered", "2024-03-27", "controller", request_id="o1", outcome="granted"
    )
    write_son = ev(
        "data_recorded", "2024-03-28", "regisseur", subjects=["son"], categories=["identity"]
    )
    write_mother = ev(
        "data_recorded", "2024-03-28", "regisseur", subjects=["mother"], categories=["identity"]
    )
    d = decide(engine, *TO_EXECUTION, received, upheld, write_son, write_mother)
    son, mother = d.events[-2], d.events[-1]
    assert not son.allowed and son.rules == ("right_objection",)
    assert "objection of son upheld" in son.reasons[0]
    assert mother.allowed


def test_objection_answer_deadline_comes_from_a_setting(engine: Engine) -> None:
    received = ev(
        "subject_request_received",
        "2024-03-26",
        "controller",
        request_id="o1",
        right="objection",
        subject="son",
    )
    d = decide(engine, REGISTER, received, as_of="2024-03-27")
    request = next(n for n in d.notifications if n.duty == "right_objection")
    assert request.due == dt.date(2024, 4, 9)  # duration_from: {setting: answer_term} = P2W
    other = Engine(PACK, settings={"answer_term": "P3W"})
    d = decide(other, REGISTER, received, as_of="2024-03-27")
    assert next(n for n in d.notifications if n.duty == "right_objection").due == dt.date(
        2024, 4, 16
    )


# --- 6. findings: on_violation: flag -----------------------------------------------------------


def test_flag_allows_the_act_and_raises_a_finding(engine: Engine) -> None:
    meeting = ev("case_meeting_held", "2024-03-15", "regisseur")
    d = decide(engine, REGISTER, ACCEPT, meeting)
    assert last(d).allowed and last(d).verdict == "allowed"
    assert [(f.code, f.rule, f.event) for f in d.findings if f.code != "record_missing"] == [
        ("precondition_not_met", "note_before_meeting", 2)
    ]
    d = decide(engine, REGISTER, ENTRY, ACCEPT, meeting)
    assert d.findings == ()


# --- 7. open outcomes and open points -----------------------------------------------------------


def test_outcome_unspecified_gives_verdict_unspecified_and_an_open_point(engine: Engine) -> None:
    escalate = ev("escalated", "2024-03-15", "regisseur", to="mayor")
    d = decide(engine, REGISTER, ENTRY, ACCEPT, escalate)
    assert last(d).verdict == "unspecified" and last(d).allowed
    points = {p.rule: p for p in d.open_points}
    assert points["escalation_open"].kind == "unspecified"
    assert points["escalation_open"].events == (3,)


def test_sharing_rule_with_open_outcome_gives_unspecified(engine: Engine) -> None:
    incidents = ev(
        "data_provided",
        "2024-03-27",
        "regisseur",
        from_role="regisseur",
        to_role="housing",
        categories=["police_incidents"],
    )
    d = decide(engine, *TO_EXECUTION, incidents)
    assert last(d).verdict == "unspecified"
    assert "s_housing_unclear" in {p.rule for p in d.open_points}


def test_conflict_marker_of_a_setting_is_an_open_point_when_touched(engine: Engine) -> None:
    closed = ev("case_closed", "2024-09-30", "regisseur")
    d = decide(engine, *TO_EXECUTION, closed)
    point = next(p for p in d.open_points if p.rule == "reregistration_effect")
    assert point.kind == "conflict" and point.setting == "reregistration_effect"


# --- 5. records -------------------------------------------------------------------------------


def test_records_required_done_missing(engine: Engine) -> None:
    d = decide(engine, REGISTER, as_of="2024-03-12")
    assert [(r.rule, r.status) for r in d.records] == [("rec_register", "required")]
    d = decide(engine, REGISTER, as_of="2024-03-25")
    assert [(r.rule, r.status) for r in d.records] == [("rec_register", "missing")]
    assert ("record_missing", "rec_register") in {(f.code, f.rule) for f in d.findings}
    d = decide(engine, REGISTER, ENTRY, as_of="2024-03-25")
    assert [(r.rule, r.status, r.done_event) for r in d.records] == [("rec_register", "done", 1)]


def test_a_note_per_provision_per_subject(engine: Engine) -> None:
    note = ev(
        "data_recorded",
        "2024-03-27",
        "regisseur",
        subjects=["mother"],
        categories=["identity"],
        record="rec_provision",
        purpose="coordinated_support",
    )
    d = decide(engine, *TO_EXECUTION, CONSENT, provide("2024-03-27", ["mother"]), note)
    provision = [(r.subject, r.status) for r in d.records if r.rule == "rec_provision"]
    assert provision == [("mother", "done")]


# --- 8. time ------------------------------------------------------------------------------------


def test_waiting_period_not_before(engine: Engine) -> None:
    early = ev("plan_established", "2024-03-18", "regisseur")
    d = decide(engine, REGISTER, ENTRY, ACCEPT, HEARD, early)
    assert not last(d).allowed and last(d).rules == ("cooling_off_before_plan",)
    assert "not before 2024-03-22" in last(d).reasons[0]


def test_waiting_period_counts_werkdagen_on_the_packs_calendar() -> None:
    """A `not_before` in working days skips the days of the pack's "werkdagen" calendar, as
    every other deadline does: from Thursday 2 May 2024, five working days end on Friday 10 May
    on the `holidays` list but on Monday 13 May on the Atw list (10 May 2024 is a day the
    Besluit gelijkstelling dagen sets equal to a holiday)."""
    text = edited_fixture(
        "not_before: {after: {event: household_heard}, duration: P1W}",
        "not_before: {after: {event: household_heard}, duration: P5D, counting: working_days}",
    )
    pack = load_pack_text(text, "casemodel_werkdagen.yaml")
    heard = ev("household_heard", "2024-05-02", "regisseur")
    plan = ev("plan_established", "2024-05-10", "regisseur")
    events = [REGISTER, ENTRY, ACCEPT, heard, plan]
    atw = decide(Engine(pack), *events)
    assert not last(atw).allowed and "not before 2024-05-13" in last(atw).reasons[0]
    package = decide(Engine(pack, settings={"working_days_calendar": "holidays_package"}), *events)
    assert last(package).allowed


def test_several_recipients_one_notification_each(engine: Engine) -> None:
    closed = ev("case_closed", "2024-09-30", "regisseur")
    d = decide(engine, *TO_EXECUTION, closed)
    recipients = sorted(
        n.recipient for n in d.notifications if n.duty == "inform_partners_of_closure"
    )
    assert recipients == ["housing", "police_officer"]


def test_duty_opened_by_a_missed_deadline(engine: Engine) -> None:
    d = decide(engine, REGISTER, as_of="2024-03-13")
    assert not [n for n in d.notifications if n.duty == "inform_late_triage"]
    d = decide(engine, REGISTER, as_of="2024-03-25")  # d_triage due 2024-03-18, missed
    late = [n for n in d.notifications if n.duty == "inform_late_triage"]
    assert [(n.due, n.status) for n in late] == [(dt.date(2024, 3, 21), "overdue")]


def test_process_deadline_cancelled_by(engine: Engine) -> None:
    withdrawn = ev("casemodel.withdrawn", "2024-03-12", "regisseur")
    d = decide(engine, REGISTER, withdrawn, as_of="2024-03-25")
    assert [x.status for x in d.deadlines] == ["cancelled"]
    assert not [n for n in d.notifications if n.duty == "inform_late_triage"]


def test_case_owner_per_phase(engine: Engine) -> None:
    assert decide(engine, REGISTER, ACCEPT).owner == "regisseur"  # phase meeting: owner
    assert decide(engine, REGISTER).owner is None


def test_working_days_on_the_pack_calendar_setting(engine: Engine) -> None:
    register = ev("case_registered", "2026-04-30", "police_officer")  # a Thursday
    d = decide(engine, register, as_of="2026-05-01")
    assert d.deadlines[0].due == dt.date(2026, 5, 8)  # 5 May 2026 (Atw) skipped
    package = Engine(PACK, settings={"working_days_calendar": "holidays_package"})
    assert decide(package, register, as_of="2026-05-01").deadlines[0].due == dt.date(2026, 5, 7)


# --- retention ----------------------------------------------------------------------------------

CLOSED = ev("case_closed", "2024-09-30", "regisseur")


def test_nothing_read_after_the_deletion_date_save_surviving_fields(engine: Engine) -> None:
    read_all = ev("file_accessed", "2030-01-02", "regisseur", categories=["identity"])
    read_area = ev(
        "file_accessed",
        "2030-01-02",
        "regisseur",
        categories=["identity"],
        fields=["postcode_area"],
    )
    d = decide(engine, *TO_EXECUTION, CLOSED, read_all, read_area, as_of="2030-02-01")
    deletion = next(x for x in d.deletions if x.scope == "case_file")
    assert deletion.date == dt.date(2030, 1, 1) and deletion.surviving_fields == ("postcode_area",)
    assert not d.events[-2].allowed and d.events[-2].rules == ("r_closed",)
    assert d.events[-1].allowed
    before = ev("file_accessed", "2029-12-31", "regisseur", categories=["identity"])
    assert last(decide(engine, *TO_EXECUTION, CLOSED, before, as_of="2030-02-01")).allowed


def test_reregistration_effect_is_a_setting(engine: Engine) -> None:
    rereg = ev("case_reregistered", "2025-02-01", "police_officer")
    d = decide(engine, *TO_EXECUTION, CLOSED, rereg, as_of="2025-03-01")
    assert next(x for x in d.deletions if x.scope == "case_file").date is None  # cancel
    keep = Engine(PACK, settings={"reregistration_effect": "keep"})
    d = decide(keep, *TO_EXECUTION, CLOSED, rereg, as_of="2025-03-01")
    assert next(x for x in d.deletions if x.scope == "case_file").date == dt.date(2030, 1, 1)
    restart = Engine(PACK, settings={"reregistration_effect": "restart"})
    d = decide(restart, *TO_EXECUTION, CLOSED, rereg, as_of="2025-03-01")
    assert next(x for x in d.deletions if x.scope == "case_file").date == dt.date(2031, 1, 1)


def test_per_subject_clock_and_restart_only_while_it_runs(engine: Engine) -> None:
    first = ev(
        "consent_given", "2024-03-20", "regisseur", scope="x", subject="mother", subjects=["mother"]
    )
    again = ev(
        "consent_given", "2025-03-20", "regisseur", scope="x", subject="mother", subjects=["mother"]
    )
    late = ev(
        "consent_given", "2027-03-21", "regisseur", scope="x", subject="mother", subjects=["mother"]
    )
    d = decide(engine, REGISTER, first, as_of="2024-04-01")
    clocks = [(x.subject, x.date) for x in d.deletions if x.scope == "consent_records"]
    assert clocks == [("mother", dt.date(2026, 3, 20))]
    d = decide(engine, REGISTER, first, again, as_of="2025-04-01")
    assert [x.date for x in d.deletions if x.scope == "consent_records"] == [dt.date(2027, 3, 20)]
    d = decide(engine, REGISTER, first, again, late, as_of="2027-04-01")
    assert [x.date for x in d.deletions if x.scope == "consent_records"] == [dt.date(2027, 3, 20)]


# --- 9. point queries with a case state ----------------------------------------------------------


def test_point_query_reads_history_from_a_session(engine: Engine) -> None:
    session = engine.session("c", subjects=SUBJECTS)
    for event in TO_EXECUTION:
        session.post(event)
    fresh = engine.check_sharing(
        "regisseur",
        "housing",
        "identity",
        phase="execution",
        payload={"purpose": "coordinated_support"},
    )
    assert not fresh.allowed
    session.post(CONSENT)
    everyone = engine.check_sharing(
        "regisseur",
        "housing",
        "identity",
        phase="execution",
        payload={"purpose": "coordinated_support"},
        session=session,
    )
    assert not everyone.allowed  # the son gave no consent
    informed = engine.check_sharing(
        "regisseur",
        "housing",
        "identity",
        phase="execution",
        payload={"purpose": "coordinated_support", "subjects": ["mother"]},
        session=session,
    )
    assert informed.allowed and informed.rules == ("s_housing",)
    # the session is only read
    assert session.phase == "execution" and len(session.verdicts) == len(TO_EXECUTION) + 1


def test_unknown_subject_on_an_event_is_refused_whole(engine: Engine) -> None:
    from mph_rules import EventError

    bad = ev("file_accessed", "2024-03-12", "triagist", subjects=["mothr"], categories=["identity"])
    with pytest.raises(EventError) as info:
        decide(engine, REGISTER, bad)
    assert "did you mean 'mother'" in str(info.value) or "mother" in str(info.value)
    session = engine.session("c", subjects=SUBJECTS)
    session.post(REGISTER)
    with pytest.raises(EventError):
        session.post(bad)
    assert len(session.verdicts) == 1


def test_session_post_reports_the_findings_the_event_raised(engine: Engine) -> None:
    session = engine.session("c", subjects=SUBJECTS)
    session.post(REGISTER)
    session.post(ACCEPT)
    consequences = session.post(ev("case_meeting_held", "2024-03-15", "regisseur"))
    assert [f.rule for f in consequences.findings] == ["note_before_meeting"]


# --- conditions: occurred ... since, two fields ---------------------------------------------


def test_occurred_since_counts_only_after_the_latest_such_event(engine: Engine) -> None:
    informed = ev("household_informed", "2024-03-20", "regisseur", about="registration")
    d = decide(engine, *TO_EXECUTION[:4], informed, PLAN, CLOSED)
    assert [f.rule for f in d.findings if f.code == "precondition_not_met"] == [
        "informed_since_plan"
    ]  # informed before the plan: not since it
    after = ev("household_informed", "2024-03-26", "regisseur", about="registration")
    d = decide(engine, *TO_EXECUTION, after, CLOSED)
    assert not [f for f in d.findings if f.rule == "informed_since_plan"]


def test_two_fields_compared(engine: Engine) -> None:
    def waiver(review: str) -> dict[str, Any]:
        return ev(
            "information_duty_waived",
            "2024-09-30",
            "regisseur",
            duty="inform_household",
            ground="safety",
            reason="risk",
            expected_until="2024-12-31",
            review_at=review,
        )

    ok = decide(engine, REGISTER, waiver("2024-11-30"))
    assert last(ok).allowed
    late = decide(engine, REGISTER, waiver("2025-01-15"))
    assert not last(late).allowed and last(late).rules == ("review_before_expected_end",)


def test_duration_from_an_event_field_with_a_fallback(engine: Engine) -> None:
    mandate = ev("casemodel.mandate_granted", "2024-03-21", "controller")
    mandate["payload"] = {"role": "regisseur", "term": "P10D"}
    d = decide(engine, REGISTER, mandate, as_of="2024-03-22")
    assert next(n for n in d.notifications if n.duty == "confirm_mandate").due == dt.date(
        2024, 3, 31
    )
    mandate["payload"] = {"role": "regisseur"}
    d = decide(engine, REGISTER, mandate, as_of="2024-03-22")
    assert next(n for n in d.notifications if n.duty == "confirm_mandate").due == dt.date(
        2024, 4, 21
    )


def test_window_a_reregistration_cancels_only_within_a_year(engine: Engine) -> None:
    declined = ev("triage_decided", "2024-03-14", "triagist", outcome="declined")
    soon = ev("case_reregistered", "2024-06-01", "police_officer")
    late = ev("case_reregistered", "2025-06-01", "police_officer")
    d = decide(engine, REGISTER, declined, soon, as_of="2024-07-01")
    assert next(x for x in d.deletions if x.scope == "case_file").date is None
    d = decide(engine, REGISTER, declined, late, as_of="2025-07-01")
    assert next(x for x in d.deletions if x.scope == "case_file").date == dt.date(2026, 1, 1)


def test_a_deletion_date_closes_only_the_data_in_its_scope(engine: Engine) -> None:
    # rule r_police_data: police_incidents are deleted 6 months after the plan (2024-09-25);
    # the rest of the file (identity) stays open until its own date
    def read(at: str, *categories: str) -> dict[str, Any]:
        return ev("file_accessed", at, "regisseur", categories=list(categories))

    d = decide(engine, *TO_EXECUTION, read("2024-10-01", "police_incidents"), as_of="2024-10-02")
    assert not last(d).allowed and last(d).rules == ("r_police_data",)
    assert "police_data passed its deletion date 2024-09-25" in last(d).reasons[0]
    d = decide(engine, *TO_EXECUTION, read("2024-10-01", "identity"), as_of="2024-10-02")
    assert last(d).allowed and "r_police_data" not in last(d).rules
    # an act naming data of the closed scope among others is refused whole
    d = decide(
        engine,
        *TO_EXECUTION,
        read("2024-10-01", "identity", "police_incidents"),
        as_of="2024-10-02",
    )
    assert not last(d).allowed and last(d).rules == ("r_police_data",)
    # on its last day the scope is still open
    d = decide(engine, *TO_EXECUTION, read("2024-09-25", "police_incidents"), as_of="2024-10-02")
    assert last(d).allowed


def test_a_scope_holding_no_category_closes_nothing(engine: Engine) -> None:
    # rule r_consent_records (`categories: []`): the mother's consent records run out on
    # 2026-03-26; her data in the file may still be read
    read = ev(
        "file_accessed", "2026-04-01", "regisseur", subjects=["mother"], categories=["identity"]
    )
    d = decide(engine, *TO_EXECUTION, CONSENT, read, as_of="2026-04-02")
    dates = {(x.subject, x.date) for x in d.deletions if x.scope == "consent_records"}
    assert ("mother", dt.date(2026, 3, 26)) in dates
    assert last(d).allowed


def test_the_pack_calendar_setting_is_stated_as_an_open_point(engine: Engine) -> None:
    # d_triage counts "binnen 5 werkdagen"; the test pack's setting working_days_calendar
    # decides which holidays count: an open point with the pack's value, not a hidden one
    d = decide(engine, REGISTER, as_of="2024-03-12")
    (point,) = (p for p in d.open_points if p.setting == "working_days_calendar")
    assert point.rule == "d_triage" and point.reading == "atw (the pack's setting)"
    other = Engine(PACK, settings={"working_days_calendar": "holidays_package"})
    (point,) = (p for p in decide(other, REGISTER).open_points if p.setting)
    assert point.reading == "holidays_package (the pack's setting)"


# --- per-subject representatives: age rules on a per-subject duty ------------------------------


def test_a_child_under_16_is_informed_and_so_is_the_representative_from_the_start(
    engine: Engine,
) -> None:
    # rule inform_each_of_acceptance: under 16 (the son, 11 at acceptance) the subject and the
    # legal representative, each a notification opened at the trigger; the mother (39) herself
    d = decide(engine, REGISTER, ACCEPT, as_of="2024-03-15")
    opened = sorted(
        (n.subject, n.addressee, n.status)
        for n in d.notifications
        if n.duty == "inform_each_of_acceptance"
    )
    assert opened == [
        ("mother", "subject", "pending"),
        ("son", "legal_representative", "pending"),
        ("son", "subject", "pending"),
    ]


def test_informing_the_child_does_not_discharge_the_representatives_notification(
    engine: Engine,
) -> None:
    def told(at: str, who: str, addressee: str | None = None) -> dict[str, Any]:
        extra = {} if addressee is None else {"addressee": addressee}
        return ev(
            "household_informed", at, "regisseur", subjects=[who], about="acceptance", **extra
        )

    d = decide(engine, REGISTER, ACCEPT, told("2024-03-20", "son"), as_of="2024-04-30")
    status = {
        (n.subject, n.addressee): n.status
        for n in d.notifications
        if n.duty == "inform_each_of_acceptance"
    }
    assert status[("son", "subject")] == "done"
    assert status[("son", "legal_representative")] == "overdue"
    assert status[("mother", "subject")] == "overdue"
    d = decide(
        engine,
        REGISTER,
        ACCEPT,
        told("2024-03-20", "son"),
        told("2024-03-21", "son", "legal_representative"),
        told("2024-03-21", "mother"),
        as_of="2024-04-30",
    )
    assert {n.status for n in d.notifications if n.duty == "inform_each_of_acceptance"} == {"done"}


def test_without_a_birth_date_the_age_rules_are_not_applied_and_the_note_says_so(
    engine: Engine,
) -> None:
    case = {"id": "c", "subjects": [{"id": "x"}], "events": [REGISTER, ACCEPT]}
    d = engine.evaluate(case, as_of=dt.date(2024, 3, 15))
    (n,) = (n for n in d.notifications if n.duty == "inform_each_of_acceptance")
    assert n.addressee == "subject" and n.note is not None and "no birth date for x" in n.note


def test_representation_needs_a_per_subject_duty() -> None:
    error = pack_error("    about: acceptance\n    per: subject\n", "    about: acceptance\n")
    assert "representation needs `per: subject`" in error


# --- withdrawal of consent limited to some recipients ---------------------------------------------


def test_withdrawal_for_one_recipient_stops_provision_to_that_recipient_only(
    engine: Engine,
) -> None:
    # rule s_partners: identity to housing or the police officer with consent sharing_partners
    def consent(type_: str, at: str, **scoping: Any) -> dict[str, Any]:
        return ev(type_, at, "regisseur", scope="sharing_partners", subject="mother", **scoping)

    def give(at: str, to: str) -> dict[str, Any]:
        return ev(
            "data_provided",
            at,
            "regisseur",
            subjects=["mother"],
            from_role="regisseur",
            to_role=to,
            categories=["identity"],
        )

    given = consent("consent_given", "2024-03-26", recipients=["housing", "police_officer"])
    withdrawn = consent("consent_withdrawn", "2024-03-27", recipients=["housing"])
    d = decide(engine, *TO_EXECUTION, given, withdrawn, give("2024-03-28", "housing"))
    assert not last(d).allowed
    assert any("withdrawn for recipients housing" in r for r in last(d).reasons)
    d = decide(engine, *TO_EXECUTION, given, withdrawn, give("2024-03-28", "police_officer"))
    assert last(d).allowed and last(d).rules == ("s_partners",)
    # a withdrawal naming no recipient ends both
    everyone = consent("consent_withdrawn", "2024-03-27")
    d = decide(engine, *TO_EXECUTION, given, everyone, give("2024-03-28", "police_officer"))
    assert not last(d).allowed


# --- waivers: the pack's own fields, and a waiver before the duty opens ------------------------


def waive(at: str, duty: str, subjects: list[str] | None = None, **payload: Any) -> dict[str, Any]:
    return ev(
        "information_duty_waived",
        at,
        "regisseur",
        subjects=subjects,
        duty=duty,
        ground="safety",
        reason="risk to the child",
        **payload,
    )


def test_a_waiver_before_the_duty_opens_waives_the_notifications_it_opens(
    engine: Engine,
) -> None:
    # rule inform_each_of_acceptance (waiver_before_open): the son's exception is known at
    # registration; at acceptance his notifications (his and his representative's) open waived
    early = waive(
        "2024-03-12", "inform_each_of_acceptance", ["son"], details={"review_frequency": "P1M"}
    )
    d = decide(engine, REGISTER, early, ACCEPT, as_of="2024-03-15")
    assert d.events[1].allowed and d.events[1].rules[0] == "inform_each_of_acceptance"
    status = {
        (n.subject, n.addressee): (n.status, n.done_event, n.ground)
        for n in d.notifications
        if n.duty == "inform_each_of_acceptance"
    }
    assert status == {
        ("mother", "subject"): ("pending", None, None),
        ("son", "subject"): ("waived", 1, "safety"),
        ("son", "legal_representative"): ("waived", 1, "safety"),
    }
    # the advance waiver covers one trigger: a second acceptance (after re-registration)
    # opens the son's notifications again, not waived
    later = [
        HEARD,
        PLAN,
        ev("case_closed", "2024-09-30", "regisseur"),
        ev("case_reregistered", "2024-10-10", "police_officer"),
        ev("triage_decided", "2024-10-11", "triagist", outcome="accepted"),
    ]
    d = decide(engine, REGISTER, early, ACCEPT, *later, as_of="2024-10-12")
    second = [
        n.status
        for n in d.notifications
        if n.duty == "inform_each_of_acceptance" and n.subject == "son" and n.trigger_event == 7
    ]
    assert d.events[7].type == "triage_decided" and second == ["pending", "pending"]


def test_a_waiver_before_a_duty_without_waiver_before_open_is_refused(engine: Engine) -> None:
    # rule inform_household has no waiver_before_open: nothing open to waive before it opens
    early = waive("2024-03-10", "inform_household", review_at="2024-06-01")
    d = decide(engine, early, REGISTER, as_of="2024-03-15")
    assert not d.events[0].allowed
    assert "no open notification of inform_household" in d.events[0].reasons[0]


def test_waiver_requires_names_the_packs_own_fields(engine: Engine) -> None:
    from mph_rules import EventError

    d = decide(engine, REGISTER, ACCEPT, waive("2024-03-15", "inform_each_of_acceptance", ["son"]))
    assert not last(d).allowed
    assert "must record details.review_frequency" in last(d).reasons[0]
    ok = waive(
        "2024-03-15", "inform_each_of_acceptance", ["son"], details={"review_frequency": "P1M"}
    )
    d = decide(engine, REGISTER, ACCEPT, ok, as_of="2024-03-16")
    assert last(d).allowed
    assert {
        n.addressee: n.status
        for n in d.notifications
        if n.duty == "inform_each_of_acceptance" and n.subject == "son"
    } == {"subject": "waived", "legal_representative": "waived"}
    typo = waive(
        "2024-03-15", "inform_each_of_acceptance", ["son"], details={"review_frequncy": "P1M"}
    )
    with pytest.raises(EventError) as info:
        decide(engine, REGISTER, ACCEPT, typo)
    text = str(info.value)
    assert "payload.details.review_frequncy" in text and "review_frequency" in text


def test_waiver_requires_refuses_a_name_that_is_no_field() -> None:
    error = pack_error("waiver_requires: [review_at]", "waiver_requires: [review_date]")
    assert "'review_date' is neither a field of information_duty_waived" in error


def test_consent_for_a_child_under_16_is_given_by_the_representative(engine: Engine) -> None:
    # rule consent_under_16_by_representative (UAVG art. 5(1) style): the son is 11
    def consent(subject: str, given_by: str) -> dict[str, Any]:
        return ev(
            "consent_given",
            "2024-03-26",
            "regisseur",
            scope="sharing_partners",
            subject=subject,
            given_by=given_by,
        )

    d = decide(engine, *TO_EXECUTION, consent("son", "subject"))
    assert not last(d).allowed and last(d).rules == ("consent_under_16_by_representative",)
    assert last(decide(engine, *TO_EXECUTION, consent("son", "legal_representative"))).allowed
    assert last(decide(engine, *TO_EXECUTION, consent("mother", "subject"))).allowed
    # the refused consent counts for nothing: no provision of the son's data on it
    give = ev(
        "data_provided",
        "2024-03-27",
        "regisseur",
        subjects=["son"],
        from_role="regisseur",
        to_role="housing",
        categories=["identity"],
    )
    assert not last(decide(engine, *TO_EXECUTION, consent("son", "subject"), give)).allowed
    d = decide(engine, *TO_EXECUTION, consent("son", "legal_representative"), give)
    assert last(d).allowed and last(d).rules == ("s_partners",)


def test_a_waiver_for_one_subject_never_waives_another_subjects_notification(
    engine: Engine,
) -> None:
    # inform_each_of_acceptance: the son and his representative are informed; a later waiver
    # for the son finds none of his open and must not waive the mother's instead
    def told(addressee: str) -> dict[str, Any]:
        return ev(
            "household_informed",
            "2024-03-20",
            "regisseur",
            subjects=["son"],
            about="acceptance",
            addressee=addressee,
        )

    late = waive(
        "2024-03-21", "inform_each_of_acceptance", ["son"], details={"review_frequency": "P1M"}
    )
    d = decide(
        engine,
        REGISTER,
        ACCEPT,
        told("subject"),
        told("legal_representative"),
        late,
        as_of="2024-03-22",
    )
    status = {
        (n.subject, n.addressee): n.status
        for n in d.notifications
        if n.duty == "inform_each_of_acceptance"
    }
    assert status == {
        ("mother", "subject"): "pending",
        ("son", "subject"): "done",
        ("son", "legal_representative"): "done",
    }
