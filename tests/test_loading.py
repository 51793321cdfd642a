"""The loader: line-numbered errors, did-you-mean, hostile YAML, baselines."""

from __future__ import annotations

from pathlib import Path

import pytest

from mph_rules import PackError, load_pack, load_pack_text
from mph_rules.yamlread import MAX_BYTES, read_yaml

MINI = (Path(__file__).parent / "fixtures" / "mini.yaml").read_text()

HEAD = """\
pack:
  id: demo
  title: Demo
  version: "1"
  sources: [{id: cv, title: Convenant, kind: covenant}]
  effective: {valid_from: 2024-01-01}
"""
SRC = '{document: cv, article: "art. 1", quote: "q"}'


def problems(text: str) -> list[str]:
    with pytest.raises(PackError) as info:
        load_pack_text(text, "demo.yaml")
    return [str(p) for p in info.value.problems]


def test_misspelt_key_gives_line_column_and_suggestion() -> None:
    text = HEAD + f"roles:\n  - id: x\n    lable: X\n    source: {SRC}\n"
    out = problems(text)
    assert any(
        "demo.yaml:9:5" in p and "unknown key 'lable'" in p and "did you mean 'label'" in p
        for p in out
    ), out


def test_all_schema_errors_are_reported_at_once() -> None:
    text = HEAD + (
        f"roles:\n  - {{id: a, label: A, colour: red, source: {SRC}}}\n"
        f"data_categories:\n  - {{id: c, label: C, kind: ordinery, source: {SRC}}}\n"
    )
    out = problems(text)
    assert len(out) == 2
    assert "did you mean 'ordinary'" in out[1]


def test_undefined_references_with_suggestions() -> None:
    text = HEAD + (
        f"roles:\n  - {{id: procesregisseur, label: P, source: {SRC}}}\n"
        f"data_categories:\n  - {{id: identity, label: I, kind: ordinary, source: {SRC}}}\n"
        "access:\n  - id: a1\n    roles: [procesregiseur]\n    categories: [identty]\n"
        "    actions: [read]\n    source: {document: cvv, article: '1', quote: q}\n"
    )
    out = "\n".join(problems(text))
    assert "undefined role 'procesregiseur'" in out and "did you mean 'procesregisseur'" in out
    assert "undefined data category 'identty'" in out
    assert "undefined source document 'cvv'" in out
    assert "demo.yaml:13:" in out  # the roles line of the access rule


def test_duplicate_keys_are_errors() -> None:
    out = problems(HEAD + "pack: {}\n")
    assert any("duplicate key 'pack'" in p and "first given at line 1" in p for p in out)


def test_yaml_12_booleans_keep_on_and_no_as_text() -> None:
    doc, errs = read_yaml("on: no\nyes: off\nflag: true\n")
    assert not errs
    assert doc.data == {"on": "no", "yes": "off", "flag": True}


def test_alias_bomb_is_refused() -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, 8):
        prev = chr(ord("a") + i - 1)
        name = chr(ord("a") + i)
        refs = ",".join([f"*{prev}"] * 10)
        bomb += f"{name}: &{name} [{refs}]\n"
    _, errs = read_yaml(bomb)
    assert errs and "alias bomb" in errs[0].message


def test_recursive_alias_and_deep_nesting_are_refused() -> None:
    _, errs = read_yaml("a: &a [*a]\n")
    assert errs and "nesting deeper" in errs[0].message
    _, errs = read_yaml("[" * 200 + "]" * 200)
    assert errs


def test_oversized_and_non_utf8_input() -> None:
    _, errs = read_yaml(b"a: " + b"x" * (MAX_BYTES + 1))
    assert errs and "limit" in errs[0].message
    _, errs = read_yaml(b"a: b\nc: \xff\xfe\n")
    assert errs and "not UTF-8" in errs[0].message and errs[0].line == 2


def test_invalid_date_and_truncated_yaml() -> None:
    out = problems(HEAD.replace("2024-01-01", "2023-02-29"))
    assert any("2023-02-29" in p for p in out)
    out = problems(HEAD + "roles: [\n")
    assert any("not valid YAML" in p for p in out)


def test_merge_keys_are_refused() -> None:
    _, errs = read_yaml("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert errs and "merge keys" in errs[0].message


def test_duration_and_counting_checked_at_load() -> None:
    text = MINI.replace(
        "duration: P5D, counting: working_days", "duration: P1M, counting: working_days"
    )
    out = problems(text)
    assert any("working_days" in p and "P1M" in p for p in out), out


def test_bad_condition_is_explained() -> None:
    text = MINI.replace(
        "{field: payload.outcome, equals: accepted}", "{field: payload.outcome, equls: accepted}"
    )
    out = problems(text)
    assert any("unknown key 'equls'" in p and "did you mean 'equals'" in p for p in out), out


def test_unknown_bundled_pack_suggests() -> None:
    with pytest.raises(PackError, match="no pack named"):
        load_pack("hilversun")


def test_content_hash_changes_with_the_pack() -> None:
    a = load_pack_text(MINI, "a.yaml")
    b = load_pack_text(MINI.replace("duration: P5Y", "duration: P6Y"), "b.yaml")
    assert a.provenance.content_hash != b.provenance.content_hash
    assert a.provenance.content_hash == load_pack_text(MINI, "c.yaml").provenance.content_hash


def test_special_files_are_not_read(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pack.yaml"
    os.mkfifo(fifo)
    with pytest.raises(PackError, match="not a regular file"):
        load_pack(fifo)
    with pytest.raises(PackError, match="not a regular file"):
        load_pack(Path("/dev/zero"))


def test_a_pack_extending_a_pack_with_its_own_events_loads(tmp_path: Path) -> None:
    """Regression: the baseline ids of an extended pack with ``events`` (which have a type,
    not an id) raised AttributeError, a traceback instead of a loaded pack."""
    pack = tmp_path / "my-pack.yaml"
    pack.write_text(
        "pack:\n  id: my_pack\n  title: Mine\n  version: '1'\n  language: en\n"
        "  extends: [hilversum]\n  effective: {valid_from: 2024-01-01}\n"
        "  sources: [{id: cv, title: Mine, kind: covenant}]\n"
    )
    loaded = load_pack(str(pack))
    assert loaded.pack.id == "my_pack"
    assert any(e.type.startswith("hilversum.") for e in loaded.events)
