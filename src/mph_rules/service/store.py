"""The event store and the decision log, in SQLite (default) or PostgreSQL.

One schema (SQLAlchemy Core), migrated on start-up by numbered steps. Appending an event
writes the case's new version, the event with the answer given, and its decision-log entry in
one transaction: either all are stored or none is. Two writers on one case cannot interleave:
the version moves only from the version the writer expected (``Conflict`` otherwise).
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import ConnectionPoolEntry

from mph_rules.service.chain import GENESIS, KEYED, entry_hash, is_keyed

_T = TypeVar("_T")
metadata = MetaData()

migrations = Table(
    "mph_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", String(40), nullable=False),
)
cases = Table(
    "mph_cases",
    metadata,
    Column("case_id", String(200), primary_key=True),
    Column("pack_id", String(100), nullable=False, index=True),
    Column("facts", Text, nullable=False),
    Column("subjects", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", String(40), nullable=False),
)
events = Table(
    "mph_events",
    metadata,
    Column("case_id", String(200), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("event", Text, nullable=False),  # canonical JSON of the validated event
    Column("result", Text, nullable=False),  # the answer given (Consequences JSON)
    Column("case_hash", String(80), nullable=False),  # input hash of the history up to here
    Column("recorded_at", String(40), nullable=False),
)
log = Table(
    "mph_decision_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", String(40), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("caller", String(200), nullable=False),
    Column("pack_id", String(100), nullable=True),
    Column("pack_hash", String(80), nullable=True),
    Column("engine_version", String(60), nullable=False),
    Column("case_id", String(200), nullable=True, index=True),
    Column("case_version", Integer, nullable=True),
    Column("as_of", String(40), nullable=True),
    Column("input_hash", String(80), nullable=False),
    Column("output_hash", String(80), nullable=False),
    Column("input", Text, nullable=True),  # stateless requests: the canonical input itself
    Column("prev_hash", String(80), nullable=False),
    Column("entry_hash", String(80), nullable=False),
)
log_head = Table(
    "mph_log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("entry_hash", String(80), nullable=False),
)


def _migration_1(conn: Connection) -> None:
    for table in (cases, events, log, log_head):
        table.create(conn)
    conn.execute(insert(log_head).values(id=1, seq=0, entry_hash=GENESIS))


# Numbered schema steps; a database records which it has. Append, never edit.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_migration_1,)
SCHEMA_VERSION = len(MIGRATIONS)


class GroupCommit:
    """One writer thread: writes waiting together share one transaction and one commit.

    A durable commit (fsync) costs far more than the statements of one event; under
    concurrent load the writes that queued during a commit go into the next one. Each write
    runs in its own savepoint, so one that fails (a version conflict) is undone alone; a
    write's caller is answered only after the commit that holds it succeeded.
    """

    def __init__(self, begin: Callable[[], Any], max_batch: int = 64) -> None:
        self._begin = begin
        self._max = max_batch
        self._queue: queue.Queue[tuple[Callable[[Connection], Any], Future[Any]] | None] = (
            queue.Queue()
        )
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def run(self, work: Callable[[Connection], _T]) -> _T:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="mph-commit", daemon=True)
                self._thread.start()
        done: Future[_T] = Future()
        self._queue.put((work, done))
        return done.result()

    def stop(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                self._queue.put(None)
                self._thread.join(30)
            self._thread = None

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[tuple[Callable[[Connection], Any], Future[Any]]]) -> None:
        results: list[tuple[Future[Any], bool, Any]] = []
        try:
            with self._begin() as conn:
                for work, done in batch:
                    try:
                        with conn.begin_nested():
                            results.append((done, True, work(conn)))
                    except Exception as exc:  # undone alone; the others go on
                        results.append((done, False, exc))
        except Exception as exc:  # the commit failed: nothing of the batch is stored
            for _, done in batch:
                done.set_exception(exc)
            return
        for done, ok, value in results:
            if ok:
                done.set_result(value)
            else:
                done.set_exception(value)


class Conflict(Exception):
    """The case is not at the version the writer expected (or already exists)."""

    def __init__(self, current: int | None) -> None:
        self.current = current
        super().__init__(f"current version {current}")


@dataclass(frozen=True)
class StoredCase:
    case_id: str
    pack_id: str
    facts: str
    subjects: str
    version: int


@dataclass(frozen=True)
class StoredEvent:
    version: int
    event: str
    result: str
    case_hash: str


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def database_url(text: str) -> str:
    """A SQLAlchemy URL from what an operator types: a ``sqlite:///`` or ``postgresql://`` URL,
    or a plain file path (SQLite)."""
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" in text:
        return text
    return f"sqlite:///{text}"


class Store:
    """The database: cases, their events and the chained decision log."""

    def __init__(self, url: str, *, log_key: bytes | None = None) -> None:
        self.url = database_url(url)
        self._log_key = log_key  # the decision log's HMAC key (never logged nor shown)
        self.sqlite = self.url.startswith("sqlite")
        self.engine: Engine = self._connect()
        self._committer = GroupCommit(self._write)

    def _connect(self) -> Engine:
        if not self.sqlite:
            return create_engine(self.url, pool_size=8, max_overflow=24, pool_pre_ping=True)
        engine = create_engine(
            self.url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, record: ConnectionPoolEntry) -> None:
            dbapi.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged event survives a crash
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("mph_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    # schema ------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Bring the schema to the newest version; returns the number of steps applied."""
        with self._write() as conn:
            if not self.sqlite:
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(720020)")
            migrations.create(conn, checkfirst=True)
            done = conn.execute(select(migrations.c.version)).scalars().all()
            applied = 0
            for number, step in enumerate(MIGRATIONS, start=1):
                if number not in done:
                    step(conn)
                    conn.execute(insert(migrations).values(version=number, applied_at=now_text()))
                    applied += 1
            return applied

    def schema_version(self) -> int:
        """The newest migration applied (0: an empty database)."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table(migrations.name):
                return 0
            versions = conn.execute(select(migrations.c.version)).scalars().all()
        return max(versions, default=0)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(mph_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self._committer.stop()
        self.engine.dispose()

    # cases -------------------------------------------------------------------------------

    def case(self, case_id: str) -> StoredCase | None:
        with self.read() as conn:
            row = conn.execute(select(cases).where(cases.c.case_id == case_id)).first()
        if row is None:
            return None
        return StoredCase(row.case_id, row.pack_id, row.facts, row.subjects, row.version)

    def version(self, case_id: str) -> int | None:
        with self.read() as conn:
            found = conn.execute(
                select(cases.c.version).where(cases.c.case_id == case_id)
            ).scalar_one_or_none()
        return None if found is None else int(found)

    def events(self, case_id: str) -> list[StoredEvent]:
        with self.read() as conn:
            rows = conn.execute(
                select(events.c.version, events.c.event, events.c.result, events.c.case_hash)
                .where(events.c.case_id == case_id)
                .order_by(events.c.version)
            ).all()
        return [StoredEvent(r.version, r.event, r.result, r.case_hash) for r in rows]

    def case_ids(self, pack_ids: frozenset[str] | None) -> list[tuple[str, str]]:
        """(case id, pack id) of every case of these packs (all packs if None), by id."""
        query = select(cases.c.case_id, cases.c.pack_id).order_by(cases.c.case_id)
        if pack_ids is not None:
            query = query.where(cases.c.pack_id.in_(sorted(pack_ids)))
        with self.read() as conn:
            return [(r.case_id, r.pack_id) for r in conn.execute(query)]

    def append(
        self,
        case: StoredCase,
        expected: int,
        event_json: str,
        result_json: str,
        case_hash: str,
        entry: dict[str, Any],
    ) -> int:
        """Store one event at version ``expected + 1`` with its answer and log entry, in one
        transaction; ``Conflict`` (and nothing stored) if the case is not at ``expected``.
        Returns the log sequence number once committed."""

        def work(conn: Connection) -> int:
            recorded = now_text()
            if expected == 0:
                conn.execute(
                    insert(cases).values(
                        case_id=case.case_id,
                        pack_id=case.pack_id,
                        facts=case.facts,
                        subjects=case.subjects,
                        version=1,
                        created_at=recorded,
                    )
                )
            else:
                moved = conn.execute(
                    update(cases)
                    .where(cases.c.case_id == case.case_id, cases.c.version == expected)
                    .values(version=expected + 1)
                )
                if moved.rowcount != 1:
                    raise Conflict(None)
            conn.execute(
                insert(events).values(
                    case_id=case.case_id,
                    version=expected + 1,
                    event=event_json,
                    result=result_json,
                    case_hash=case_hash,
                    recorded_at=recorded,
                )
            )
            return self._append_log(conn, {**entry, "recorded_at": recorded})

        try:
            return self._run(work)
        except (Conflict, IntegrityError):
            raise Conflict(self.version(case.case_id)) from None

    def log(self, entry: dict[str, Any]) -> int:
        """Append one decision-log entry on its own (a decision that changes no case)."""
        return self._run(lambda conn: self._append_log(conn, {**entry, "recorded_at": now_text()}))

    def _run(self, work: Callable[[Connection], _T]) -> _T:
        """A write in a transaction: on SQLite (one writer, a costly fsync per commit) through
        the group committer; on PostgreSQL in its own transaction, concurrent with others
        (the server already flushes concurrent commits together)."""
        if self.sqlite:
            return self._committer.run(work)
        with self._write() as conn:
            return work(conn)

    def _append_log(self, conn: Connection, entry: dict[str, Any]) -> int:
        head = conn.execute(
            select(log_head.c.seq, log_head.c.entry_hash)
            .where(log_head.c.id == 1)
            .with_for_update()
        ).one()
        seq = int(head.seq) + 1
        row = {**entry, "seq": seq, "prev_hash": head.entry_hash}
        row["entry_hash"] = entry_hash(row, self._log_key)
        conn.execute(insert(log).values(**row))
        conn.execute(
            update(log_head).where(log_head.c.id == 1).values(seq=seq, entry_hash=row["entry_hash"])
        )
        return seq

    def log_entries(self, batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Every log entry in sequence order."""
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=batch).execute(
                select(log).order_by(log.c.seq)
            )
            for row in result:
                yield dict(row._mapping)

    @property
    def keyed(self) -> bool:
        return self._log_key is not None

    def keyed_from(self) -> int:
        """The first entry written under a key: after the head's entry if that one is not
        keyed (an operator turning the key on notes this number; see ``verify``)."""
        seq, hash_ = self.head()
        return seq + 1 if not is_keyed(hash_) else self._first_keyed(seq)

    def _first_keyed(self, head: int) -> int:
        with self.read() as conn:
            last_plain = conn.execute(
                select(log.c.seq)
                .where(~log.c.entry_hash.startswith(KEYED))
                .order_by(log.c.seq.desc())
                .limit(1)
            ).scalar()
        return int(last_plain or 0) + 1

    def head(self) -> tuple[int, str]:
        with self.read() as conn:
            row = conn.execute(select(log_head.c.seq, log_head.c.entry_hash)).one()
        return int(row.seq), str(row.entry_hash)

    def all_events(self) -> Iterator[tuple[str, StoredEvent]]:
        """Every stored event, by case and version."""
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=1000).execute(
                select(events).order_by(events.c.case_id, events.c.version)
            )
            for r in result:
                yield r.case_id, StoredEvent(r.version, r.event, r.result, r.case_hash)
