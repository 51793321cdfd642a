"""Text in two languages: ``Text`` (a phrase a renderer writes) and ``PackText`` (a pack's
case-worker-facing text, written either as one plain string or as ``{nl: ..., en: ...}``).

The engine writes its decision in English and knows nothing of languages: a two-language
pack text is loaded as a ``Bilingual``, a ``str`` equal to its English that also carries its
Dutch, so every engine path works on it as on any string and the decision's JSON carries the
English. Renderers ask for a language with ``pack_text(value, lang)``; where a decision
sentence quotes a pack text, they look its English up in ``dutch_of(pack)``.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
)

Language = Literal["nl", "en"]


class Text(BaseModel):
    """One phrase in both languages a renderer writes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    nl: str = Field(
        min_length=1,
        description="Dutch, in the covenant's own terms",
        examples=["de gegevens onvermijdelijk zijn"],
    )
    en: str = Field(min_length=1, description="English", examples=["the data are unavoidable"])


class Bilingual(str):
    """A pack text given in both languages: equal to (and used by the engine as) its English;
    ``nl`` is its Dutch. Plain strings of a pack stay plain ``str``."""

    nl: str

    def __new__(cls, en: str, nl: str) -> Bilingual:
        text = super().__new__(cls, en)
        text.nl = nl
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (Bilingual, (str(self), self.nl))

    def __repr__(self) -> str:
        return f"Bilingual(en={str(self)!r}, nl={self.nl!r})"

    @property
    def en(self) -> str:
        return str(self)


def pack_text(value: str, lang: str) -> str:
    """A pack text in the language asked for: a two-language text's Dutch or English; a
    plain string as written (in both languages)."""
    if lang == "nl" and isinstance(value, Bilingual):
        return value.nl
    return str(value)


def _shape(value: object) -> str:
    return "Text" if isinstance(value, dict | Text) else "str"


def _loaded(value: str | Text) -> str:
    return Bilingual(value.en, value.nl) if isinstance(value, Text) else value


def _dumped(value: str) -> str | dict[str, str]:
    return {"nl": value.nl, "en": str(value)} if isinstance(value, Bilingual) else value


def _pack_text(min_length: int) -> Any:
    plain = Annotated[str, Field(min_length=min_length)] if min_length else str
    return Annotated[
        Union[  # noqa: UP007
            Annotated[plain, Tag("str")],
            Annotated[Text, Tag("Text")],
        ],
        Discriminator(_shape),
        AfterValidator(_loaded),
        PlainSerializer(_dumped),
    ]


if TYPE_CHECKING:
    PackText = str
    PackTextNonEmpty = str
else:
    PackText = _pack_text(0)
    PackTextNonEmpty = _pack_text(1)
"""A case-worker-facing text of a pack: a plain string, or ``{nl: ..., en: ...}`` (both
required and non-empty). Typed ``str``: a two-language text is a ``Bilingual``.
``PackTextNonEmpty``: the same, a plain string not empty either."""


def bilingual_texts(node: Any) -> Iterator[Bilingual]:
    """Every two-language text in a pack (or any part of one), in document order."""
    if isinstance(node, Bilingual):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from bilingual_texts(getattr(node, name))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from bilingual_texts(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from bilingual_texts(item)


def dutch_of(pack: Any) -> dict[str, str]:
    """English -> Dutch of every two-language text of a pack, so that a renderer can put a
    decision sentence's quoted pack text into Dutch (the decision holds the English). Where
    one English text has two Dutch renderings, the first in the pack wins."""
    found: dict[str, str] = {}
    for text in bilingual_texts(pack):
        found.setdefault(str(text), text.nl)
    return found


def takes_text(annotation: Any) -> bool:
    """Whether a field's annotation is (or holds) a ``PackText``: it accepts ``{nl, en}``."""
    if annotation is Text:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Annotated, typing.Union, types.UnionType, tuple, list):
        return any(takes_text(arg) for arg in typing.get_args(annotation))
    return False


_ENGLISH_WORDS = re.compile(
    r"\b(the|must|because|may|cannot|does|which|with|from|before|after|only|has|have|been|"
    r"were|its|it|and|not|no|by|should|when|where|is|are|to|for)\b"
)
_DUTCH_WORDS = re.compile(
    r"\b(de|het|een|van|en|niet|is|wordt|worden|zijn|voor|met|bij|naar|op|als)\b"
)


def reads_as_english(text: str) -> bool:
    """A plain text of more than one word with more English than Dutch function words ("of"
    counts as neither: it is Dutch too): a heuristic for to-do lists
    (``tools/english_in_packs.py``, ``lint --lang-complete``)."""
    if isinstance(text, Bilingual) or " " not in text.strip():
        return False
    return len(_ENGLISH_WORDS.findall(text)) > len(_DUTCH_WORDS.findall(text))
