"""Pack text in two languages (issue 22): a case-worker-facing text may be `{nl: ..., en: ...}`.

The fixture tests/fixtures/mini_bilingual.yaml is the mini pack with such texts on several
fields. Its "twin" is the same YAML with every `{nl, en}` replaced by its `en`: the engine must
decide exactly as on the twin (the decision carries the English), and the renderers must show
the Dutch with `--lang nl` and the English with `--lang en`.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mph_rules import Engine, PackError, load_pack, load_pack_text
from mph_rules.cli import main
from mph_rules.loading import load_case
from mph_rules.schema.text import Bilingual, dutch_of, pack_text
from mph_rules.yamlread import read_yaml

ROOT = Path(__file__).parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "mini_bilingual.yaml"
CASE = ROOT / "examples" / "mini" / "case.yaml"
AS_OF = "2024-10-01"
SOURCE = FIXTURE.read_text(encoding="utf-8")

# (Dutch, English) of texts the decision on the example case shows
SHOWN = [
    (
        "geen advies voordat het huishouden is gehoord of van horen is afgezien op een grond",
        "no plan before the household was heard or a hearing was waived on a ground",
    ),
    ("Triage binnen 5 werkdagen", "Triage within 5 working days"),
    ("Vijf jaar na afsluiting", "Five years after closing"),
    ("Geanonimiseerd mag langer worden bewaard", "Kept longer once anonymised"),
    ("het advies en wie het heeft vastgesteld", "the plan and who established it"),
    ("Vastleggen van het advies", "Recording the plan"),
    ("art. 15(1) is de hoofdregel", "art. 15(1) is the main rule"),
    ("Etniciteit", "Ethnicity"),  # a category's label in a refusal
    ("Huishouden: ", "Household about"),  # a role label
    ("Fase: Afgesloten", "Phase: Closed"),  # a phase label
]


def _english_only(node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"nl", "en"}:
            return node["en"]
        return {k: _english_only(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_english_only(v) for v in node]
    return node


def _twin() -> str:
    doc, problems = read_yaml(SOURCE, str(FIXTURE))
    assert not problems
    return yaml.safe_dump(_english_only(doc.data), allow_unicode=True)


def test_two_language_texts_load_as_their_english_carrying_the_dutch() -> None:
    pack = load_pack(FIXTURE)
    message = pack.preconditions[0].message
    assert isinstance(message, Bilingual)
    assert message == SHOWN[0][1] and message.nl == SHOWN[0][0]
    assert pack_text(message, "nl") == SHOWN[0][0]
    assert pack_text(message, "en") == SHOWN[0][1]
    assert pack.settings[0].conflict is not None
    readings = pack.settings[0].conflict.readings
    assert [pack_text(r, "nl") for r in readings] == [
        "vijf jaar (art. 15(1))",
        "een jaar (art. 15(5))",
    ]
    # a plain string stays a plain string, shown as written in both languages
    label = pack.information_duties[0].label
    assert type(label) is str and pack_text(label, "nl") == pack_text(label, "en") == label
    assert dutch_of(pack)[SHOWN[1][1]] == SHOWN[1][0]


def test_the_decision_is_the_one_of_the_same_pack_in_english_only() -> None:
    case = load_case(CASE)
    day = dt.date.fromisoformat(AS_OF)
    two = Engine(load_pack(FIXTURE)).evaluate(case, as_of=day)
    one = Engine(load_pack_text(_twin(), "twin.yaml")).evaluate(case, as_of=day)
    # the content hash covers the Dutch too (it is part of the pack); nothing else differs
    assert two.pack.content_hash != one.pack.content_hash
    hashless = [re.sub(r"sha256:[0-9a-f]+", "sha256:-", d.to_json()) for d in (two, one)]
    assert hashless[0] == hashless[1]
    assert json.loads(two.to_json())["events"] == json.loads(one.to_json())["events"]
    for _, english in SHOWN[:8]:  # the texts the decision itself quotes, in English
        assert english in hashless[0]


def _kinds(node: Any) -> set[type]:
    if isinstance(node, dict):
        return {type(k) for k in node} | {t for v in node.values() for t in _kinds(v)}
    if isinstance(node, list):
        return {t for v in node for t in _kinds(v)}
    return {type(node)}


def test_the_decision_as_plain_data_holds_plain_strings_and_replays() -> None:
    """``to_dict`` is plain JSON data: a two-language text is its English ``str``, not the
    ``Bilingual`` the pack holds, so a stored audit record compares equal on replay."""
    from mph_rules.testing import audit

    engine = Engine(load_pack(FIXTURE))
    case = load_case(CASE)
    day = dt.date.fromisoformat(AS_OF)
    plain = engine.evaluate(case, as_of=day).to_dict()
    assert Bilingual not in _kinds(plain)
    assert SHOWN[0][1] in json.dumps(plain)
    stored = json.loads(audit.dumps(audit.record(engine, case, day)))
    assert audit.replay(stored, engine.pack).reproduced


@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_each_language_shows_its_own_text(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = {}
    for lang in ("nl", "en"):
        main([command, "--pack", str(FIXTURE), str(CASE), "--as-of", AS_OF, "--lang", lang])
        out[lang] = capsys.readouterr().out
    shown = SHOWN[:1] if command == "explain" else SHOWN
    for dutch, english in shown:
        assert dutch in out["nl"] and english not in out["nl"], english
        assert english in out["en"] and dutch not in out["en"], dutch


def test_json_output_carries_the_english(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["evaluate", "--pack", str(FIXTURE), str(CASE), "--as-of", AS_OF, "--format", "json"]
    main([*argv, "--lang", "nl"])
    text = capsys.readouterr().out
    assert SHOWN[0][1] in text and SHOWN[0][0] not in text


def test_the_pack_keeps_its_dutch_through_dump_pickle_and_hash() -> None:
    pack = load_pack(FIXTURE)
    dumped = pack.model_dump(mode="json", by_alias=True)
    assert dumped["preconditions"][0]["message"] == {"nl": SHOWN[0][0], "en": SHOWN[0][1]}
    assert dumped["information_duties"][0]["label"] == pack.information_duties[0].label
    again = pickle.loads(pickle.dumps(pack))
    assert again.preconditions[0].message.nl == SHOWN[0][0]  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(pack.preconditions[0].message)).nl == SHOWN[0][0]
    # the same text loads to the same hash; another Dutch text is another pack
    assert load_pack_text(SOURCE, "x.yaml").provenance.content_hash == pack.provenance.content_hash
    changed = load_pack_text(SOURCE.replace(SHOWN[1][0], "Triage in 5 werkdagen"), "x.yaml")
    assert changed.provenance.content_hash != pack.provenance.content_hash
    # a plain-string pack hashes as before: mini has no two-language text
    assert not dutch_of(load_pack(ROOT / "tests" / "fixtures" / "mini.yaml"))


def _problems(text: str) -> list[str]:
    with pytest.raises(PackError) as err:
        load_pack_text(text, "bad.yaml")
    return [str(p) for p in err.value.problems]


def test_a_malformed_two_language_text_is_a_clear_error() -> None:
    flow = "label: {nl: Vastleggen van het advies, en: Recording the plan}"
    assert flow in SOURCE
    line = SOURCE[: SOURCE.index(flow)].count("\n") + 1
    col = len("    label: ") + 1
    cases = {
        "label: {nl: Vastleggen}": f"bad.yaml:{line}:{col}: error[MPH-V002]: "
        "records[0].label.en: missing required key 'en'",
        "label: {nl: x, en: y, de: z}": f"bad.yaml:{line}:{col + 15}: error[MPH-V001]: "
        "records[0].label.de: unknown key 'de'",
        'label: {nl: "", en: y}': f"bad.yaml:{line}:{col + 5}: error[MPH-V005]: "
        "records[0].label.nl: String should have at least 1 character",
        "label: {nl: x, eng: y}": "unknown key 'eng' (did you mean 'en'?)",
        "label: 5": f"bad.yaml:{line}:{col}: error[MPH-V003]: records[0].label: Input should "
        "be a valid string",
    }
    for wrong, expected in cases.items():
        found = _problems(SOURCE.replace(flow, wrong))
        assert any(expected in p for p in found), (wrong, found)
        assert len(found) <= 2, found


def test_a_two_language_pack_travels_to_workers() -> None:
    """distributed/batch send the pack's text and hash; a worker loads the same pack,
    Dutch included, and decides as the sender."""
    from mph_rules.batch import PackSpec

    pack = load_pack(FIXTURE)
    spec = PackSpec.of(pack)
    assert spec.content_hash == pack.provenance.content_hash
    worker = pickle.loads(pickle.dumps(spec)).engine()
    assert worker.pack.preconditions[0].message.nl == SHOWN[0][0]  # type: ignore[attr-defined]
    case = load_case(CASE)
    day = dt.date.fromisoformat(AS_OF)
    assert (
        worker.evaluate(case, as_of=day).to_json()
        == Engine(pack).evaluate(case, as_of=day).to_json()
    )


def test_compare_reads_two_language_packs(capsys: pytest.CaptureFixture[str]) -> None:
    main(["compare", str(FIXTURE), str(ROOT / "tests" / "fixtures" / "mini.yaml"), "--all"])
    assert "mini_bilingual" in capsys.readouterr().out


def test_lint_lang_complete_finds_english_only_texts(tmp_path: Path) -> None:
    """`lint --lang-complete` (opt-in) warns about each English plain string in a field that
    takes `{nl, en}`, at its line; the translated pack has none, and without the flag the
    check does not run (a pack being translated lints clean)."""
    from mph_rules.analysis import lint_pack

    def untranslated(pack: Any, **flags: bool) -> list[Any]:
        found = lint_pack(pack, **flags).findings
        return [f for f in found if f.check == "text-not-translated"]

    assert not untranslated(load_pack(FIXTURE), lang_complete=True)
    twin = tmp_path / "twin.yaml"
    twin.write_text(_twin(), encoding="utf-8")
    found = untranslated(load_pack(twin), lang_complete=True)
    paths = {f.path for f in found}
    assert "preconditions[0].message" in paths and "records[0].what" in paths
    assert "settings[0].conflict.readings[0]" not in paths  # "five years (art. 15(1))": no verb
    message = next(f for f in found if f.path == "preconditions[0].message")
    lines = twin.read_text(encoding="utf-8").splitlines()
    assert SHOWN[0][1] in lines[message.line - 1]  # type: ignore[operator]
    assert not untranslated(load_pack(twin))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_reference_page_shows_its_language(lang: str) -> None:
    from mph_rules import render

    page = render.markdown.pack(load_pack(FIXTURE), lang=lang)
    pairs = [
        *SHOWN[:2],
        ("het college van de gemeente", "the municipal executive"),
        ("Vastleggen van het advies", "Recording the plan"),
        ("de politie geeft incidenten aan de triagist", "the police give incidents"),
        ("de tekst van het convenant (art. 15(1)) noemt vijf jaar", "the covenant text"),
    ]
    for dutch, english in pairs:
        shown, hidden = (dutch, english) if lang == "nl" else (english, dutch)
        assert shown in page and hidden not in page, shown


def test_the_html_report_shows_its_language(capsys: pytest.CaptureFixture[str]) -> None:
    import html

    argv = ["evaluate", "--pack", str(FIXTURE), str(CASE), "--as-of", AS_OF, "--format", "html"]
    for lang in ("nl", "en"):
        main([*argv, "--lang", lang])
        page = html.unescape(capsys.readouterr().out)
        for dutch, english in SHOWN[:7]:
            shown, hidden = (dutch, english) if lang == "nl" else (english, dutch)
            assert shown in page and hidden not in page, (lang, shown)
