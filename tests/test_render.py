"""Renderings for people: the catalogue is complete in Dutch and English, conditions read as
words, and one example case per pack reads exactly as the committed golden text.

Regenerate the golden files after an intended change of wording or of a pack:
``UPDATE_GOLDEN=1 python -m pytest tests/test_render.py``.
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

import pytest

from mph_rules import render
from mph_rules.cli import main
from mph_rules.cli.common import as_of
from mph_rules.conditions import FieldTest, Not
from mph_rules.engine import Engine
from mph_rules.loading import bundled_names, load_case, load_pack
from mph_rules.render.conditions import Labels, describe, guard
from mph_rules.render.i18n import LANGUAGES, Messages, catalogue, placeholders, reason_patterns
from mph_rules.schema.labels import FieldLabel, Text
from mph_rules.schema.text import pack_text

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"
RENDER_SRC = ROOT / "src" / "mph_rules" / "render"
KEY = re.compile(r"^[a-z_]+\.[a-z0-9_.\-]*[a-z0-9]$")  # f-string prefixes end in . or _
PREFIXES = {
    "decision",
    "mark",
    "when",
    "word",
    "cats",
    "trace",
    "cond",
    "lint",
    "matrix",
    "error",
    "html",
    "svg",
    "docs",
    "compare",
    "check",
    "playground",
    "period",
    "anchor",
    "counting",
    "unit",
}


def test_every_message_has_dutch_and_english_with_the_same_placeholders() -> None:
    for key, texts in catalogue().items():
        assert set(texts) == set(LANGUAGES), key
        assert all(isinstance(t, str) and t for t in texts.values()), key
        assert placeholders(texts["nl"]) == placeholders(texts["en"]), key


def test_every_reason_pattern_has_both_languages_and_uses_its_groups() -> None:
    for pattern, texts in reason_patterns():
        groups = set(pattern.groupindex)
        shown = {g for g in groups if not g.startswith("x_")}  # x_: matched, not shown
        for lang in LANGUAGES:
            assert placeholders(texts[lang]) == shown, (pattern.pattern, lang)
        if shown != groups:
            continue
        # the English template gives back the sentence it matched
        sample = texts["en"].format(**{g: str(i + 1) for i, g in enumerate(sorted(groups))})
        assert pattern.match(sample), pattern.pattern


def test_every_message_key_the_code_uses_is_in_the_catalogue() -> None:
    used: set[str] = set()
    for path in [
        *RENDER_SRC.glob("*.py"),
        *(ROOT / "src" / "mph_rules" / "cli").glob("*.py"),
        ROOT / "src" / "mph_rules" / "analysis.py",  # the compare cells
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and KEY.match(node.value)
                and node.value.split(".")[0] in PREFIXES
            ):
                used.add(node.value)
    assert used, "no message keys found: the scan is broken"
    missing = sorted(k for k in used if k not in catalogue())
    assert not missing


def test_an_unknown_language_is_refused_with_a_hint() -> None:
    with pytest.raises(Exception, match="unknown language 'nL'"):
        Messages("nL")


# --- conditions in words -----------------------------------------------------------------------


def _words(lang: str, labels: tuple[FieldLabel, ...] = ()) -> Labels:
    return Labels(Messages(lang), labels)


def test_a_condition_reads_as_words_never_as_a_path() -> None:
    test = FieldTest.model_validate({"field": "payload.unavoidable", "equals": True})
    assert describe(test, _words("nl")) == "de gegevens onvermijdelijk zijn"
    assert describe(test, _words("en")) == "the data are unavoidable"
    assert guard(test, _words("nl")) == "alleen als de gegevens onvermijdelijk zijn"
    negated = Not.model_validate({"not": {"field": "payload.basis", "equals": "legal_obligation"}})
    assert guard(negated, _words("nl"), deny=True) == (
        "tenzij de grondslag is een wettelijke verplichting"
    )
    assert guard(negated, _words("en"), deny=True) == "unless the legal basis is a legal obligation"


def test_a_pack_label_names_a_fact_in_both_languages() -> None:
    label = FieldLabel(
        field="facts.life_domains",
        name=Text(nl="het aantal leefgebieden met problemen", en="the life domains with problems"),
    )
    test = FieldTest.model_validate({"field": "facts.life_domains", "count_at_least": 3})
    assert describe(test, _words("nl", (label,))) == (
        "het aantal leefgebieden met problemen telt minstens 3"
    )
    assert describe(test, _words("en", (label,))) == (
        "the life domains with problems counts at least 3"
    )
    unlabelled = describe(test, _words("nl"))
    assert "facts." not in unlabelled and "life domains" in unlabelled


def test_the_police_data_rule_of_hilversum_reads_in_dutch() -> None:
    """PR art. 11(3): special police data only when unavoidable, with listed police data."""
    pack = load_pack("hilversum")
    [rule] = [r for r in pack.sharing if r.id == "pr11_3_special_police_data_conditions"]
    assert rule.when is not None
    nl = guard(rule.when, Labels.of(pack, Messages("nl")), deny=True)
    assert nl.startswith("tenzij (") and "de gegevens onvermijdelijk zijn" in nl
    assert "payload." not in nl
    en = guard(rule.when, Labels.of(pack, Messages("en")), deny=True)
    assert "the data are unavoidable" in en and "payload." not in en


# --- golden text per pack ----------------------------------------------------------------------


def _example(pack: str) -> tuple[Path, str]:
    path = sorted((ROOT / "examples" / pack).glob("*.yaml"))[0]
    found = re.search(r"--as-of (\S+)", path.read_text(encoding="utf-8"))
    assert found, f"{path} names no --as-of in its header"
    return path, found.group(1)


@pytest.mark.parametrize("pack", sorted(n for n in bundled_names() if n != "avg"))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden_decision_text(pack: str, lang: str) -> None:
    path, when = _example(pack)
    engine = Engine(load_pack(pack))
    decision = engine.evaluate(load_case(path), as_of=as_of(when))
    text = (
        render.text.decision(decision, engine.pack, lang=lang)
        + "\n\n"
        + render.text.trace(decision, engine.pack, lang=lang)
        + "\n"
    )
    # the pack's content hash changes with any edit of the pack or its defaults; the wording is
    # what this test guards (the hash itself is checked by the audit and schema tests)
    text = re.sub(r"sha256:[0-9a-f]+", "sha256:<hash>", text)
    golden = GOLDEN / f"{pack}.{lang}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"run UPDATE_GOLDEN=1 pytest {__file__}"
    assert text == golden.read_text(encoding="utf-8")


def test_cli_lang_follows_the_pack_and_can_be_overridden(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, when = _example("hilversum")
    assert main(["evaluate", "--pack", "hilversum", str(path), "--as-of", when]) == 0
    assert "Wie moet worden geïnformeerd" in capsys.readouterr().out
    assert (
        main(["evaluate", "--pack", "hilversum", str(path), "--as-of", when, "--lang", "en"]) == 0
    )
    assert "Who must be told" in capsys.readouterr().out


# --- pictures ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pack", sorted(n for n in bundled_names() if n != "avg"))
def test_committed_pack_pictures_are_current(pack: str) -> None:
    """docs/packs/<pack>.*.svg are what `mph-rules docs` writes today."""
    for name, text in render.markdown.pictures(load_pack(pack)).items():
        path = ROOT / "docs" / "packs" / name
        assert path.exists() and path.read_text(encoding="utf-8") == text, (
            f"{path} is out of date: run `mph-rules docs {pack} --out docs/packs`"
        )


def test_the_timeline_marks_late_items_and_places_every_dated_item() -> None:
    path, when = _example("hilversum")
    engine = Engine(load_pack("hilversum"))
    decision = engine.evaluate(load_case(path), as_of=as_of(when))
    picture = render.svg.timeline(decision, engine.pack, lang="nl")
    dated = (
        len(decision.events)
        + sum(1 for n in decision.notifications)
        + sum(1 for pd in decision.deadlines if pd.due is not None)
        + sum(1 for dl in decision.deletions if dl.date is not None)
    )
    assert picture.count('class="tl-item') == dated
    late = sum(pd.status in ("late", "overdue") for pd in decision.deadlines) + sum(
        n.late or n.status == "overdue" for n in decision.notifications
    )
    assert late and picture.count("tl-is-late") == late
    assert picture.count("tl-denied") == sum(not ev.allowed for ev in decision.events)
    assert "Tijdlijn van de casus" in picture and picture == render.svg.timeline(
        decision, engine.pack, lang="nl"
    )


def test_records_findings_and_open_points_are_shown_in_both_languages() -> None:
    import dataclasses

    from mph_rules.decision import Finding, OpenPoint, RecordStatus

    path, when = _example("hilversum")
    engine = Engine(load_pack("hilversum"))
    decision = dataclasses.replace(
        engine.evaluate(load_case(path), as_of=as_of(when)),
        records=(
            RecordStatus(
                "r1", "pr8_inform_household", "why not informed", "missing", "pr art. 8(3)", 2
            ),
        ),
        findings=(
            Finding("record_missing", "pr8_inform_household", "no record", "pr art. 8(3)", 2),
        ),
        open_points=(
            OpenPoint("iv5_2_triage_deadline", "unspecified", "no days given", setting="s"),
        ),
        owner="procesregisseur",
    )
    nl = render.text.decision(decision, engine.pack, lang="nl")
    assert "Wat moet worden vastgelegd" in nl and "ONTBREEKT" in nl and "why not informed" in nl
    assert "Bevindingen" in nl and "vastlegging ontbreekt #2" in nl
    assert "Open punten" in nl and "NIET BEPAALD iv5_2_triage_deadline" in nl
    assert "eigenaar: procesregisseur" in nl
    en = render.text.decision(decision, engine.pack, lang="en")
    assert "What must be written down" in en and "MISSING" in en and "Findings" in en
    assert "record missing #2" in en
    page = render.html.decision(decision, engine.pack, lang="nl")
    assert 'class="records"' in page and 'class="findings"' in page and "open-points" in page


def test_labels_name_consent_and_retention_scopes(tmp_path: Path) -> None:
    """`labels:` may name a consent scope (`consent.<scope>`) and a retention scope
    (`retention.<scope>`): the pages say the name, in each language, not the id."""
    source = (ROOT / "tests" / "fixtures" / "mini.yaml").read_text(encoding="utf-8")
    labels = (
        "\nlabels:\n"
        "  - field: consent.special_data\n"
        "    name: {nl: bijzondere gegevens in het dossier, en: special data in the file}\n"
        "  - field: retention.case_file\n"
        "    name: {nl: het casusdossier, en: the case file}\n"
    )
    (tmp_path / "mini.yaml").write_text(source + labels, encoding="utf-8")
    pack = load_pack(tmp_path / "mini.yaml")
    plain = load_pack(ROOT / "tests" / "fixtures" / "mini.yaml")
    case = load_case(ROOT / "examples" / "mini" / "case.yaml")
    decision = Engine(pack).evaluate(case, as_of=as_of("2024-10-01"))
    same = Engine(plain).evaluate(case, as_of=as_of("2024-10-01"))
    assert {**json.loads(decision.to_json()), "pack": None} == {
        **json.loads(same.to_json()),
        "pack": None,
    }
    nl = render.text.decision(decision, pack, lang="nl")
    en = render.text.decision(decision, pack, lang="en")
    assert "  het casusdossier: vernietigen op 2030-01-01" in nl
    assert "  the case file: delete on 2030-01-01" in en
    assert "case_file:" in render.text.decision(decision, plain, lang="nl")
    page = render.markdown.pack(pack, lang="nl")
    assert "er toestemming is voor bijzondere gegevens in het dossier" in page
    assert "consent for special data in the file was given" in render.markdown.pack(pack, lang="en")
    assert "er toestemming is voor special data" in render.markdown.pack(plain, lang="nl")


def test_negations_and_empty_lists_read_naturally() -> None:
    """No "it is not so that it is not so that": not-not-X is X, a yes/no field tested for no
    and negated is its clause; a test against an empty list says it never holds."""
    flag = FieldLabel(
        field="payload.unavoidable",
        true=Text(nl="de gegevens onvermijdelijk zijn", en="the data are unavoidable"),
    )
    words = _words("nl", (flag,))
    clause = {"field": "payload.unavoidable", "equals": True}
    assert describe(Not.model_validate({"not": {"not": clause}}), words) == (
        "de gegevens onvermijdelijk zijn"
    )
    no = {"field": "payload.unavoidable", "equals": False}
    assert describe(FieldTest.model_validate(no), words) == (
        "het niet zo is dat de gegevens onvermijdelijk zijn"
    )
    assert describe(Not.model_validate({"not": no}), words) == "de gegevens onvermijdelijk zijn"
    empty = FieldTest.model_validate({"field": "payload.ground", "in": []})
    assert describe(empty, _words("nl")).endswith("komt voor in een lege lijst (nooit het geval)")
    assert describe(empty, _words("en")).endswith("is one of an empty list (never so)")


def test_pack_ids_read_as_their_labels_in_both_languages() -> None:
    """A role, category, phase or pack event the engine names by id is shown by the pack's
    label in Dutch and English (render/i18n.py pack_names)."""
    path, when = _example("nijmegen")
    pack = load_pack("nijmegen")
    decision = Engine(pack).evaluate(load_case(path), as_of=as_of(when))
    phase = next(p for p in pack.lifecycle.phases if p.id == decision.phase)  # type: ignore[union-attr]
    for lang in LANGUAGES:
        text = render.text.decision(decision, pack, lang=lang)
        label = pack_text(phase.label, lang)
        assert f"\n{'Fase' if lang == 'nl' else 'Phase'}: {label}\n" in text
        assert decision.phase not in text.split("\n")[2]


def test_a_purpose_list_reads_as_words_not_as_a_python_list() -> None:
    reason = "purpose 'case' is not one of ['reporting', 'research']"
    nl = Messages("nl", names={"research": "onderzoek"}).reason(reason)
    assert nl == "doel 'case' is niet een van de doelen reporting, onderzoek"
    assert Messages("nl").reason("purpose None is not one of ['reporting']") == (
        "er is geen doel opgegeven; toegestaan zijn de doelen reporting"
    )


def test_explain_names_every_trace_outcome_in_dutch(capsys: pytest.CaptureFixture[str]) -> None:
    """A flagged precondition reads "gesignaleerd" in Dutch, never the engine's word."""
    case = ROOT / "examples" / "zvh_midden_nl" / "topx_case_closed.yaml"
    argv = ["explain", "--pack", "zvh_midden_nl", str(case), "--as-of", "2026-01-01"]
    assert main([*argv, "--lang", "nl"]) == 0
    nl = capsys.readouterr().out
    assert "gesignaleerd" in nl and "flagged" not in nl and "['" not in nl
    assert main([*argv, "--lang", "en"]) == 0
    assert "flagged" in capsys.readouterr().out


def test_a_consent_or_retention_scope_in_a_reason_reads_by_its_label() -> None:
    names = {"consent.cross_domain": "domeinoverstijgend", "retention.vis2": "VIS2"}
    m = Messages("nl", names=names)
    assert m.reason("consent for cross_domain of mother was refused (event #14)") == (
        "toestemming voor domeinoverstijgend van mother is geweigerd (gebeurtenis #14)"
    )
    assert m.reason("retention clock for vis2 started") == "bewaartermijn voor VIS2 gestart"
    bare = Messages("nl").reason("no consent for special_data")
    assert bare == "geen toestemming voor special_data"


@pytest.mark.parametrize("pack", bundled_names())
def test_the_pack_page_lists_every_conflict_with_its_readings(pack: str) -> None:
    """Each `conflict:` in the pack's YAML is a row, each reading in the page's language."""
    loaded = load_pack(pack)
    found = render.markdown.conflicts(loaded)
    files = [ROOT / "policies" / f"{pack}.yaml"]
    files += [ROOT / "policies" / "base" / f"{base}.yaml" for base in loaded.pack.extends]
    written = sum(
        len(re.findall(r"^\s*conflict:", f.read_text(encoding="utf-8"), re.M)) for f in files
    )
    assert len(found) == written
    for lang in LANGUAGES:
        page = render.markdown.pack(loaded, lang=lang)
        if not found:
            assert 'id="conflicts"' not in page
            continue
        section = page.split('<a id="conflicts"></a>', 1)[1]
        rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
        assert len(rows) == len(found)
        for (owner, marker, _), row in zip(found, rows, strict=True):
            assert f"`{owner}`" in row
            for reading in marker.readings:
                assert pack_text(reading, lang) in row
