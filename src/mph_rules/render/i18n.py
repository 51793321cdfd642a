"""Dutch and English text as data: a message catalogue shipped with the package.

Every sentence a renderer writes is a message id in ``messages.yaml`` with an ``nl`` and an
``en`` text (``str.format`` placeholders, the same in both). ``reasons.yaml`` holds the
engine's reason sentences as patterns with their translations, so a trace reads in the
case worker's language without the engine knowing about languages. A test checks that every
message has both languages with the same placeholders.
"""

from __future__ import annotations

import ast
import functools
import re
import string
from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

from mph_rules.schema.text import Bilingual, pack_text

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """Message id -> {language: text}; read once from the package data."""
    text = resources.files("mph_rules.render").joinpath("messages.yaml").read_text("utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)
    return data


@functools.cache
def reason_patterns() -> tuple[tuple[re.Pattern[str], dict[str, str]], ...]:
    """The engine's reason sentences: (pattern, {language: template}) in catalogue order."""
    text = resources.files("mph_rules.render").joinpath("reasons.yaml").read_text("utf-8")
    data: list[dict[str, str]] = yaml.safe_load(text)
    return tuple((re.compile(item["pattern"] + r"\Z"), item) for item in data)


def placeholders(template: str) -> set[str]:
    """The named fields of a ``str.format`` template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def language(lang: str | None, pack: Any = None) -> str:
    """The language to write in: the one asked for, else the pack's, else Dutch."""
    if lang is None and pack is not None:
        lang = getattr(getattr(pack, "pack", None), "language", None)
    lang = lang or DEFAULT_LANGUAGE
    if lang not in LANGUAGES:
        from mph_rules.errors import MphRulesError, Problem
        from mph_rules.suggestions import did_you_mean

        raise MphRulesError(
            [
                Problem(
                    f"unknown language {lang!r}; expected nl or en",
                    hint=did_you_mean(lang, LANGUAGES),
                    code="MPH-A008",
                )
            ]
        )
    return lang


def pack_names(pack: Any, lang: str) -> dict[str, str]:
    """A pack's ids in words, in ``lang``: its roles, data categories, phases, events,
    exception grounds, settings and parties by their labels, and the consent scopes and retention
    scopes its `labels:` names (``consent.<scope>``, ``retention.<scope>``). An engine
    sentence names these by id; a renderer shows the label (the id where there is none)."""
    if pack is None:
        return {}
    names: dict[str, str] = {}
    for party in getattr(pack, "parties", ()):
        names[party.id] = pack_text(party.name, lang)
    for section in ("roles", "data_categories", "exception_grounds", "settings"):
        for item in getattr(pack, section, ()):
            names[item.id] = pack_text(item.label, lang)
    lifecycle = getattr(pack, "lifecycle", None)
    for phase in lifecycle.phases if lifecycle else ():
        names[phase.id] = pack_text(phase.label, lang)
    for event in getattr(pack, "events", ()):
        if event.label:
            names[event.type] = pack_text(event.label, lang)
    for lab in getattr(pack, "labels", ()):
        kind = lab.field.partition(".")[0]
        if kind in ("consent", "retention") and lab.name is not None:
            names[lab.field] = getattr(lab.name, lang)
    return names


class Messages:
    """The catalogue in one language: ``m("decision.phase", phase=...)``. ``texts``: a pack's
    English -> Dutch texts (``schema.text.dutch_of``), so that a pack text the engine quoted
    in a decision sentence is shown in Dutch too."""

    def __init__(
        self,
        lang: str,
        texts: Mapping[str, str] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.lang = language(lang)
        self._texts = catalogue()
        self.names = dict(names or {})
        self._dutch = dict(texts or {}) if self.lang == "nl" else {}
        self._quoted: re.Pattern[str] | None = None

    def __call__(self, key: str, /, **params: Any) -> str:
        return self._texts[key][self.lang].format(**params)

    def has(self, key: str) -> bool:
        return key in self._texts

    def event(self, event_type: str, pack: Any = None) -> str:
        """An event type in words: a core event from the catalogue, a pack's own event by
        its label; its type where it has none."""
        key = f"event.{event_type}"
        if key in self._texts:
            return self(key)
        return self.names.get(event_type, event_type)

    def name(self, ident: str) -> str:
        """A pack id (role, category, phase, event, ground, party) by its label."""
        return self.names.get(ident, ident)

    def text(self, value: str) -> str:
        """A pack text in this language: a two-language text's own Dutch or English, or a
        decision's copy of one (its English) looked up in the pack's texts; a plain string
        as written."""
        if isinstance(value, Bilingual):
            return value.nl if self.lang == "nl" else str(value)
        return self._dutch.get(value, value)

    def quoted(self, text: str) -> str:
        """``text`` with every two-language pack text it quotes (of two words or more) in
        this language: the engine writes "refused: <the pack's message>"."""
        if not self._dutch:
            return text
        if self._quoted is None:
            phrases = sorted((en for en in self._dutch if " " in en.strip()), key=len)
            alternatives = "|".join(re.escape(en) for en in reversed(phrases))
            self._quoted = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)" if phrases else r"(?!)")
        return self._quoted.sub(lambda found: self._dutch[found.group(0)], text)

    def reason(self, text: str) -> str:
        """An engine reason sentence in this language; English text that matches no
        pattern is returned as it is (with the pack texts it quotes in this language)."""
        if self.lang == "en" and not self.names:
            return text
        if text in self._dutch:
            return self._dutch[text]
        text = self.quoted(text)
        for pattern, templates in reason_patterns():
            match = pattern.match(text)
            if match:
                parts = {k: self._part(k, v) for k, v in match.groupdict().items()}
                return templates[self.lang].format(**parts)
        return text

    def _part(self, name: str, value: str) -> str:
        """A matched group: ``r_`` a sentence, ``l_`` a "; "-separated list of sentences,
        both translated in turn; ``v_`` a list of ids by their labels; ``c_``/``k_`` a
        consent/retention scope by its `labels:` name; a pack's two-language
        text in Dutch; any other group (ids, dates, quoted text) as it is."""
        if name.startswith("r_"):
            return self.reason(value)
        if name.startswith("l_"):
            return "; ".join(self.reason(item) for item in value.split("; "))
        if name.startswith("v_"):
            return self._id_list(value)
        if name.startswith(("c_", "k_")):  # a consent scope, a retention scope
            kind = "consent" if name.startswith("c_") else "retention"
            return self.names.get(f"{kind}.{value}") or self.name(value)
        if name.startswith("t_"):
            return _TRIGGER.sub(
                lambda found: self("retention.trigger", event=self.event(found.group(1))) + ", ",
                value,
            )
        if value in self.names and name != "rule":
            return self.names[value]
        return self._dutch.get(value, value)


    def _id_list(self, value: str) -> str:
        """A list of ids as the engine writes it (``['reporting', 'research']``): the ids by
        their labels, comma-separated; anything else as it is."""
        try:
            items = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            return value
        return ", ".join(self.name(i) for i in items)


# "<rule> (on <event>, <cite>)": a retention clock's trigger in a list of clocks
_TRIGGER = re.compile(r"\(on (\S+), ")
