"""List the pack-authored text that is English, by field, for the bundled packs.

The engine's and renderers' sentences come from the catalogues (src/mph_rules/render/) in
Dutch and English. A text a pack author wrote (a precondition's `message`, a record's `what`,
a retention clock's `label`, notes) is either `{nl: ..., en: ...}` (translated: each language
shows its own) or a plain string, shown as written in both languages. This counts, by field,
the plain strings that are English (still to translate), the two-language texts, and all
texts of more than one word, in the fields that take `{nl, en}` (not ids, quotes, titles),
so translating can be planned (docs/i18n.md). A plain string
counts as English when it has more English than Dutch function words: a heuristic, for a
to-do list, not a test.

    python tools/english_in_packs.py [PACK...]    (default: the bundled packs; `avg` is the
                                                   baseline, whose items a pack keeps are
                                                   counted with that pack)
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from pydantic import BaseModel

from mph_rules.loading import bundled_names, load_pack
from mph_rules.schema.text import Bilingual, reads_as_english, takes_text


def strings(node: Any, path: str = "", text: bool = False) -> list[tuple[str, str]]:
    """Every text of a resolved pack in a field that takes `{nl, en}` (the texts for case
    workers; not ids, quotes or titles), with its field path (list indexes as [])."""
    if isinstance(node, str):
        return [(path, node)] if text else []
    out: list[tuple[str, str]] = []
    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        for name, info in fields.items():
            where = f"{path}.{name}" if path else name
            out += strings(getattr(node, name), where, takes_text(info.annotation))
    elif isinstance(node, list | tuple):
        for item in node:
            out += strings(item, path + "[]", text)
    elif isinstance(node, dict):
        for value in node.values():
            out += strings(value, path + "{}", text)
    return out


def count(name: str) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Per field path of one pack: English plain strings, two-language texts, all texts."""
    total: Counter[str] = Counter()
    english: Counter[str] = Counter()
    both: Counter[str] = Counter()
    for path, text in strings(load_pack(name)):
        if " " not in text.strip():
            continue  # ids and single words
        total[path] += 1
        if isinstance(text, Bilingual):
            both[path] += 1
        elif reads_as_english(text):
            english[path] += 1
    return english, both, total


def main(names: list[str]) -> None:
    total: Counter[str] = Counter()
    english: Counter[str] = Counter()
    both: Counter[str] = Counter()
    per_pack = []
    for name in names:
        e, b, t = count(name)
        english += e
        both += b
        total += t
        per_pack.append((name, e.total(), b.total(), t.total()))
    print(f"{'pack':48} {'English':>8} {'{nl, en}':>8} {'all':>6}")
    for name, e_n, b_n, t_n in per_pack:
        print(f"{name:48} {e_n:8} {b_n:8} {t_n:6}")
    print()
    print(f"{'field':48} {'English':>8} {'{nl, en}':>8} {'all':>6}  (packs: {', '.join(names)})")
    fields = sorted(total, key=lambda p: (-english[p], -both[p], p))
    for path in fields:
        if english[path] or both[path]:
            print(f"{path:48} {english[path]:8} {both[path]:8} {total[path]:6}")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(bundled_names()))
