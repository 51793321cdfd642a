"""Canonical JSON, digests and the hash chain of the decision log.

Every log entry hashes its own fields together with the hash of the entry before it, so an
entry edited, removed or moved breaks the chain from that point on (``verify``). The hashes
use canonical JSON (sorted keys, no spaces, UTF-8): the same content, the same bytes.

With a log key (``logkey``), an entry's hash is an HMAC-SHA256 under that key
(``hmac-sha256:...``) instead of a plain SHA-256 (``sha256:...``): whoever can write the
database but does not hold the key cannot compute a valid entry, so cannot rewrite the
chain from some entry on and make it verify again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "sha256:" + "0" * 64
KEYED = "hmac-sha256:"

# The fields an entry's hash covers, in the log table's column names.
ENTRY_FIELDS = (
    "seq",
    "recorded_at",
    "kind",
    "caller",
    "pack_id",
    "pack_hash",
    "engine_version",
    "case_id",
    "case_version",
    "as_of",
    "input_hash",
    "output_hash",
    "prev_hash",
)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_hash(entry: Mapping[str, Any], key: bytes | None = None) -> str:
    """The hash of one log entry (its ENTRY_FIELDS, ``prev_hash`` included): keyed (HMAC)
    when the log has a key."""
    text = canonical({name: entry.get(name) for name in ENTRY_FIELDS})
    if key is None:
        return digest(text)
    return KEYED + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def is_keyed(hash_: str) -> bool:
    return hash_.startswith(KEYED)


def case_start_hash(case_id: str, pack_id: str, facts_json: str, subjects_json: str) -> str:
    """Version 0 of a live case's input hash: who it is and what is known at creation."""
    return digest(canonical([case_id, pack_id, facts_json, subjects_json]))


def case_next_hash(previous: str, event_json: str) -> str:
    """The input hash after one more event: covers the whole history up to it."""
    return digest(previous + "\n" + event_json)
