"""Scoped consent, withdrawal and upheld objections per data subject (issue 14 item 2)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from mph_rules.consent import ConsentLedger


def consent(scope: str, subject: str | None = None, **scoping: Any) -> SimpleNamespace:
    fields = {"categories": None, "recipients": None, "purposes": None, **scoping}
    return SimpleNamespace(scope=scope, subject=subject, given_by="subject", **fields)


def test_one_members_consent_covers_that_member_only() -> None:
    ledger = ConsentLedger(subjects=("mother", "son"))
    ledger.record(0, "consent_given", consent("special_data", "mother"))
    assert ledger.covers("special_data", ["mother"])
    assert not ledger.covers("special_data", ["son"])
    assert not ledger.covers("special_data")  # an event about everyone includes the son
    assert ledger.missing("special_data") == "no consent for special_data of son"


def test_household_consent_covers_every_member() -> None:
    ledger = ConsentLedger(subjects=("mother", "son"))
    ledger.record(0, "consent_given", consent("special_data"))
    assert ledger.covers("special_data")


def test_consent_for_one_recipient_does_not_reach_another() -> None:
    ledger = ConsentLedger(subjects=("mother",))
    ledger.record(0, "consent_given", consent("sharing", "mother", recipients=("housing",)))
    assert ledger.covers("sharing", ["mother"], recipient="housing")
    assert not ledger.covers("sharing", ["mother"], recipient="tax_department")
    why = ledger.missing("sharing", ["mother"], recipient="tax_department")
    assert why is not None and "does not extend to recipient tax_department" in why


def test_consent_scoped_by_purpose_and_category() -> None:
    ledger = ConsentLedger(subjects=("mother",))
    ledger.record(
        0,
        "consent_given",
        consent("sharing", "mother", purposes=("support",), categories=("identity",)),
    )
    assert ledger.covers("sharing", ["mother"], category="identity", purpose="support")
    assert not ledger.covers("sharing", ["mother"], category="identity", purpose="collection")
    assert not ledger.covers("sharing", ["mother"], category="identity")  # no purpose stated
    assert not ledger.covers("sharing", ["mother"], category="health", purpose="support")


def test_withdrawal_ends_consent_of_that_subject_and_no_other() -> None:
    ledger = ConsentLedger(subjects=("mother", "father"))
    ledger.record(0, "consent_given", consent("special_data"))
    ledger.record(1, "consent_withdrawn", consent("special_data", "father"))
    assert ledger.covers("special_data", ["mother"])
    assert not ledger.covers("special_data", ["father"])
    assert ledger.missing("special_data", ["father"]) == (
        "consent for special_data of father was withdrawn (event #1)"
    )
    ledger.record(2, "consent_given", consent("special_data", "father"))
    assert ledger.covers("special_data")  # given again later


def test_v1_case_without_subjects_keeps_last_event_wins() -> None:
    ledger = ConsentLedger()
    ledger.record(0, "consent_given", consent("special_data", "mother"))
    assert ledger.covers("special_data")
    ledger.record(1, "consent_refused", consent("special_data", "son"))
    assert not ledger.covers("special_data")
    ledger.record(2, "consent_given", consent("special_data"))
    assert ledger.covers("special_data")


def test_upheld_objection_concerns_that_subject_only() -> None:
    ledger = ConsentLedger(subjects=("mother", "son"))
    ledger.uphold_objection(3, "son", "r1", "right_objection")
    assert ledger.objected(["mother"]) is None
    objection = ledger.objected(None)  # an event about everyone includes the son
    assert objection is not None and objection.subject == "son"
    assert ledger.objected(["son"]) is objection
    copy = ledger.copy()
    copy.uphold_objection(4, "mother", "r2", "right_objection")
    assert ledger.objected(["mother"]) is None


def test_withdrawal_limited_to_recipients_is_honoured_for_those_only() -> None:
    ledger = ConsentLedger(subjects=("mother", "son"))
    partners = ("housing", "police_officer")
    ledger.record(0, "consent_given", consent("sharing", "mother", recipients=partners))
    ledger.record(1, "consent_given", consent("sharing", "son", recipients=partners))
    ledger.record(2, "consent_withdrawn", consent("sharing", "mother", recipients=("housing",)))
    assert not ledger.covers("sharing", ["mother"], recipient="housing")
    assert ledger.missing("sharing", ["mother"], recipient="housing") == (
        "consent for sharing of mother was withdrawn for recipients housing (event #2)"
    )
    assert ledger.covers("sharing", ["mother"], recipient="police_officer")
    assert ledger.covers("sharing", ["son"], recipient="housing")  # his own consent stands
    assert ledger.covers("sharing", ["mother"])  # an act to no recipient (a recording)
    # a later consent for housing covers it again
    ledger.record(3, "consent_given", consent("sharing", "mother", recipients=("housing",)))
    assert ledger.covers("sharing", ["mother"], recipient="housing")
    # a withdrawal without recipients ends every recipient
    ledger.record(4, "consent_withdrawn", consent("sharing", "mother"))
    assert not ledger.covers("sharing", ["mother"], recipient="police_officer")
    # and the ledger's copy decides the same
    assert not ledger.copy().covers("sharing", ["mother"], recipient="police_officer")


def test_household_withdrawal_limited_to_a_recipient_reaches_every_member() -> None:
    ledger = ConsentLedger(subjects=("mother", "son"))
    ledger.record(0, "consent_given", consent("sharing"))
    ledger.record(1, "consent_withdrawn", consent("sharing", recipients=("housing",)))
    assert not ledger.covers("sharing", ["son"], recipient="housing")
    assert ledger.covers("sharing", ["son"], recipient="police_officer")
