"""Lint checks, the access matrix and pack comparison (mph_rules.analysis).

Each check is shown on the tidy fixture (which passes every check) broken one way: the check
must fire, at the line of the rule that is wrong, and nothing else may fire.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mph_rules import load_pack
from mph_rules.analysis import (
    CHECKS,
    CellVerdict,
    LintReport,
    Severity,
    access_matrix,
    compare_packs,
    deadline_text,
    humanize_duration,
    lint_pack,
)
from mph_rules.schema import Deadline, Unspecified

FIXTURES = Path(__file__).parent / "fixtures"
TIDY = (FIXTURES / "tidy.yaml").read_text(encoding="utf-8")


def lint_text(text: str, tmp_path: Path) -> LintReport:
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    return lint_pack(load_pack(path), lang_complete=True)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def replace(old: str, new: str) -> str:
    assert TIDY.count(old) == 1, old
    return TIDY.replace(old, new)


def test_tidy_fixture_is_clean_even_strict(tmp_path: Path) -> None:
    report = lint_text(TIDY, tmp_path)
    assert report.findings == ()
    assert not report.failed(strict=True)


A_TRIAGIST = "  - {id: a_triagist,"
S_POLICE = "  - {id: s_police,"
SRC = "source: {document: cv, article: 'art. 99', quote: 'x'}"

# (check, how to break the tidy pack, the line (a unique substring) the finding points at)
BREAKAGES = [
    (
        "source-placeholder",
        replace('quote: "de triagist"}}', 'quote: "TODO"}}'),
        A_TRIAGIST,
    ),
    (
        "default-deny-uncited",
        replace(
            '  access: {source: {document: cv, article: "art. 12(1)", quote: "alleen de '
            'regisseur heeft toegang"}}\n',
            "",
        ),
        "pack:",
    ),
    (
        "unused-role",
        replace("roles:\n", f"roles:\n  - {{id: spare, label: Spare, {SRC}}}\n"),
        "id: spare",
    ),
    (
        "unused-category",
        replace(
            "data_categories:\n",
            f"data_categories:\n  - {{id: spare, label: Spare, kind: ordinary, {SRC}}}\n",
        ),
        "id: spare",
    ),
    (
        "unused-event",
        replace(
            "lifecycle:\n", f"events:\n  - {{type: tidy.spare, label: Spare, {SRC}}}\nlifecycle:\n"
        ),
        "type: tidy.spare",
    ),
    (
        "unused-exception-ground",
        replace(
            "exception_grounds:\n", f"exception_grounds:\n  - {{id: spare, label: Spare, {SRC}}}\n"
        ),
        "id: spare",
    ),
    (
        "unused-setting",
        replace(
            "parties:\n",
            "settings:\n  - {id: spare, label: Spare, choices: [a, b], default: a, "
            f"justification: none, {SRC}}}\nparties:\n",
        ),
        "id: spare",
    ),
    (
        "unused-legal-basis",
        replace(
            "legal_bases:\n",
            "legal_bases:\n  - {id: b_school, party_types: [education], data_kinds: [ordinary], "
            f"ground: public_task, law: WPO, {SRC}}}\n",
        ),
        "id: b_school",
    ),
    (
        "event-never-accepted",
        replace(
            "    exception_grounds: [safety]\n",
            "    exception_grounds: [safety]\n    fulfilled_by: [{event: escalated}]\n",
        ),
        "fulfilled_by: [{event: escalated}]",
    ),
    (
        "phase-unreachable",
        replace("  phases:\n", f"  phases:\n    - {{id: limbo, label: Limbo, {SRC}}}\n"),
        "id: limbo",
    ),
    (
        "phase-dead-end",
        replace("label: Afgesloten, terminal: true,", "label: Afgesloten,"),
        "id: closed",
    ),
    (
        "retention-trigger-never-occurs",
        replace(
            "trigger: {event: case_closed}, anchor",
            "trigger: {event: monitoring_ended}, anchor",
        ),
        "id: r_closed",
    ),
    (
        "retention-trigger-never-occurs",
        replace(
            "when: {field: payload.outcome, equals: declined}}, duration: P1Y",
            "when: {field: payload.outcome, equals: referred_to_regular_care}}, duration: P1Y",
        ),
        "id: r_declined",
    ),
    (
        "access-shadowed",
        replace(
            "access:\n",
            "access:\n  - {id: a_no_closed, roles: [regisseur], categories: '*', phases: [closed], "
            f"actions: [read, write], effect: deny, {SRC}}}\n",
        ),
        "id: a_closed",
    ),
    (
        "access-conflict",
        replace(
            "access:\n",
            "access:\n  - {id: a_no_write, roles: [regisseur], categories: [identity], "
            f"actions: [write], effect: deny, {SRC}}}\n",
        ),
        "id: a_regisseur",
    ),
    (
        "access-redundant",
        replace(
            "sharing:\n",
            "  - {id: a_again, roles: [triagist], categories: [identity], phases: [triage], "
            f"actions: [read], legal_bases: [b_municipality], {SRC}}}\nsharing:\n",
        ),
        "id: a_again",
    ),
    (
        "sharing-shadowed",
        replace(
            "retention:\n",
            "  - {id: s_never, from_roles: '*', to_roles: [triagist], "
            f"categories: [police_incidents], effect: deny, {SRC}}}\nretention:\n",
        ),
        S_POLICE,
    ),
    (
        "sharing-conflict",
        replace(
            "categories: [police_incidents], phases: [triage], legal_bases: [b_police]",
            "categories: [police_incidents], phases: [triage, meeting], legal_bases: [b_police]",
        ).replace(
            "retention:\n",
            "  - {id: s_not_in_meeting, from_roles: [police_officer], to_roles: '*', "
            f"categories: '*', phases: [meeting], effect: deny, {SRC}}}\nretention:\n",
        ),
        S_POLICE,
    ),
    (
        "sharing-redundant",
        replace(
            "retention:\n",
            "  - {id: s_again, from_roles: [police_officer], to_roles: [triagist], "
            "categories: [police_incidents], phases: [triage], legal_bases: [b_police], "
            f"when: {{field: payload.necessary, equals: true}}, {SRC}}}\nretention:\n",
        ),
        "id: s_again",
    ),
    (
        "sharing-without-access",
        replace(
            "to_roles: [triagist], categories: [police_incidents]",
            "to_roles: [regisseur, triagist], categories: [police_incidents]",
        ).replace(
            "categories: [identity, police_incidents, health], phases: [meeting]",
            "categories: [identity, health], phases: [meeting]",
        ),
        S_POLICE,
    ),
    (
        "duty-no-deadline",
        replace(
            "deadline: {asap: true, duration: P1M, counting: eu_1182_71}",
            "deadline: {unspecified: true, note: the covenant gives no date}",
        ),
        "deadline: {unspecified",
    ),
    (
        "duty-no-exceptions",
        replace(
            "preconditions:\n",
            "  - {id: tell_closure, label: Afsluiting melden, trigger: {event: case_closed}, "
            "informer: regisseur, recipient: household, about: closure, "
            f"deadline: {{duration: P2W}}, {SRC}}}\npreconditions:\n",
        ),
        "id: tell_closure",
    ),
    (
        "no-legal-basis",
        replace(
            'legal_bases: [b_municipality], source: {document: cv, article: "art. 12(2)"',
            'legal_bases: [b_police], source: {document: cv, article: "art. 12(2)"',
        ),
        A_TRIAGIST,
    ),
    (
        "legal-basis-mismatch",
        replace(
            "legal_bases: [b_municipality, b_consent]",
            "legal_bases: [b_municipality, b_consent, b_police]",
        ),
        "id: a_regisseur",
    ),
    (
        "consent-not-enforced",
        replace(
            "effect: deny, when: {not: {consent: special_data}}",
            "effect: deny, when: {field: payload.purpose, equals: marketing}",
        ),
        "id: a_regisseur",
    ),
    (
        # opt-in (lint --lang-complete): a Dutch pack with an English-only message
        "text-not-translated",
        replace("  language: en\n", "  language: nl\n"),
        "message: the household is heard before the case is closed",
    ),
]


@pytest.mark.parametrize(
    ("check", "text", "where"),
    BREAKAGES,
    ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BREAKAGES)],
)
def test_each_check_fires_at_the_right_line(
    check: str, text: str, where: str, tmp_path: Path
) -> None:
    report = lint_text(text, tmp_path)
    found = [f for f in report.findings if f.check == check]
    assert found, [str(f) for f in report.findings]
    assert found[0].line == line_of(text, where), str(found[0])
    assert found[0].severity is CHECKS[check].severity
    assert found[0].hint
    others = {f.check for f in report.findings} - {check}
    # a breakage may legitimately trip a related check, never an unrelated one
    related = {
        "sharing-without-access": {"no-legal-basis"},
        "no-legal-basis": {"legal-basis-mismatch"},
        "access-shadowed": set(),
    }
    assert others <= related.get(check, set()), [str(f) for f in report.findings]


def test_every_check_is_exercised_by_a_breakage() -> None:
    assert {c for c, _, _ in BREAKAGES} == set(CHECKS)


def test_errors_fail_warnings_fail_only_strict(tmp_path: Path) -> None:
    warned = lint_text(
        replace("label: Afgesloten, terminal: true,", "label: Afgesloten,"), tmp_path
    )
    assert not warned.failed() and warned.failed(strict=True)
    broken = lint_text(
        replace("  phases:\n", f"  phases:\n    - {{id: limbo, label: Limbo, {SRC}}}\n"), tmp_path
    )
    assert broken.errors and broken.failed()


def test_an_ignore_comment_silences_one_check_on_that_rule(tmp_path: Path) -> None:
    text = replace(
        "access:\n",
        "access:\n  - {id: a_no_write, roles: [regisseur], categories: [identity], "
        f"actions: [write], effect: deny, {SRC}}}\n",
    )
    text = text.replace(
        "  - {id: a_regisseur,",
        "  # mph-rules: ignore[access-conflict] art. 12(2) carves writing out on purpose\n"
        "  - {id: a_regisseur,",
    )
    report = lint_text(text, tmp_path)
    assert report.findings == ()
    assert [f.check for f in report.suppressed] == ["access-conflict"]


def test_errors_cannot_be_silenced(tmp_path: Path) -> None:
    text = replace(
        "  phases:\n",
        "  phases:\n    # mph-rules: ignore[phase-unreachable]\n"
        f"    - {{id: limbo, label: Limbo, {SRC}}}\n",
    )
    report = lint_text(text, tmp_path)
    assert [f.check for f in report.errors] == ["phase-unreachable"]
    assert report.suppressed == ()


def test_baseline_rules_are_not_linted_in_the_pack_that_extends_them() -> None:
    report = lint_pack(load_pack("hilversum"))
    assert not [f for f in report.findings if f.rule and f.rule.startswith("avg.")]
    assert all(f.file and f.file.endswith("hilversum.yaml") for f in report.findings)


def test_a_finding_reads_as_file_line_severity_check_and_hint(tmp_path: Path) -> None:
    report = lint_text(
        replace("label: Afgesloten, terminal: true,", "label: Afgesloten,"), tmp_path
    )
    text = str(report.findings[0])
    assert text.startswith(f"{report.findings[0].file}:{report.findings[0].line}:")
    assert "warning[phase-dead-end]" in text and "hint: " in text
    assert report.to_dict()["findings"][0]["check"] == "phase-dead-end"


# --- the access matrix ------------------------------------------------------------------------


def test_matrix_has_every_cell_and_says_who_decides() -> None:
    pack = load_pack(FIXTURES / "tidy.yaml")
    m = access_matrix(pack)
    assert len(m.cells) == len(m.roles) * len(m.categories) * len(m.phases) * 2
    read = m.cell("regisseur", "identity", "meeting", "read")
    assert read.verdict is CellVerdict.ALLOW
    assert read.rules == ("a_regisseur",) and read.legal_bases == ("b_municipality",)
    health = m.cell("regisseur", "health", "meeting", "write")
    assert health.verdict is CellVerdict.CONDITIONAL
    assert health.legal_bases == ("b_consent",) and "consent" in (health.condition or "")
    assert m.cell("triagist", "ethnicity", "triage", "write").verdict is CellVerdict.DENY
    gap = m.cell("household", "identity", "meeting", "read")
    assert gap.verdict is CellVerdict.DEFAULT_DENY and gap.rules == ()
    counts = m.counts()
    assert sum(counts[v.value] for v in CellVerdict) == len(m.cells)
    assert counts["allow_without_legal_basis"] == 0


def test_matrix_derives_the_basis_when_a_rule_lists_none() -> None:
    m = access_matrix(load_pack(FIXTURES / "tidy.yaml"))
    assert m.cell("regisseur", "identity", "closed", "read").legal_bases == ("b_municipality",)


# --- comparison -------------------------------------------------------------------------------


def test_compare_lines_packs_up_by_core_vocabulary() -> None:
    c = compare_packs([load_pack(FIXTURES / "tidy.yaml"), load_pack(FIXTURES / "mini.yaml")])
    assert c.packs == ("tidy", "mini")
    rows = {(r.aspect, r.item): r for r in c.rows}
    closed = rows[("retention", "on case_closed")]
    assert "5 years from 1 January of the next year" in closed.values[0]
    assert "1 year if the setting 'retention_regime' is 'short'" in closed.values[1]
    assert closed.differs
    assert rows[("rights", "access")].values[0].startswith("4 weeks")
    assert rows[("police data", "may read in the file")].values == (
        "regisseur, triagist",
        "regisseur",
    )
    assert rows[("intake", "decided by")].differs is False
    assert {r["aspect"] for r in c.to_dict()["rows"]} >= {
        "intake",
        "retention",
        "information duties",
        "rights",
        "police data",
    }


def test_compare_cells_read_as_words_in_the_language_never_as_paths() -> None:
    packs = [load_pack(name) for name in ("hilversum", "nijmegen", "mda_plus")]
    for lang, words in (
        ("nl", ("vereist: ", "jaar", "bij casus afgesloten", "verlenging: ")),
        ("en", ("required: ", "year", "on case_closed", "extension: ")),
    ):
        c = compare_packs(packs, lang=lang)
        cells = "\n".join(v for r in c.rows for v in (r.item, *r.values))
        assert not re.search(r"\b(payload|facts|settings|actor)\.[a-z_]", cells), lang
        assert " equals " not in cells and " in [" not in cells
        for word in words:
            assert word in cells, (lang, word)
    dutch = compare_packs(packs, lang="nl")
    rows = {(r.aspect, r.item): r for r in dutch.rows}
    assert (
        "de uitkomst is een van afgewezen, verwezen naar reguliere zorg"
        in (rows[("retention", "bij triagebesluit")].values[0])
    )
    assert rows[("rights", "inzage")].values[0].startswith("4 weken")


def test_deadlines_read_as_a_person_says_them() -> None:
    assert humanize_duration("P5D", "working_days") == "5 working days"
    assert humanize_duration("PT72H") == "72 hours"
    assert humanize_duration("P0D") == "immediately"
    assert deadline_text(Deadline(asap=True)) == "as soon as possible (no latest date)"
    assert deadline_text(Deadline(duration="P1M", counting="eu_1182_71", asap=True)) == (
        "as soon as possible, at the latest 1 month (eu_1182_71)"
    )
    assert deadline_text(Unspecified(unspecified=True, note="open")).startswith("open")


def test_checks_are_documented_in_the_authoring_guide() -> None:
    guide = (Path(__file__).parent.parent / "docs" / "authoring.md").read_text(encoding="utf-8")
    missing = [code for code in CHECKS if f"`{code}`" not in guide]
    assert not missing
    assert {c.severity for c in CHECKS.values()} == set(Severity)


def test_settings_the_engine_reads_are_not_unused() -> None:
    # casemodel.yaml: working_days_calendar (read for every "werkdagen" deadline, d_triage),
    # answer_term ({setting: ...} duration of right_objection) and reregistration_effect
    # (on_reregistration of r_closed) are read, though by no `settings.x` condition
    report = lint_pack(load_pack(FIXTURES / "casemodel.yaml"))
    unused = [f for f in report.findings if f.check == "unused-setting"]
    assert unused == [], unused
