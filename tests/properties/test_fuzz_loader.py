"""Fuzz the pack loader: whatever the bytes, a Pack or a PackError, quickly.

Bounds enforced by mph_rules.yamlread: MAX_BYTES (input size), MAX_NODES (values after alias
expansion), MAX_DEPTH (nesting); by mph_rules.calendar: durations of at most 64 characters and
1000 years. Each example here must finish within the hypothesis deadline set below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mph_rules import PackError, load_pack, load_pack_text
from mph_rules.yamlread import MAX_BYTES, MAX_DEPTH, MAX_NODES, read_yaml

from .hostile import clean_outcome, mutated
from .profiles import active

PROFILE = active()
MINI_TEXT = (Path(__file__).parent.parent / "fixtures" / "mini.yaml").read_text()
MINI_DATA = yaml.safe_load(MINI_TEXT)
# Parsing is cheap: ten times the profile's examples, each within 5 seconds.
FUZZ = settings(PROFILE, deadline=dt.timedelta(seconds=5), max_examples=10 * PROFILE.max_examples)

SNIPPETS = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
    "x: &x [*x]\n",
    "<<: {a: 1}\n",
    "!!python/object/apply:os.system ['true']\n",
    "roles: 5\n",
    "roles:\n  - {id: r1, label: R, source: 7}\n",
    "pack: {}\n",
    "valid_from: 2023-02-29\n",
    "[" * 100 + "]" * 100 + "\n",
    "\t- tab\n",
    "? [complex, key]\n: v\n",
    "---\nsecond: document\n",
    "'unterminated\n",
    "duration: P99999999999Y\n",
    "\ufeff",
    "\x00",
)


@FUZZ
@given(st.text(max_size=3000))
def test_any_text(text: str) -> None:
    clean_outcome(lambda: load_pack_text(text, "fuzz.yaml"))


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes(raw: bytes) -> None:
    doc, problems = read_yaml(raw, "fuzz.yaml")
    assert problems or doc.data is not None or raw.strip() == b""
    assert all(p.message for p in problems)


@FUZZ
@given(data=st.data())
def test_text_mutations_of_a_real_pack(data: st.DataObject) -> None:
    """Truncated, spliced, with lines dropped, doubled or replaced by hostile snippets."""
    text = MINI_TEXT
    for _ in range(data.draw(st.integers(1, 3))):
        action = data.draw(st.sampled_from(("truncate", "insert", "drop_line", "double_line")))
        cut = data.draw(st.integers(0, len(text)))
        lines = text.splitlines(keepends=True)
        line = data.draw(st.integers(0, max(len(lines) - 1, 0)))
        if action == "truncate":
            text = text[:cut]
        elif action == "insert":
            text = text[:cut] + data.draw(st.sampled_from(SNIPPETS)) + text[cut:]
        elif action == "drop_line" and lines:
            text = "".join(lines[:line] + lines[line + 1 :])
        elif lines:
            text = "".join(lines[: line + 1] + lines[line:])  # a duplicated key, often
    clean_outcome(lambda: load_pack_text(text, "fuzz.yaml"))


@FUZZ
@given(doc=mutated(MINI_DATA))
def test_structural_mutations_of_a_real_pack(doc: object) -> None:
    """Wrong types, bad dates, enormous strings, deep nesting anywhere in a valid pack."""
    try:
        text = yaml.safe_dump(doc, allow_unicode=True)
    except (yaml.YAMLError, RecursionError, ValueError):
        return  # PyYAML cannot write it (e.g. NaN keys): nothing to feed the loader
    clean_outcome(lambda: load_pack_text(text, "fuzz.yaml"))


@settings(FUZZ, max_examples=2 * PROFILE.max_examples)
@given(raw=st.binary(max_size=2000))
def test_pack_files_of_any_bytes(raw: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "pack.yaml"
    path.write_bytes(MINI_TEXT.encode()[: len(raw)] + raw)
    clean_outcome(lambda: load_pack(path))


# --- named hostile inputs, each with the error it must give ---------------------------------


def _bomb(levels: int) -> str:
    text = 'a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 10)
        text += f"a{i}: &a{i} [{refs}]\n"
    return text


HOSTILE = {
    "alias bomb": (_bomb(9), f"more than {MAX_NODES} values"),
    "recursive alias": ("x: &x [*x]\n", f"deeper than {MAX_DEPTH}"),
    "deep flow nesting": ("a: " + "[" * 500 + "]" * 500 + "\n", f"deeper than {MAX_DEPTH}"),
    "deep block nesting": (
        "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5))
        + "  " * (MAX_DEPTH + 5)
        + "v\n",
        f"deeper than {MAX_DEPTH}",
    ),
    "too large": ("a: '" + "x" * MAX_BYTES + "'\n", "the limit is"),
    "duplicate keys": (MINI_TEXT + "roles: []\n", "duplicate key 'roles'"),
    "29 February 2023": (MINI_TEXT.replace("2024-01-01", "2023-02-29", 1), "day is out of range"),
    "truncated": (MINI_TEXT[: len(MINI_TEXT) // 2], "fuzz.yaml:"),
    "wrong types": (MINI_TEXT.replace("  id: mini", "  id: [1, 2]", 1), "pack.id"),
    "merge key": ("a: {x: 1}\nb:\n  <<: {x: 1}\n", "merge keys"),
    "second document": (MINI_TEXT + "---\nx: 1\n", "another document"),
    "control character": ("a: \x00\n", "control characters"),
    "empty": ("", "empty"),
    "a list": ("- 1\n- 2\n", "a pack is a mapping"),
    "enormous duration": (
        MINI_TEXT.replace("duration: P5Y", "duration: P99999999999Y"),
        "1000 years",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_named_hostile_pack(name: str) -> None:
    text, expected = HOSTILE[name]
    with pytest.raises(PackError) as info:
        load_pack_text(text, "fuzz.yaml")
    assert expected in str(info.value), str(info.value)


def test_non_utf8_pack_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINI_TEXT.replace("Mini", "Mini \xe9t\xe9").encode("latin-1"))
    with pytest.raises(PackError, match="not UTF-8"):
        load_pack(path)
