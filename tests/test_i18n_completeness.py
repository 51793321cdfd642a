"""No English in Dutch output (issue 22).

For every example case of every bundled pack, the Dutch text of `mph-rules evaluate`,
`explain`, `lint` and a set of `check` questions is searched for English words that cannot be
Dutch (" the ", " must ", " because ", ...). Quoted field names and values ('...', `...`) and
identifiers are taken out first, and so is what the pack wrote as a plain string (shown as
written in both languages; `python tools/english_in_packs.py` lists which of those are
English). A pack text written as `{nl: ..., en: ...}` is NOT taken out: its Dutch must be
shown, so an English word of it left in the output is a renderer that forgot to ask for it.

Stricter, for every bundled pack (all are translated): no English word at all in the Dutch
evaluate and explain of its examples nor in its Dutch reference page, whoever wrote it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from mph_rules import render
from mph_rules.cli import main
from mph_rules.loading import bundled_names, load_pack
from mph_rules.schema.text import Bilingual, bilingual_texts

ROOT = Path(__file__).parent.parent
PACKS = sorted(n for n in bundled_names() if n != "avg")

# English words and phrases that are not Dutch words: one of them outside the pack's own text
# means a sentence the catalogue does not translate. ("later" is left out: it is Dutch too.)
ENGLISH = re.compile(
    r"\b(the|must|because|may|cannot|does|which|with|from|before|after|only|has|have|"
    r"been|were|its|it|and|not|no|by|should|would|there|this|that|when|where|whose|"
    r"allows|forbids|happened|passed|refused|withdrawn|required|recorded|shared|"
    r"received|answered|extended|needs|exercised|counted|cancelled|started)\b"
)


def _strings(node: Any) -> Iterator[str]:
    """The plain strings of a pack (or of a case), not its two-language texts."""
    if isinstance(node, Bilingual):
        return
    if isinstance(node, str):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _strings(getattr(node, name))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _strings(item)


def _written(pack: str, *, dutch: bool = False) -> set[str]:
    """What the pack (and its examples) wrote as plain strings, whitespace collapsed; with
    ``dutch`` also the Dutch of its two-language texts."""
    loaded = load_pack(pack)
    found = set(_strings(loaded))
    if dutch:
        found |= {t.nl for t in bilingual_texts(loaded)}
    for path in (ROOT / "examples" / pack).glob("*.yaml"):
        found |= set(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return {" ".join(s.split()) for s in found}


def _authored(pack: str) -> list[str]:
    """The pack's own plain-string words (and its examples'), longest first: shown as
    written in every language, so not the renderers' to translate."""
    words = _written(pack)
    return sorted((w for w in words if " " in w or len(w) >= 8), key=len, reverse=True)


def _english(text: str, authored: Sequence[str] = ()) -> list[str]:
    """Lines of ``text`` with an English word outside ``authored`` (the pack's plain text)."""
    left = []
    for line in text.splitlines():
        line = " ".join(line.split())
        for phrase in authored:
            if phrase in line:
                line = line.replace(phrase, "«»")
        # quoted names and values, identifiers (snake_case, dotted, check codes like
        # duty-no-deadline) are the pack's or the schema's, not sentences
        line = re.sub(r"'[^']*'|`[^`]*`|\S*_\S*|\S+\.\S+|[a-z]+(?:-[a-z]+)+", "«»", line)
        if ENGLISH.search(line):
            left.append(line)
    return left


def _as_of(path: Path) -> str:
    found = re.search(r"--as-of (\S+)", path.read_text(encoding="utf-8"))
    assert found, f"{path} names no --as-of in its header"
    return found.group(1)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main([*argv, "--lang", "nl"])
    captured = capsys.readouterr()
    return captured.out + captured.err


def _questions(pack: str) -> Iterator[list[str]]:
    """Point questions over the pack's vocabulary: every role about one category, in a
    phase of the middle of the lifecycle; a provision between the first roles; intake."""
    p = load_pack(pack)
    phases = [ph.id for ph in p.lifecycle.phases] if p.lifecycle else []
    phase = ["--phase", phases[len(phases) // 2]] if phases else []
    cats = [c.id for c in p.data_categories]
    roles = [r.id for r in p.roles]
    for role in roles:
        yield ["check", "access", role, cats[0], "--pack", pack, *phase]
        yield ["check", "access", role, cats[-1], "--pack", pack, "--action", "write", *phase]
    yield ["check", "sharing", roles[0], roles[1], *cats[:3], "--pack", pack, *phase]
    yield ["check", "sharing", roles[1], roles[0], cats[-1], "--pack", pack, *phase]
    yield ["check", "intake", "--pack", pack]


@pytest.mark.parametrize("pack", PACKS)
def test_dutch_output_has_no_english_engine_sentence(
    pack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    authored = _authored(pack)
    examples = sorted((ROOT / "examples" / pack).glob("*.yaml"))
    assert examples
    runs: list[list[str]] = []
    for path in examples:
        args = ["--pack", pack, str(path), "--as-of", _as_of(path)]
        runs += [["evaluate", *args], ["explain", *args]]
    runs += [["lint", pack, "--show-suppressed"], *_questions(pack)]
    found: dict[str, list[str]] = {}
    for argv in runs:
        text = _run(capsys, *argv)
        assert text.strip(), argv
        left = _english(text, authored)
        if left:
            found[" ".join(argv)] = left
    report = "\n".join(f"{cmd}:\n  " + "\n  ".join(lines[:8]) for cmd, lines in found.items())
    assert not found, "English in Dutch output:\n" + report


def test_the_scan_finds_an_english_sentence() -> None:
    """The check itself can fail: an engine sentence the catalogue does not know is found,
    a pack's own English and quoted identifiers are not."""
    authored = ["the data go back to the home organisations"]
    assert _english("  weigert x: the request must be made in writing", authored)
    assert not _english("fase 3 (the data go back to the home organisations)", authored)
    assert not _english("'no legal barrier' is ja; `only_this`", authored)


def _dutch_output(pack: str, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The Dutch evaluate and explain of every example of ``pack`` (a bundled name or a
    path, with its examples in ``examples``), by command line."""
    out = {}
    for path, as_of in _examples(pack):
        args = ["--pack", pack, str(path), "--as-of", as_of]
        for command in ("evaluate", "explain"):
            out[f"{command} {path.name}"] = _run(capsys, command, *args)
    return out


def _examples(pack: str) -> list[tuple[Path, str]]:
    """A bundled pack's examples with their as-of; the mini case for a fixture pack."""
    if pack in PACKS:
        return [(path, _as_of(path)) for path in sorted((ROOT / "examples" / pack).glob("*.yaml"))]
    return [(ROOT / "examples" / "mini" / "case.yaml", "2024-10-01")]


def _all_english(pack: str, capsys: pytest.CaptureFixture[str]) -> dict[str, list[str]]:
    """Every line with an English word in the Dutch output and Dutch reference page of
    ``pack``, pack-authored or not (quoted names and identifiers aside)."""
    texts = _dutch_output(pack, capsys)
    texts["reference page"] = render.markdown.pack(load_pack(pack), lang="nl")
    found = {}
    for what, text in texts.items():
        assert text.strip(), what
        left = _english(text)
        if left:
            found[what] = left
    return found


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{what}:\n  " + "\n  ".join(lines[:12]) for what, lines in found.items())


@pytest.mark.parametrize("pack", PACKS)
def test_a_translated_pack_has_no_english_in_dutch(
    pack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _all_english(pack, capsys)
    assert not found, f"English in the Dutch output of {pack}:\n" + _report(found)


BILINGUAL = ROOT / "tests" / "fixtures" / "mini_bilingual.yaml"


def test_the_strict_check_passes_a_translated_pack_and_fails_its_english_twin(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """tests/fixtures/mini_bilingual.yaml has its case-worker-facing texts in `{nl, en}`: its
    Dutch output has no English word. The same pack with only the English of those texts
    fails the same check, on exactly those texts."""
    found = _all_english(str(BILINGUAL), capsys)
    assert not found, _report(found)

    from tests.test_pack_text import _twin

    twin = tmp_path / "twin.yaml"
    twin.write_text(_twin(), encoding="utf-8")
    texts = _dutch_output(str(twin), capsys)
    texts["reference page"] = render.markdown.pack(load_pack(twin), lang="nl")
    english = "\n".join(line for text in texts.values() for line in _english(text))
    assert "no plan before the household was heard" in english
    assert "Kept longer once anonymised" in english


def test_every_two_language_text_of_a_bundled_pack_is_shown_in_dutch(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Renderer coverage on a real pack, before its translators are done: every plain text of
    hilversum that could be `{nl, en}` is made `{nl: "vertaald<n>", en: <as is>}`; then no
    such English text may be left in the Dutch evaluate, explain and reference page. Left
    out: what stays plain (ids, quotes, `source.article` citations) and the example cases'
    own words (a waiver's reason), which are the pack maintainers' to write in Dutch."""
    from mph_rules.analysis import plain_texts
    from mph_rules.yamlread import read_yaml

    source = ROOT / "policies" / "hilversum.yaml"
    doc, problems = read_yaml(source.read_bytes(), str(source))
    assert not problems
    converted = 0
    for path, text in list(plain_texts(doc.data)):
        node = doc.data
        for part in path[:-1]:
            node = node[part]
        converted += 1
        node[path[-1]] = {"nl": f"vertaald{converted}", "en": text}
    # the pack's texts already in two languages are shown through the same paths
    assert converted + sum(1 for _ in bilingual_texts(load_pack("hilversum"))) > 300
    pack_file = tmp_path / "hilversum.yaml"
    pack_file.write_text(yaml.safe_dump(doc.data, allow_unicode=True), encoding="utf-8")
    pack = load_pack(pack_file)
    still_plain = set(_strings(pack))  # quotes, ids, articles: shown as written
    for path in (ROOT / "examples" / "hilversum").glob("*.yaml"):
        still_plain |= set(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    exempt = sorted(
        {" ".join(s.split()) for s in still_plain if " " in s or len(s) >= 8}, key=len, reverse=True
    )
    texts = {"reference page": render.markdown.pack(pack, lang="nl")}
    for path in sorted((ROOT / "examples" / "hilversum").glob("*.yaml")):
        args = ["--pack", str(pack_file), str(path), "--as-of", _as_of(path)]
        for command in ("evaluate", "explain"):
            texts[f"{command} {path.name}"] = _run(capsys, command, *args)
    found = {what: left for what, text in texts.items() if (left := _english(text, exempt))}
    assert not found, _report(found)


# --- raw ids (issue 22): the Dutch output names a pack's roles, categories, phases, events,
# grounds and settings by their labels, never by their snake_case ids -------------------------


def labelled_ids(pack: Any) -> set[str]:
    """The pack's ids with an underscore that the pack gives a label: what the Dutch output
    must show by its label."""
    items: list[tuple[str, Any]] = [
        (item.id, item.label)
        for section in ("roles", "data_categories", "exception_grounds", "settings")
        for item in getattr(pack, section)
    ]
    if pack.lifecycle is not None:
        items += [(phase.id, phase.label) for phase in pack.lifecycle.phases]
    items += [(event.type, event.label) for event in pack.events]
    return {ident for ident, label in items if "_" in ident and label}


def _visible(text: str) -> str:
    """What a reader sees of a page: HTML without its tags and code, text without its
    backtick code spans."""
    text = re.sub(r"<code>.*?</code>|<style>.*?</style>", " ", text, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return re.sub(r"`[^`]*`", " ", text)


def raw_ids(text: str, ids: set[str], authored: Sequence[str] = ()) -> list[str]:
    """The pack ids shown raw in ``text`` (outside code and the pack's own words)."""
    found = []
    for line in _visible(text).splitlines():
        line = " ".join(line.split())
        for phrase in authored:
            if phrase in line:
                line = line.replace(phrase, " ")
        found += [tok for tok in re.findall(r"[A-Za-z0-9_.]*_[A-Za-z0-9_.]*", line) if tok in ids]
    return found


def _pack_words(pack: str) -> list[str]:
    """Everything the pack wrote itself, in both languages (an id inside the pack's own
    sentence is the pack maintainer's to change, not a renderer's)."""
    return sorted((w for w in _written(pack, dutch=True) if " " in w), key=len, reverse=True)


@pytest.mark.parametrize("pack", PACKS)
def test_dutch_output_names_the_packs_ids_by_their_labels(
    pack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = labelled_ids(load_pack(pack))
    authored = _pack_words(pack)
    found: dict[str, list[str]] = {}
    for path, as_of in _examples(pack):
        args = ["--pack", pack, str(path), "--as-of", as_of]
        for argv in (
            ["evaluate", *args],
            ["evaluate", *args, "--format", "html"],
            ["explain", *args],
        ):
            left = raw_ids(_run(capsys, *argv), ids, authored)
            if left:
                found[" ".join(argv[:1] + argv[-2:] + [path.name])] = sorted(set(left))
    assert not found, "raw ids in Dutch output:\n" + "\n".join(
        f"{what}: {', '.join(left)}" for what, left in found.items()
    )


def test_the_id_scan_finds_a_raw_id() -> None:
    """The check can fail: an id outside code is found, in code or in the pack's words not."""
    ids = {"expert_team", "case_file"}
    assert raw_ids("Fase: expert_team", ids) == ["expert_team"]
    assert raw_ids("<td>expert_team</td>", ids) == ["expert_team"]
    assert not raw_ids("Fase: `expert_team` <code>case_file</code>", ids)
    assert not raw_ids("zie expert_team hier", ids, ["zie expert_team hier"])
