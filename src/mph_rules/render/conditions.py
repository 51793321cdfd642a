"""Conditions in words, in Dutch or English, with the pack's labels: never a raw field path.

One entry point, ``describe(condition, lang, labels)``; it is the only place that walks the
condition tree for presentation, so a change of the condition classes touches this function
alone. Words for core payload fields come from the message catalogue (``field.<path>``);
a pack's `labels:` section adds or overrides them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mph_rules.conditions import AllOf, AnyOf, ConsentGiven, FieldTest, Not, Occurred
from mph_rules.render.i18n import Messages
from mph_rules.schema.labels import FieldLabel


class Labels:
    """Words for fields, values and event types, looked up in one language."""

    def __init__(self, m: Messages, labels: Iterable[FieldLabel] = (), pack: Any = None) -> None:
        self.m = m
        self.by_field: Mapping[str, FieldLabel] = {lab.field: lab for lab in labels}
        self.pack = pack

    @classmethod
    def of(cls, pack: Any, m: Messages) -> Labels:
        return cls(m, getattr(pack, "labels", ()), pack)

    def _text(self, text: Any) -> str:
        return str(getattr(text, self.m.lang))

    def name(self, path: str) -> str:
        lab = self.by_field.get(path)
        if lab is not None and lab.name is not None:
            return self._text(lab.name)
        key = f"field.{path}"
        if self.m.has(key):
            return self.m(key)
        if path.startswith("settings."):
            ident = path.removeprefix("settings.")
            return self.m("cond.setting", id=self.m.names.get(ident, ident))
        return self.m("cond.unnamed_field", name=path.rsplit(".", 1)[-1].replace("_", " "))

    def flag(self, path: str) -> str | None:
        """The clause that holds when a yes/no field is true, if the pack or catalogue has one."""
        lab = self.by_field.get(path)
        if lab is not None and lab.true is not None:
            return self._text(lab.true)
        key = f"flag.{path}"
        return self.m(key) if self.m.has(key) else None

    def value(self, path: str, value: Any) -> str:
        lab = self.by_field.get(path)
        if lab is not None and str(value) in lab.values:
            return self._text(lab.values[str(value)])
        key = f"value.{value}"
        if isinstance(value, str) and self.m.has(key):
            return self.m(key)
        if isinstance(value, bool):
            return self.m("cond.yes" if value else "cond.no")
        if isinstance(value, str) and value in self.m.names:
            return self.m.names[value]
        return f"'{value}'" if isinstance(value, str) else str(value)

    def values(self, path: str, values: Iterable[Any]) -> str:
        return self.m("cond.list", items=", ".join(self.value(path, v) for v in values))


def _field(test: FieldTest, words: Labels) -> str:
    m, path = words.m, test.field
    flag = words.flag(path)
    if test.equals is not None and isinstance(test.equals, bool) and flag is not None:
        return flag if test.equals else m("cond.not_clause", clause=flag)
    if test.present is not None:
        return m("cond.present" if test.present else "cond.absent", name=words.name(path))
    name = words.name(path)
    if test.equals is not None:
        return m("cond.equals", name=name, value=words.value(path, test.equals))
    if test.in_ is not None and not test.in_:
        return m("cond.in_none", name=name)
    if test.in_ is not None:
        return m("cond.in", name=name, values=words.values(path, test.in_))
    if test.at_least is not None:
        return m("cond.at_least", name=name, value=test.at_least)
    if test.at_most is not None:
        return m("cond.at_most", name=name, value=test.at_most)
    if test.count_at_least is not None:
        return m("cond.count_at_least", name=name, value=test.count_at_least)
    if test.contains is not None:
        return m("cond.contains", name=name, value=words.value(path, test.contains))
    assert test.contains_any is not None  # the validator requires one operator
    return m("cond.contains_any", name=name, values=words.values(path, test.contains_any))


def describe(condition: Any, words: Labels) -> str:
    """A condition as a clause in ``words``' language (for "only if ..." and doc tables)."""
    m = words.m
    if isinstance(condition, AllOf | AnyOf):
        parts = condition.all if isinstance(condition, AllOf) else condition.any
        joiner = m("cond.and" if isinstance(condition, AllOf) else "cond.or")
        return "(" + f" {joiner} ".join(describe(c, words) for c in parts) + ")"
    if isinstance(condition, Not):
        return negated(condition.not_, words)
    if isinstance(condition, Occurred):
        text = m("cond.occurred", event=m.event(condition.occurred, words.pack))
        if condition.where is not None:
            text += " " + m("cond.where", clause=describe(condition.where, words))
        return text
    if isinstance(condition, ConsentGiven):
        scope = condition.consent
        name = m.names.get(f"consent.{scope}", m.names.get(scope, scope.replace("_", " ")))
        return m("cond.consent", scope=name)
    return _field(condition, words)


def negated(condition: Any, words: Labels) -> str:
    """ "It is not so that ..." without a double negation: not-not-X reads as X, and a yes/no
    field tested for no (whose clause is already negated) reads as its clause."""
    if isinstance(condition, Not):
        return describe(condition.not_, words)
    if (
        isinstance(condition, FieldTest)
        and condition.equals is False
        and words.flag(condition.field) is not None
    ):
        return str(words.flag(condition.field))
    return words.m("cond.not_clause", clause=describe(condition, words))


def guard(condition: Any, words: Labels, *, deny: bool = False) -> str:
    """A rule's condition as its guard: "only if ..." for an allow, "if ..." for a deny,
    "unless ..." when the condition is a negation."""
    if isinstance(condition, Not):
        return words.m("cond.unless", clause=describe(condition.not_, words))
    return words.m("cond.if" if deny else "cond.only_if", clause=describe(condition, words))
