"""List the pack-authored text that is English, by field, for the bundled packs.

The engine's and renderers' sentences come from the catalogues (src/mph_rules/render/) in
Dutch and English; the text a pack author wrote (a precondition's `message`, a record's
`what`, a retention clock's `label`, notes) is shown as written. This lists which of those
fields are mostly English, so translating them can be planned (docs/i18n.md). A string
counts as English when it has more English than Dutch function words: a heuristic, for a
to-do list, not a test.

    python tools/english_in_packs.py [PACK...]
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from typing import Any

from pydantic import BaseModel

from mph_rules.loading import bundled_names, load_pack

ENGLISH = re.compile(
    r"\b(the|must|because|may|cannot|does|which|with|from|before|after|only|has|have|been|"
    r"were|its|it|and|not|no|by|should|when|where|is|are|of|to|for)\b"
)
DUTCH = re.compile(r"\b(de|het|een|van|en|niet|is|wordt|worden|zijn|voor|met|bij|naar|op|als)\b")


def strings(node: Any, path: str = "") -> list[tuple[str, str]]:
    """Every text of a resolved pack with its field path (list indexes as [])."""
    if isinstance(node, str):
        return [(path, node)]
    out: list[tuple[str, str]] = []
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            out += strings(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, list | tuple):
        for item in node:
            out += strings(item, path + "[]")
    elif isinstance(node, dict):
        for value in node.values():
            out += strings(value, path + "{}")
    return out


def main(names: list[str]) -> None:
    total: Counter[str] = Counter()
    english: Counter[str] = Counter()
    for name in names:
        for path, text in strings(load_pack(name)):
            if " " not in text.strip():
                continue  # ids and single words
            total[path] += 1
            if len(ENGLISH.findall(text)) > len(DUTCH.findall(text)):
                english[path] += 1
    print(f"{'field':48} English/all (packs: {', '.join(names)})")
    for path, n in english.most_common():
        print(f"{path:48} {n:4}/{total[path]}")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(n for n in bundled_names() if n != "avg"))
