"""The stable code of every problem mph-rules reports, declared once.

A code is ``MPH-`` + an area letter + three digits. The letter says where to look:

- ``Y`` reading a file: size, encoding, YAML syntax, duplicate keys;
- ``V`` the shape of any input (pack, case, request, configuration): unknown keys, missing
  fields, wrong types, values not allowed;
- ``P`` a pack's meaning: references, ``extends``, ids, overrides;
- ``C`` a case and its events: names the pack does not know, order, live sessions;
- ``A`` arguments and options: moments (``as_of``), settings, command-line options;
- ``T`` pack test files and audit records;
- ``S`` the installation, the service and its decision log.

Rules that keep codes stable: a code, once published, is never renumbered, never reused for
another meaning, and never removed (a retired code stays here with ``retired=True``). Each
code has a page ``docs/errors/<code>.md``: what it means, an example, the fix. Tests check
that every code raised is here, every code here has a page, and every page's example
produces its code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DOCS_URL_ENV = "MPH_RULES_DOCS_URL"
DEFAULT_DOCS_BASE = "docs/errors/"


@dataclass(frozen=True)
class ErrorCode:
    code: str
    slug: str
    title: str
    retired: bool = False


_CODES = (
    # --- Y: reading a file ---------------------------------------------------------------
    ErrorCode("MPH-Y001", "file-unreadable", "the file cannot be read"),
    ErrorCode("MPH-Y002", "too-large", "the input is larger than the limit"),
    ErrorCode("MPH-Y003", "not-utf8", "the file is not UTF-8 text"),
    ErrorCode("MPH-Y004", "empty-document", "the document is empty"),
    ErrorCode("MPH-Y005", "invalid-yaml", "the text is not valid YAML"),
    ErrorCode("MPH-Y006", "too-complex", "too many values or nesting too deep"),
    ErrorCode("MPH-Y007", "duplicate-key", "a key is given twice in one mapping"),
    ErrorCode("MPH-Y008", "merge-key", "YAML merge keys ('<<') are not supported"),
    ErrorCode("MPH-Y009", "complex-key", "a mapping key is not a plain value"),
    ErrorCode("MPH-Y010", "invalid-scalar", "a value cannot be read as what it looks like"),
    # --- V: the shape of an input --------------------------------------------------------
    ErrorCode("MPH-V001", "unknown-key", "a key the format does not have"),
    ErrorCode("MPH-V002", "missing-field", "a required field is missing"),
    ErrorCode("MPH-V003", "wrong-type", "a value has the wrong type"),
    ErrorCode("MPH-V004", "not-allowed", "a value is not one of the allowed values"),
    ErrorCode("MPH-V005", "out-of-bounds", "a value breaks a length, range or pattern limit"),
    ErrorCode("MPH-V006", "invalid-value", "a value fails a check of the format"),
    # --- P: a pack's meaning -------------------------------------------------------------
    ErrorCode("MPH-P001", "unknown-pack", "no pack by that name"),
    ErrorCode("MPH-P002", "not-a-pack", "the file is not a pack"),
    ErrorCode("MPH-P003", "broken-installed-pack", "an installed pack cannot be loaded"),
    ErrorCode("MPH-P004", "extends-outside", "extends names a file outside the pack's folder"),
    ErrorCode("MPH-P005", "extends-cycle", "packs extend each other in a cycle"),
    ErrorCode("MPH-P006", "extends-limit", "extends goes too deep or reads too many files"),
    ErrorCode("MPH-P007", "extends-failed", "a pack named in extends does not load"),
    ErrorCode("MPH-P008", "duplicate-id", "an id is used twice"),
    ErrorCode("MPH-P009", "override-unknown", "overrides names an item no baseline defines"),
    ErrorCode("MPH-P010", "undefined-reference", "a reference to something the pack lacks"),
    ErrorCode("MPH-P011", "setting-comparison", "a setting is compared with a wrong value"),
    ErrorCode("MPH-P012", "pack-event-prefix", "a pack event type lacks the pack's prefix"),
    ErrorCode("MPH-P013", "setting-mismatch", "a setting does not fit where it is used"),
    ErrorCode("MPH-P014", "pack-changed", "the pack is not the one that was sent"),
    # --- C: a case and its events --------------------------------------------------------
    ErrorCode("MPH-C001", "not-a-case", "the file is not a case"),
    ErrorCode("MPH-C002", "unknown-name", "a name the pack does not define"),
    ErrorCode("MPH-C003", "unknown-subject", "an event names a subject the case lacks"),
    ErrorCode("MPH-C004", "request-not-received", "a request answered before it was received"),
    ErrorCode("MPH-C005", "events-out-of-order", "an event is earlier than the one before"),
    ErrorCode("MPH-C006", "as-of-too-early", "as_of lies before the last event posted"),
    ErrorCode("MPH-C007", "foreign-session", "a session used with another engine"),
    ErrorCode("MPH-C008", "no-live-case", "no open live case by that id"),
    ErrorCode("MPH-C009", "live-case-open", "a live case by that id is already open"),
    ErrorCode("MPH-C010", "clock-back", "a tick earlier than the last one"),
    # --- A: arguments and options --------------------------------------------------------
    ErrorCode("MPH-A001", "bad-moment", "a moment (as_of) cannot be read"),
    ErrorCode("MPH-A002", "moment-without-offset", "a time without a UTC offset"),
    ErrorCode("MPH-A003", "unknown-setting", "a setting the pack does not have"),
    ErrorCode("MPH-A004", "bad-setting-value", "a setting value of the wrong kind"),
    ErrorCode("MPH-A005", "bad-option", "a command-line option is malformed"),
    ErrorCode("MPH-A006", "missing-option", "a required option or argument is missing"),
    ErrorCode("MPH-A007", "case-store-layout", "a case store folder is not laid out as expected"),
    ErrorCode("MPH-A008", "unknown-language", "a language other than nl or en"),
    # --- T: pack tests and audit records -------------------------------------------------
    ErrorCode("MPH-T001", "bad-test-file", "a pack test file is malformed"),
    ErrorCode("MPH-T002", "not-an-audit-record", "the file is not an audit record"),
    ErrorCode("MPH-T003", "not-reproducible", "a case whose decision does not survive JSON"),
    # --- S: installation, service and decision log ---------------------------------------
    ErrorCode("MPH-S001", "missing-extra", "an optional part of mph-rules is not installed"),
    ErrorCode("MPH-S002", "no-decision-log", "the database holds no decision log"),
    ErrorCode("MPH-S003", "sweep-failed", "a distributed sweep failed"),
    ErrorCode("MPH-S004", "log-key", "the decision log's key is missing or unreadable"),
)

CODES: dict[str, ErrorCode] = {c.code: c for c in _CODES}


def docs_base() -> str:
    """Where the code pages are: ``$MPH_RULES_DOCS_URL`` (e.g. a published docs site), else
    the path of the pages in a checkout of the project."""
    base = os.environ.get(DOCS_URL_ENV) or DEFAULT_DOCS_BASE
    return base if base.endswith("/") else base + "/"


def help_url(code: str, base: str | None = None) -> str:
    """The page that explains ``code``."""
    base = docs_base() if base is None else (base if base.endswith("/") else base + "/")
    return f"{base}{code}.md"


# pydantic error types -> the shape codes (V): what kind of mistake, whichever model
_MISSING = frozenset({"missing", "missing_argument", "missing_keyword_only_argument"})
_ALLOWED = frozenset({"literal_error", "enum", "union_tag_invalid", "union_tag_not_found"})
_BOUNDS = frozenset(
    {
        "too_short",
        "too_long",
        "string_too_short",
        "string_too_long",
        "string_pattern_mismatch",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "multiple_of",
        "finite_number",
        "date_past",
        "date_future",
        "datetime_past",
        "datetime_future",
    }
)


def validation_code(kind: str) -> str:
    """The code of one pydantic error, by its type (``err["type"]``)."""
    if kind == "extra_forbidden":
        return "MPH-V001"
    if kind in _MISSING:
        return "MPH-V002"
    if kind in _ALLOWED:
        return "MPH-V004"
    if kind in _BOUNDS:
        return "MPH-V005"
    if kind.endswith(("_type", "_parsing")) or kind in {"is_instance_of", "model_attributes_type"}:
        return "MPH-V003"
    return "MPH-V006"
