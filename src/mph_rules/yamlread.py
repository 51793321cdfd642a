"""Safe YAML reading that remembers where every value stood, and refuses abuse.

PyYAML's SafeLoader keeps the last of duplicate keys silently and expands aliases without
limit; we compose the node graph ourselves so duplicates are errors, alias bombs and deep
nesting are refused, and every value has a line and column for error messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from mph_rules.errors import Problem

MAX_BYTES = 2_000_000
MAX_NODES = 200_000
MAX_DEPTH = 64

Path = tuple[str | int, ...]


@dataclass
class Document:
    """Plain data plus the (line, column) of each value and mapping key, 1-based."""

    data: Any
    file: str | None
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int | None, int | None]:
        """The place of the deepest known prefix of ``path``."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            table = self.keys if key and end == len(path) else self.values
            if prefix in table:
                return table[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return None, None


# libyaml's parser when PyYAML was built with it (about 10x faster), else the pure one.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Yaml12Loader(_Base):  # type: ignore[valid-type,misc]
    """Safe loading with YAML 1.2 booleans: only true/false, so `on`, `no`, `yes` stay text."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class _Reader:
    def __init__(self, loader: _Yaml12Loader, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.nodes = 0
        self.problems: list[Problem] = []

    def _problem(self, node: yaml.Node, code: str, message: str, hint: str | None = None) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(message, self.doc.file, mark.line + 1, mark.column + 1, hint=hint, code=code)
        )

    def read(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Abort(node, f"more than {MAX_NODES} values (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise _Abort(node, f"nesting deeper than {MAX_DEPTH} levels")
        self.doc.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self._problem(
                        key_node, "MPH-Y008", "merge keys ('<<') are not supported", "write it out"
                    )
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    self._problem(key_node, "MPH-Y009", "a mapping key must be a plain value")
                    continue
                key = str(key_node.value)  # keys are names: never resolved to bool/number
                if key in result:
                    line = self.doc.keys.get((*path, key), (None, None))[0]
                    self._problem(
                        key_node,
                        "MPH-Y007",
                        f"duplicate key {key!r}",
                        f"first given at line {line}",
                    )
                    continue
                self.doc.keys[(*path, key)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                result[key] = self.read(value_node, (*path, key), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.read(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            text = str(getattr(node, "value", ""))
            self._problem(node, "MPH-Y010", f"invalid value {text!r}: {exc}")
            return text


class _Abort(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        self.node = node
        self.message = message


def read_yaml(raw: bytes | str, file: str | None = None) -> tuple[Document, list[Problem]]:
    """Parse one YAML document; return it with every problem found (empty list: all good)."""
    doc = Document(None, file)
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            return doc, [
                Problem(
                    f"file is {len(raw)} bytes; the limit is {MAX_BYTES}", file, code="MPH-Y002"
                )
            ]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            return doc, [Problem(f"not UTF-8 text (byte {exc.start})", file, line, code="MPH-Y003")]
    else:
        text = raw
        if len(text) > MAX_BYTES:
            return doc, [
                Problem(
                    f"input is {len(text)} characters; the limit is {MAX_BYTES}",
                    file,
                    code="MPH-Y002",
                )
            ]
    loader = _Yaml12Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return doc, [Problem("the document is empty", file, 1, 1, code="MPH-Y004")]
        reader = _Reader(loader, doc)
        doc.data = reader.read(node, (), 0)
        return doc, reader.problems
    except _Abort as abort:
        mark = abort.node.start_mark
        return doc, [Problem(abort.message, file, mark.line + 1, mark.column + 1, code="MPH-Y006")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        if mark is None:
            return doc, [Problem(f"not valid YAML: {exc.problem}", file, code="MPH-Y005")]
        return doc, [
            Problem(
                f"not valid YAML: {exc.problem}",
                file,
                mark.line + 1,
                mark.column + 1,
                code="MPH-Y005",
            )
        ]
    except yaml.YAMLError as exc:
        return doc, [Problem(f"not valid YAML: {exc}", file, code="MPH-Y005")]
    except RecursionError:
        return doc, [Problem(f"nesting deeper than {MAX_DEPTH} levels", file, code="MPH-Y006")]
    finally:
        loader.dispose()
