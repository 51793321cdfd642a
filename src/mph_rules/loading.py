"""YAML -> validated, baseline-resolved Pack, with errors a policy author can act on."""

from __future__ import annotations

import hashlib
import json
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mph_rules.error_codes import validation_code
from mph_rules.errors import PackError, Problem
from mph_rules.references import check_references
from mph_rules.schema import Pack
from mph_rules.schema.pack import LIST_SECTIONS
from mph_rules.suggestions import did_you_mean
from mph_rules.yamlread import MAX_BYTES, Document, read_yaml


@dataclass(frozen=True)
class Provenance:
    """Where each part of a resolved pack came from, and what it replaced."""

    pack_id: str
    files: tuple[str, ...]
    origins: dict[str, str] = field(default_factory=dict)
    overridden: dict[str, str] = field(default_factory=dict)
    content_hash: str = ""


def read_limited(path: Path) -> bytes:
    """The bytes of a regular file, reading at most one byte past the size limit (so
    /dev/zero or a FIFO can neither exhaust memory nor hang the reader)."""
    if not path.is_file():
        if path.exists():
            raise OSError(21, "not a regular file")
        raise FileNotFoundError(2, "No such file or directory")
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES + 1)


def bundled_dir() -> Path:
    """The directory holding the packs shipped with the library."""
    return Path(str(resources.files("mph_rules") / "packs"))


def bundled_names() -> list[str]:
    return sorted(p.stem for p in bundled_dir().glob("*.yaml"))


PATH_SUFFIXES = (".yaml", ".yml", ".json")
ENTRY_POINT_GROUP = "mph_rules.packs"
MAX_EXTENDS_DEPTH = 8
MAX_EXTENDS_FILES = 32


def is_path(name_or_path: str | Path) -> bool:
    """The one rule for pack names: a text with a slash (or backslash) or ending in .yaml,
    .yml or .json is a path; anything else is the name of a bundled or installed pack, never
    looked up in the current directory."""
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    return "/" in text or "\\" in text or text.lower().endswith(PATH_SUFFIXES)


def installed_packs() -> dict[str, Any]:
    """Packs other distributions install: entry points in the group ``mph_rules.packs``,
    each loading to the pack's YAML file (a path, an importlib.resources Traversable, or a
    callable returning one). A bundled pack of the same name wins."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _installed_path(name: str) -> Path | None:
    ep = installed_packs().get(name)
    if ep is None:
        return None
    try:
        target = ep.load()
        if callable(target):
            target = target()
        return Path(str(target))
    except Exception as exc:  # a broken plugin is a PackError, never a traceback
        raise PackError(
            [
                Problem(
                    f"installed pack {name!r} ({ep.value}) cannot be loaded: {exc}", code="MPH-P003"
                )
            ]
        ) from None


def resolve_name(name_or_path: str | Path) -> Path:
    """A bundled pack name (``hilversum``), a bundled baseline (``avg``), an installed pack
    (entry point group ``mph_rules.packs``), or a path (see ``is_path``)."""
    if is_path(name_or_path):
        return Path(name_or_path)
    text = str(name_or_path)
    for candidate in (bundled_dir() / f"{text}.yaml", bundled_dir() / "base" / f"{text}.yaml"):
        if candidate.is_file():
            return candidate
    installed = _installed_path(text)
    if installed is not None:
        return installed
    names = bundled_names() + [p.stem for p in (bundled_dir() / "base").glob("*.yaml")]
    names += sorted(installed_packs())
    hint = did_you_mean(text, names) or f"known packs: {', '.join(names)}"
    raise PackError(
        [
            Problem(
                f"no pack named {text!r} (a path needs a slash or a .yaml suffix)",
                hint=hint,
                code="MPH-P001",
            )
        ]
    )


def load_pack(name_or_path: str | Path) -> Pack:
    """Load, validate and resolve a pack; raise PackError listing every problem found."""
    path = resolve_name(name_or_path)
    return _load(path, (), _Loads(_root_of(path)))


def load_pack_text(text: str, file: str = "<string>") -> Pack:
    """Load a pack from YAML text (it may extend bundled and installed packs by name)."""
    return _resolve(_parse(text, file), file, (), _Loads(None))


def _root_of(path: Path) -> Path:
    """The folder tree a pack's ``extends`` may reach: the pack's own folder."""
    return path.resolve().parent


@dataclass
class _Loads:
    """One load_pack call: each extended file is loaded once (a fan-out of extends costs
    the number of distinct files), within MAX_EXTENDS_DEPTH and MAX_EXTENDS_FILES."""

    root: Path | None
    done: dict[Path, Pack] = field(default_factory=dict)


def _load(path: Path, chain: tuple[str, ...], loads: _Loads) -> Pack:
    try:
        raw = read_limited(path)
    except OSError as exc:
        raise PackError(
            [Problem(f"cannot read pack: {exc.strerror}", str(path), code="MPH-Y001")]
        ) from None
    return _resolve(_parse(raw, str(path), extended=bool(chain)), str(path), chain, loads)


def _extended_path(name: str, file: str, loads: _Loads) -> Path:
    """Where ``extends: [name]`` of the pack in ``file`` points: a bundled or installed pack
    by name, or a file inside the top pack's folder tree, relative to the extending pack."""
    if not is_path(name):
        return resolve_name(name)
    target = Path(name)
    if target.is_absolute() or loads.root is None or file.startswith("<"):
        raise PackError(
            [
                Problem(
                    f"extends {name!r}: only a bundled or installed pack name, or a relative "
                    "path inside the pack's own folder, may be extended",
                    hint="write the file beside the pack and name it relative to the pack",
                    code="MPH-P004",
                )
            ]
        )
    resolved = (Path(file).parent / target).resolve()
    if not resolved.is_relative_to(loads.root):
        raise PackError(
            [
                Problem(
                    f"extends {name!r}: the file lies outside the pack's own folder "
                    f"({loads.root}); it is not read",
                    code="MPH-P004",
                )
            ]
        )
    return resolved


@dataclass
class _Parsed:
    pack: Pack
    doc: Document


def _parse(raw: bytes | str, file: str, *, extended: bool = False) -> _Parsed:
    doc, problems = read_yaml(raw, file)
    if problems:
        raise PackError(problems)
    if not isinstance(doc.data, dict):
        raise PackError(
            [Problem("a pack is a mapping with a 'pack:' section", file, 1, 1, code="MPH-P002")]
        )
    meta = doc.data.get("pack")
    if extended and not (isinstance(meta, dict) and isinstance(meta.get("id"), str)):
        # an extended file that is not a pack may be anything (a secret, a system file):
        # say so without echoing any of its values
        raise PackError(
            [Problem("not a pack (no 'pack:' section with an id)", file, code="MPH-P002")]
        )
    try:
        pack = Pack.model_validate(doc.data)
    except ValidationError as exc:
        raise PackError(validation_problems(exc, doc, Pack)) from None
    return _Parsed(pack, doc)


def _resolve(parsed: _Parsed, file: str, chain: tuple[str, ...], loads: _Loads) -> Pack:
    pack = parsed.pack
    if pack.pack.id in chain:
        cycle = " -> ".join((*chain, pack.pack.id))
        raise PackError([Problem(f"extends cycle: {cycle}", file, code="MPH-P005")])
    bases: list[Pack] = []
    problems: list[Problem] = []
    for i, name in enumerate(pack.pack.extends):
        line, col = parsed.doc.locate(("pack", "extends", i))
        if len(chain) + 1 > MAX_EXTENDS_DEPTH:
            message = f"extends deeper than {MAX_EXTENDS_DEPTH} packs: {' -> '.join(chain)}"
            raise PackError([Problem(message, file, line, col, "pack.extends", code="MPH-P006")])
        try:
            path = _extended_path(name, file, loads)
            key = path.resolve()
            if key not in loads.done:
                if len(loads.done) >= MAX_EXTENDS_FILES:
                    message = f"extends more than {MAX_EXTENDS_FILES} files in all"
                    raise PackError(
                        [Problem(message, file, line, col, "pack.extends", code="MPH-P006")]
                    )
                loads.done[key] = _load(path, (*chain, pack.pack.id), loads)
            bases.append(loads.done[key])
        except PackError as exc:
            problems.append(
                Problem(
                    f"cannot extend {name!r}",
                    file,
                    line,
                    col,
                    "pack.extends",
                    str(exc),
                    code="MPH-P007",
                )
            )
    if problems:
        raise PackError(problems)
    merged, origins, overridden, merge_problems = _merge(pack, bases, parsed.doc)
    problems = merge_problems + check_references(merged, origins, parsed.doc)
    if problems:
        raise PackError(problems)
    files = (*tuple(dict.fromkeys(f for b in bases for f in b.provenance.files)), file)
    merged._provenance = Provenance(
        pack_id=pack.pack.id,
        files=files,
        origins=origins,
        overridden=overridden,
        content_hash=content_hash(merged),
    )
    return merged


def content_hash(pack: Pack) -> str:
    """SHA-256 of the resolved pack's canonical JSON: an auditor's reproducibility key."""
    canonical = json.dumps(pack.model_dump(mode="json", by_alias=True), sort_keys=True)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _merge(
    pack: Pack, bases: list[Pack], doc: Document
) -> tuple[Pack, dict[str, str], dict[str, str], list[Problem]]:
    """Baseline items first; a pack item with the same id, or naming it in `overrides`,
    replaces it. A pack right replaces the baseline right of the same kind."""
    origins: dict[str, str] = {}
    overridden: dict[str, str] = {}
    problems: list[Problem] = []
    update: dict[str, Any] = {}
    own_id = pack.pack.id
    base_ids = {_key(item) for b in bases for s in LIST_SECTIONS for item in _items(b, s)}
    for section in LIST_SECTIONS:
        items: dict[str, Any] = {}
        for base in bases:
            for item in _items(base, section):
                items[_key(item)] = item
                origins.setdefault(
                    _key(item), base.provenance.origins.get(_key(item), base.pack.id)
                )
        for index, item in enumerate(_items(pack, section)):
            key = _key(item)
            if key in items and origins.get(key) == own_id:
                line, col = doc.locate((section, index, "id"))
                problems.append(
                    Problem(f"duplicate id {key!r}", doc.file, line, col, section, code="MPH-P008")
                )
                continue
            if key in items:
                overridden[key] = key
            for target in getattr(item, "overrides", ()):
                if target not in base_ids:
                    line, col = doc.locate((section, index, "overrides"))
                    problems.append(
                        Problem(
                            f"overrides {target!r}, which no baseline defines",
                            doc.file,
                            line,
                            col,
                            f"{section}[{index}].overrides",
                            did_you_mean(target, base_ids),
                            code="MPH-P009",
                        )
                    )
                items.pop(target, None)
                overridden[target] = key
            if section == "rights":
                for other_key, other in list(items.items()):
                    if other.right == item.right and origins.get(other_key) != own_id:
                        items.pop(other_key)
                        overridden[other_key] = key
            items[key] = item
            origins[key] = own_id
        update[section] = tuple(items.values())
    for single in ("lifecycle", "intake", "defaults"):
        if getattr(pack, single) is None:
            inherited = next((getattr(b, single) for b in bases if getattr(b, single)), None)
            update[single] = inherited
    merged = pack.model_copy(update=update)
    return merged, origins, overridden, problems


def _items(pack: Pack, section: str) -> tuple[Any, ...]:
    value: tuple[Any, ...] = getattr(pack, section)
    return value


def _key(item: Any) -> str:
    return str(getattr(item, "id", None) or getattr(item, "type", ""))


# --- pydantic errors -> problems -------------------------------------------------------------


def validation_problems(
    exc: ValidationError, doc: Document, root: type[BaseModel]
) -> list[Problem]:
    """One problem per pydantic error, placed at its line and column, with a hint."""
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    errors = exc.errors(include_url=False)
    mapped = [(err, *_data_path(err["loc"], doc.data)) for err in errors]
    if any(relevant for _, _, relevant in mapped):
        mapped = [m for m in mapped if m[2]]
    for err, loc, _ in mapped:
        kind = err["type"]
        if kind == "extra_forbidden":
            line, col = doc.locate(loc, key=True)
            key = str(loc[-1]) if loc else ""
            allowed = _allowed_keys(root, loc[:-1], doc.data)
            hint = did_you_mean(key, allowed) if allowed else None
            if hint is None and allowed:
                hint = "allowed keys: " + ", ".join(sorted(allowed))
            message = f"unknown key {key!r}"
        else:
            line, col = doc.locate(loc)
            message = _message(err)
            hint = _enum_hint(err)
        ident = (line, col, message)
        if ident in seen:
            continue
        seen.add(ident)
        problems.append(
            Problem(message, doc.file, line, col, _render(loc), hint, code=validation_code(kind))
        )
    return problems


def _data_path(loc: tuple[Any, ...], data: Any) -> tuple[tuple[str | int, ...], bool]:
    """Map pydantic's loc onto the YAML document, dropping union-branch and tag segments.

    Returns the path and whether the error comes from the union branch that matches the
    shape of the input (a mapping is not reported as "not a valid date").
    """
    path: list[str | int] = []
    node = data
    relevant = True
    for part in loc:
        if isinstance(part, int):
            if isinstance(node, list) and part < len(node):
                path.append(part)
                node = node[part]
            continue
        if isinstance(node, dict) and part in _TAGS and set(node) & _TAGS:
            continue  # the discriminator tag of a condition, not a key
        if isinstance(node, dict) and (part in node or part.rstrip("_") in node):
            key = part if part in node else part.rstrip("_")
            path.append(key)
            node = node[key]
            continue
        if part[:1].isupper() or "[" in part or part in _SCALARS:
            if part[:1].isupper() != isinstance(node, dict):
                relevant = False
            continue
        path.append(part)  # a missing or unknown key
        node = None
    return tuple(path), relevant


_SCALARS = {"str", "int", "bool", "float", "date", "datetime", "none"}
_TAGS = {"all", "any", "not", "field", "occurred", "consent"}


def _render(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return f"missing required key {err['loc'][-1]!r}"
    found = err.get("input")
    msg = str(err["msg"]).removeprefix("Value error, ")
    if isinstance(found, dict | list) or "found" in msg:
        return msg
    shown = repr(found)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{msg}; found {shown}"


def _enum_hint(err: Any) -> str | None:
    ctx = err.get("ctx") or {}
    expected = ctx.get("expected")
    found = err.get("input")
    if isinstance(expected, str) and isinstance(found, str):
        choices = [c.strip(" '\"") for c in expected.replace(" or ", ",").split(",")]
        return did_you_mean(found, [c for c in choices if c])
    return None


def _allowed_keys(root: type[BaseModel], path: tuple[str | int, ...], data: Any) -> set[str]:
    """Field names (aliases) of the model that sits at ``path`` in the document."""
    models = list(_models_at(root, path, data))
    keys: set[str] = set()
    for model in models:
        for name, info in model.model_fields.items():
            keys.add(info.alias or name)
    return keys


def _models_at(
    root: type[BaseModel], path: tuple[str | int, ...], data: Any
) -> Iterator[type[BaseModel]]:
    current: list[Any] = [root]
    node = data
    for part in path:
        nxt: list[Any] = []
        for tp in current:
            for model in _unwrap(tp):
                if isinstance(part, int):
                    continue
                for name, info in model.model_fields.items():
                    if part in (name, info.alias):
                        nxt.append(info.annotation)
            if isinstance(part, int):
                nxt.extend(_item_types(tp))
        current = nxt
        node = node.get(part) if isinstance(node, dict) else None
    for tp in current:
        for model in _unwrap(tp):
            if isinstance(node, dict) and model.model_fields:
                required = {
                    (info.alias or name)
                    for name, info in model.model_fields.items()
                    if info.is_required()
                }
                if required and not required & set(node):
                    continue
            yield model


def _unwrap(tp: Any) -> Iterator[type[BaseModel]]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        yield from _unwrap(typing.get_args(tp)[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            yield from _unwrap(arg)
    elif isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp


def _item_types(tp: Any) -> Iterator[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        yield from _item_types(typing.get_args(tp)[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            yield from _item_types(arg)
    elif origin in (tuple, list):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        yield from args


def load_case(path: str | Path) -> Any:
    """Read a case file (YAML or JSON) into a validated ``Case``; EventError with lines."""
    from mph_rules.errors import EventError
    from mph_rules.events import Case

    try:
        raw = read_limited(Path(path))
    except OSError as exc:
        raise EventError(
            [Problem(f"cannot read case: {exc.strerror}", str(path), code="MPH-Y001")]
        ) from None
    doc, problems = read_yaml(raw, str(path))
    if problems:
        raise EventError(problems)
    if not isinstance(doc.data, dict):
        raise EventError(
            [
                Problem(
                    "a case is a mapping with id, facts, subjects, events",
                    str(path),
                    1,
                    1,
                    code="MPH-C001",
                )
            ]
        )
    try:
        return Case.model_validate(doc.data)
    except ValidationError as exc:
        raise EventError(validation_problems(exc, doc, Case)) from None
