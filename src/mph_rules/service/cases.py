"""Live cases: a CaseSession per case, rebuilt from the event store, kept warm in memory.

The store is the truth; the in-memory session is a cache of its replay. A session is used
only under its case's lock and only while its version equals the stored one; when a write
fails for any reason the cached session is dropped and rebuilt from the store on next use.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mph_rules import __version__
from mph_rules.engine import CaseSession, Engine
from mph_rules.errors import EventError
from mph_rules.events import Case, Event
from mph_rules.service.chain import canonical, case_next_hash, case_start_hash, digest
from mph_rules.service.problems import relocated, validated
from mph_rules.service.store import Conflict, Store, StoredCase

logger = logging.getLogger("mph_rules.service")
_STRIPES = 512


class NotFound(Exception):
    """No such case among the packs the caller may use."""


class WrongPack(Exception):
    def __init__(self, pack_id: str) -> None:
        self.pack_id = pack_id
        super().__init__(pack_id)


@dataclass
class _Live:
    stored: StoredCase
    session: CaseSession
    version: int
    case_hash: str
    events: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Appended:
    version: int
    body: str  # the answer: {"case_id", "version", "consequences"}


class LiveCases:
    """Appends, decisions and due items for the cases in a store."""

    def __init__(self, store: Store, engines: Mapping[str, Engine], max_cached: int) -> None:
        self.store = store
        self.engines = engines
        self.max_cached = max_cached
        self._cache: OrderedDict[str, _Live] = OrderedDict()
        self._locks = tuple(threading.Lock() for _ in range(_STRIPES))
        self._guard = threading.Lock()

    @contextmanager
    def _locked(self, case_id: str) -> Iterator[None]:
        """One writer per case in this process (striped locks: bounded, never evicted)."""
        with self._locks[hash(case_id) % _STRIPES]:
            yield

    def _remember(self, live: _Live) -> None:
        with self._guard:
            self._cache[live.stored.case_id] = live
            self._cache.move_to_end(live.stored.case_id)
            while len(self._cache) > self.max_cached:
                self._cache.popitem(last=False)

    def _forget(self, case_id: str) -> None:
        with self._guard:
            self._cache.pop(case_id, None)

    def _load(self, case_id: str, version: int | None = None) -> _Live | None:
        """The live case at its stored version: the cached session if current, else a replay
        of the stored events (the answers given are checked against the replay)."""
        with self._guard:
            live = self._cache.get(case_id)
        if live is not None and version is not None and live.version == version:
            return live
        stored = self.store.case(case_id)
        if stored is None:
            return None
        if live is not None and live.version == stored.version:
            return live
        engine = self.engines.get(stored.pack_id)
        if engine is None:
            raise NotFound(case_id)  # its pack is not served here
        session = engine.session(
            case_id, facts=json.loads(stored.facts), subjects=json.loads(stored.subjects)
        )
        live = _Live(
            stored,
            session,
            0,
            case_start_hash(case_id, stored.pack_id, stored.facts, stored.subjects),
        )
        for item in self.store.events(case_id):
            replayed = answer_text(case_id, item.version, session.post(json.loads(item.event)))
            if replayed != item.result:
                logger.warning(
                    "replay differs from the stored answer",
                    extra={"case_id": case_id, "version": item.version},
                )
            live.events.append(item.event)
            live.version = item.version
            live.case_hash = item.case_hash
        live.stored = StoredCase(
            stored.case_id, stored.pack_id, stored.facts, stored.subjects, live.version
        )
        self._remember(live)
        return live

    # writing -----------------------------------------------------------------------------

    def append(
        self,
        *,
        caller: str,
        packs: frozenset[str] | None,
        case_id: str,
        pack_id: str | None,
        expected: int,
        event: Event,
        facts: Mapping[str, Any] | None,
        subjects: list[Any] | None,
    ) -> Appended:
        """Post one event to a case at version ``expected`` (0 creates the case)."""
        with self._locked(case_id):
            live = self._load(case_id, expected)
            if live is not None and not _may(packs, live.stored.pack_id):
                raise NotFound(case_id)
            if live is None:
                if expected != 0:
                    raise NotFound(case_id)
                assert pack_id is not None  # the HTTP layer requires it when creating
                live = self._new(case_id, pack_id, facts or {}, subjects or [])
            elif pack_id is not None and pack_id != live.stored.pack_id:
                raise WrongPack(live.stored.pack_id)
            if live.version != expected:
                raise Conflict(live.version)
            event_json = canonical(event.model_dump(mode="json"))
            try:
                consequences = live.session.post(event)  # EventError: nothing changed
            except EventError as exc:
                raise relocated(exc, "event", event=True) from None
            version = expected + 1
            body = answer_text(case_id, version, consequences)
            case_hash = case_next_hash(live.case_hash, event_json)
            engine = live.session.engine
            entry = {
                "kind": "event",
                "caller": caller,
                "pack_id": live.stored.pack_id,
                "pack_hash": engine.ref.content_hash,
                "engine_version": __version__,
                "case_id": case_id,
                "case_version": version,
                "as_of": None,
                "input_hash": case_hash,
                "output_hash": digest(body),
                "input": None,
            }
            try:
                self.store.append(live.stored, expected, event_json, body, case_hash, entry)
            except BaseException:
                self._forget(case_id)  # the session moved on; the store did not
                raise
            live.version = version
            live.case_hash = case_hash
            live.events.append(event_json)
            self._remember(live)
            return Appended(version, body)

    def _new(
        self, case_id: str, pack_id: str, facts: Mapping[str, Any], subjects: list[Any]
    ) -> _Live:
        engine = self.engines[pack_id]
        start = validated(Case, {"id": case_id, "facts": dict(facts), "subjects": subjects})
        session = engine.session(case_id, facts=start.facts, subjects=start.subjects)
        facts_json = canonical(start.facts)
        subjects_json = canonical([s.model_dump(mode="json") for s in start.subjects])
        stored = StoredCase(case_id, pack_id, facts_json, subjects_json, 0)
        return _Live(
            stored, session, 0, case_start_hash(case_id, pack_id, facts_json, subjects_json)
        )

    # reading -----------------------------------------------------------------------------

    def decision(
        self, *, caller: str, packs: frozenset[str] | None, case_id: str, as_of: dt.date
    ) -> str:
        """The decision on a live case as of ``as_of`` (JSON), logged."""
        with self._locked(case_id):
            live = self._load(case_id, self.store.version(case_id))
            if live is None or not _may(packs, live.stored.pack_id):
                raise NotFound(case_id)
            try:
                text = live.session.decision(as_of).to_json(indent=None)
            except EventError:  # as_of before the last event: evaluate the events up to it
                text = live.session.engine.evaluate(_case(live), as_of=as_of).to_json(indent=None)
            version, case_hash = live.version, live.case_hash
            engine = live.session.engine
        self.store.log(
            {
                "kind": "decision",
                "caller": caller,
                "pack_id": live.stored.pack_id,
                "pack_hash": engine.ref.content_hash,
                "engine_version": __version__,
                "case_id": case_id,
                "case_version": version,
                "as_of": as_of.isoformat(),
                "input_hash": digest(canonical([case_hash, as_of.isoformat()])),
                "output_hash": digest(text),
                "input": None,
            }
        )
        return text

    def due(
        self, *, caller: str, packs: frozenset[str] | None, until: dt.date
    ) -> list[dict[str, Any]]:
        """Per case of these packs: what has fallen due by ``until`` (only cases with some);
        logged with the input hash of every case it looked at."""
        out: list[dict[str, Any]] = []
        seen: list[str] = []
        served = frozenset(self.engines) if packs is None else packs & frozenset(self.engines)
        for case_id, pack_id in self.store.case_ids(served):
            with self._locked(case_id):
                live = self._load(case_id, self.store.version(case_id))
                if live is None:
                    continue
                items = live.session.due(until)
                seen.append(live.case_hash)
                if items.notifications or items.deadlines or items.deletions:
                    out.append(
                        {
                            "case_id": case_id,
                            "pack": pack_id,
                            "version": live.version,
                            "due": items.to_dict(),
                        }
                    )
        self.store.log(
            {
                "kind": "due",
                "caller": caller,
                "pack_id": None,
                "pack_hash": None,
                "engine_version": __version__,
                "case_id": None,
                "case_version": None,
                "as_of": until.isoformat(),
                "input_hash": digest(canonical([until.isoformat(), seen])),
                "output_hash": digest(canonical(out)),
                "input": None,
            }
        )
        return out

    def stored_case(self, case_id: str, packs: frozenset[str] | None) -> dict[str, Any] | None:
        """The case as stored: pack, version, facts, subjects and events."""
        with self._locked(case_id):
            live = self._load(case_id, self.store.version(case_id))
            if live is None or not _may(packs, live.stored.pack_id):
                return None
            return {"pack": live.stored.pack_id, "version": live.version, **_case(live)}


def _may(packs: frozenset[str] | None, pack_id: str) -> bool:
    return packs is None or pack_id in packs


def answer_text(case_id: str, version: int, consequences: Any) -> str:
    """The answer to an append, as stored and sent."""
    return canonical(
        {"case_id": case_id, "version": version, "consequences": consequences.to_dict()}
    )


def _case(live: _Live) -> dict[str, Any]:
    return {
        "id": live.stored.case_id,
        "facts": json.loads(live.stored.facts),
        "subjects": json.loads(live.stored.subjects),
        "events": [json.loads(e) for e in live.events],
    }
