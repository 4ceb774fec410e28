"""The agent's durable store (stdlib sqlite3): journal, passback history, bundles, metadata.

Schema version 3 (``PRAGMA user_version``)::

    journal  (see validator_agent.journal for the columns; status 0 ready, 1 in flight)
    history  (key TEXT PRIMARY KEY, last_entry_ms INTEGER)        WITHOUT ROWID
    bundle   (slot TEXT PRIMARY KEY CHECK IN ('current', 'previous'), version INTEGER,
              etag TEXT, blob BLOB, base_deny BLOB NULL, installed_at_ms INTEGER)
    meta     (key TEXT PRIMARY KEY, value TEXT)                    WITHOUT ROWID
    driver_trip  a bus driver's trip commands: see validator_agent.driver_trip_table

Upgrades: a store of an older schema is upgraded in place when opened, in one transaction,
keeping every row (version 1 → 2 adds the nullable ``journal.trip_instance``; rows journaled
before it have none; version 2 → 3 adds ``driver_trip``). A store of a newer schema than this
agent knows is refused (``store_too_new``) rather than written with rows it would misread.

Durability: WAL journal mode with ``synchronous=FULL``, so a commit has reached the disk
when ``append_tap`` returns and survives a kill -9 or power loss. Only verified bundles are
stored: ``current`` is the one in force, ``previous`` the one it replaced; ``base_deny`` is
the CBOR deny list a delta bundle was applied to, so that the bundle reopens after a restart.

Concurrency: one connection, every call serialized by a lock, so readers' threads, the
runtime and a sync thread may share one ``Store``. Errors of sqlite on write become
``JournalError`` with a code (``journal_full``, ``journal_io``, ``journal_corrupt``,
``journal_conflict``, ``journal_fault``); a failed write is rolled back, so committed rows
are never touched.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fares.tap import MediaKind
from validator_agent.driver_trip_table import DRIVER_TRIP_SCHEMA, DriverTripTable
from validator_agent.errors import JournalError
from validator_agent.journal import JournalRow, TapRecord, from_millis, to_millis

SCHEMA_VERSION = 3
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    nonce BLOB NOT NULL UNIQUE CHECK (length(nonce) = 16),
    tap_at_ms INTEGER NOT NULL,
    media_kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    ticket_id TEXT,
    product_id TEXT,
    allowed INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    reason TEXT,
    bundle_version INTEGER,
    status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1)),
    trip_instance TEXT
);
CREATE TABLE IF NOT EXISTS history (
    key TEXT PRIMARY KEY, last_entry_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bundle (
    slot TEXT PRIMARY KEY CHECK (slot IN ('current', 'previous')),
    version INTEGER NOT NULL, etag TEXT NOT NULL, blob BLOB NOT NULL,
    base_deny BLOB, installed_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""
    + DRIVER_TRIP_SCHEMA
)
# Columns added after version 1, as (table, column, type): _SCHEMA has them for new stores,
# older stores gain them when opened (version 2: the bus's trip instance).
_ADDED_COLUMNS = (("journal", "trip_instance", "TEXT"),)
_SELECT_READY = (
    "SELECT seq, nonce, tap_at_ms, media_kind, fingerprint, ticket_id, product_id, allowed, "
    "reason, bundle_version, trip_instance FROM journal WHERE status = 0 ORDER BY seq LIMIT ?"
)
_INSERT = (
    "INSERT INTO journal (nonce, tap_at_ms, media_kind, fingerprint, ticket_id, product_id, "
    "allowed, reason, bundle_version, trip_instance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_STATUS = {0: "ready", 1: "in_flight"}
_ERROR_CODES = {13: "journal_full", 10: "journal_io", 11: "journal_corrupt", 26: "journal_corrupt"}
_ERROR_CODES |= {19: "journal_conflict"}


@dataclass(frozen=True, slots=True)
class StoredBundle:
    """A verified bundle blob as kept on disk."""

    version: int
    etag: str
    blob: bytes
    base_deny: bytes | None
    installed_at: datetime


@dataclass(frozen=True, slots=True)
class JournalCounts:
    """The journal's backlog: rows waiting, rows sent but not acked, the last sequence."""

    ready: int
    in_flight: int
    last_seq: int


class Store(DriverTripTable):
    """The agent's sqlite3 store; see the module docstring for schema and durability."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating if needed) the store at ``path``; raises ``JournalError``."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        except (sqlite3.Error, OSError) as error:
            raise _journal_error(error) from error
        try:
            _prepare(connection, path)
        except BaseException:
            connection.close()
            raise
        return cls(connection)

    def close(self) -> None:
        """Close the connection (committed data is already on disk)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction, committed on exit or rolled back on any error."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise _journal_error(error) from error
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # sqlite rolls the transaction back itself when ROLLBACK cannot run

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as error:
                raise _journal_error(error) from error

    def append_tap(self, tap: TapRecord, history_key: str | None = None) -> JournalRow:
        """Commit one tap (and its passback entry) durably; raises ``JournalError``."""
        nonce = secrets.token_bytes(16)
        at_ms = to_millis(tap.at)
        with self._write() as db:
            cursor = db.execute(_INSERT, (
                nonce, at_ms, tap.media_kind.value, tap.fingerprint, tap.ticket_id,
                tap.product_id, int(tap.allowed), tap.reason, tap.bundle_version,
                tap.trip_instance,
            ))  # fmt: skip
            if history_key is not None:
                db.execute("INSERT OR REPLACE INTO history VALUES (?, ?)", (history_key, at_ms))
        assert cursor.lastrowid is not None  # noqa: S101 - sqlite always sets it on INSERT
        return JournalRow(cursor.lastrowid, nonce, tap)

    def take_batch(self, limit: int) -> list[JournalRow]:
        """The oldest ``limit`` ready rows, now marked in flight.

        On a full disk the rows are returned still marked ready: sending them anyway is
        safe (the server keeps each nonce once) and their ack is what frees the space.
        """
        try:
            with self._write() as db:
                rows: list[Any] = db.execute(_SELECT_READY, (limit,)).fetchall()
                if rows:
                    db.execute(
                        "UPDATE journal SET status = 1 WHERE status = 0 AND seq <= ?",
                        (rows[-1][0],),
                    )
        except JournalError as error:
            if error.code != "journal_full":
                raise
            rows = self._read(_SELECT_READY, (limit,))
        return [_row(values) for values in rows]

    def resume_in_flight(self) -> int:
        """Mark rows sent but never acked (e.g. before a crash) ready again; their count."""
        with self._write() as db:
            return db.execute("UPDATE journal SET status = 0 WHERE status = 1").rowcount

    def mark_acked(self, watermark: int, at: datetime) -> int:
        """Delete every row the server's ack watermark covers; the number deleted."""
        with self._write() as db:
            deleted = db.execute("DELETE FROM journal WHERE seq <= ?", (watermark,)).rowcount
            _set_meta(db, "ack_watermark", str(watermark))
            _set_meta(db, "last_sync", at.isoformat())
        return deleted

    def journal_counts(self) -> JournalCounts:
        """Rows ready, rows in flight and the last sequence number ever given."""
        rows = self._read("SELECT status, count(*) FROM journal GROUP BY status")
        counts = {_STATUS[status]: int(n) for status, n in rows}
        last = self._read("SELECT seq FROM sqlite_sequence WHERE name = 'journal'")
        last_seq = int(last[0][0]) if last else 0
        return JournalCounts(counts.get("ready", 0), counts.get("in_flight", 0), last_seq)

    def last_entry(self, key: str) -> datetime | None:
        """When ``key`` last entered here (``fares.tap.LocalHistory``)."""
        rows = self._read("SELECT last_entry_ms FROM history WHERE key = ?", (key,))
        return from_millis(int(rows[0][0])) if rows else None

    def prune_history(self, before: datetime) -> int:
        """Forget entries older than ``before``; the number forgotten."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM history WHERE last_entry_ms < ?", (to_millis(before),)
            ).rowcount

    def save_bundle(self, bundle: StoredBundle) -> None:
        """Make ``bundle`` current; the current one becomes previous."""
        with self._write() as db:
            db.execute("DELETE FROM bundle WHERE slot = 'previous'")
            db.execute("UPDATE bundle SET slot = 'previous' WHERE slot = 'current'")
            db.execute(
                "INSERT INTO bundle VALUES ('current', ?, ?, ?, ?, ?)",
                (bundle.version, bundle.etag, bundle.blob, bundle.base_deny,
                 to_millis(bundle.installed_at)),
            )  # fmt: skip

    def load_bundles(self) -> list[StoredBundle]:
        """The stored bundles, current first."""
        rows = self._read(
            "SELECT version, etag, blob, base_deny, installed_at_ms FROM bundle ORDER BY slot"
        )
        return [
            StoredBundle(int(v), str(e), bytes(b), None if d is None else bytes(d), from_millis(t))
            for v, e, b, d, t in rows
        ]

    def set_meta(self, key: str, value: str) -> None:
        """Store one metadata value (last sync, last refusal, failure state)."""
        with self._write() as db:
            _set_meta(db, key, value)

    def meta(self) -> dict[str, str]:
        """All metadata values."""
        return {str(k): str(v) for k, v in self._read("SELECT key, value FROM meta")}

    def checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it."""
        self._read("PRAGMA wal_checkpoint(TRUNCATE)")

    def set_max_pages(self, pages: int) -> None:
        """Cap the database size in pages (to rehearse a full disk)."""
        self._read(f"PRAGMA max_page_count = {int(pages)}")

    def page_count(self) -> int:
        """The database's current size in pages."""
        return int(self._read("PRAGMA page_count")[0][0])


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    """Set durability pragmas, then create the schema or upgrade an older one."""
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError("store_too_new", f"{path} has schema version {version}")
        if version < SCHEMA_VERSION:
            _upgrade(connection)
    except sqlite3.Error as error:
        if connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # sqlite may have rolled back itself
                connection.execute("ROLLBACK")
        raise _journal_error(error) from error


def _upgrade(connection: sqlite3.Connection) -> None:
    """Bring a new or older store to ``SCHEMA_VERSION`` in one transaction.

    Tables are created where missing and later columns added where missing, so the same steps
    serve a new file, a version 1 store, and one whose creation was cut short; the version is
    set inside the transaction, so a crash leaves the old schema or the new one, never a mix.
    """
    connection.execute("BEGIN IMMEDIATE")
    for statement in filter(str.strip, _SCHEMA.split(";")):
        connection.execute(statement)
    for table, column, kind in _ADDED_COLUMNS:
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("COMMIT")


def _set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _row(values: Any) -> JournalRow:
    seq, nonce, at_ms, kind, fingerprint, ticket, product, allowed, reason, version, trip = values
    tap = TapRecord(
        from_millis(at_ms), MediaKind(kind), fingerprint, ticket, product, bool(allowed),
        reason, version, trip,
    )  # fmt: skip
    return JournalRow(seq, bytes(nonce), tap)


def _journal_error(error: BaseException) -> JournalError:
    """Translate a sqlite or OS error into a ``JournalError`` with a stable code."""
    code = getattr(error, "sqlite_errorcode", None)
    name = _ERROR_CODES.get(code & 0xFF, "journal_fault") if isinstance(code, int) else None
    if name is None:
        name = "journal_io" if isinstance(error, OSError) else "journal_fault"
    return JournalError(name, f"{type(error).__name__}: {error}")
