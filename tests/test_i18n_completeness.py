"""No English sentence of the engine or the renderers in Dutch output (issue 22).

For every example case of every bundled pack, the Dutch text of `mph-rules evaluate`,
`explain`, `lint` and a set of `check` questions is searched for English words that cannot be
Dutch (" the ", " must ", " because ", ...). What the pack itself wrote is taken out first:
labels, notes and messages are the pack author's words (where a pack gives only English, that
is listed in docs/pack-format.md, not the engine's to translate), as are quoted field names
and values ('...', `...`). What is left is the engine's and the catalogue's, and must be Dutch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from mph_rules.cli import main
from mph_rules.loading import bundled_names, load_pack

ROOT = Path(__file__).parent.parent
PACKS = sorted(n for n in bundled_names() if n != "avg")

# English words and phrases that are not Dutch words: one of them outside the pack's own text
# means a sentence the catalogue does not translate.
ENGLISH = re.compile(
    r"\b(the|must|because|may|cannot|does|which|with|from|before|after|only|has|have|"
    r"been|were|its|it|and|not|no|by|should|would|there|this|that|when|where|whose|"
    r"allows|forbids|happened|passed|refused|withdrawn|required|recorded|shared|"
    r"received|answered|extended|needs|exercised|counted|cancelled|started|later)\b"
)


def _strings(node: Any) -> Iterator[str]:
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


def _authored(pack: str) -> list[str]:
    """The pack's own words (and its examples'), longest first, whitespace collapsed."""
    found = set(_strings(load_pack(pack)))
    for path in (ROOT / "examples" / pack).glob("*.yaml"):
        found |= set(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    words = {" ".join(s.split()) for s in found}
    return sorted((w for w in words if " " in w or len(w) >= 8), key=len, reverse=True)


def _english(text: str, authored: list[str]) -> list[str]:
    """Lines of ``text`` with an English word outside the pack's own text."""
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
