"""Bulk writers that put validated GTFS rows into the ``gtfs_*`` tables of one feed version.

PostgreSQL gets one ``COPY`` per file into a new, index-free partition of the feed version,
run by one thread (``feed_bulk``) so the server parses while Python validates; the partition
is attached (its indexes built in one sorted pass) once the file is done. SQLite gets
``executemany`` INSERTs. Both write on the caller's connection, inside the caller's
transaction, so a rollback removes everything, partitions included.
"""

from __future__ import annotations

import datetime
import decimal
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from backend.models.gtfs_tables import GTFS_TABLES, keyed_by_row_index
from backend.services.feed_bulk import BulkLoadError, CopyThread, member_sizes, plain_header
from backend.services.feed_staging import StagedCopy, StagingUnavailableError
from gtfs.schema import TABLES
from gtfs.schema import Table as GtfsTable

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int], None]


class RowWriter(Protocol):
    """Receives validated row batches (the validator's sink) and finishes the load."""

    row_counts: dict[str, int]

    def __call__(self, table: GtfsTable, rows: list[tuple[object, ...]]) -> None:
        """Write ``rows`` of ``table``."""

    def close(self) -> None:
        """Flush whatever is pending."""

    def abort(self, error: BaseException) -> None:
        """Abandon the load after ``error``; the caller rolls the transaction back."""

    def release(self) -> None:
        """Once the transaction has ended (committed or not), free what the load held."""


class _BaseWriter:
    """Counting, row indexes and progress shared by both backends."""

    def __init__(
        self, connection: Connection, feed_version_id: int, progress: ProgressCallback | None
    ) -> None:
        self._connection = connection
        self._feed_version_id = feed_version_id
        self._progress = progress
        self.row_counts: dict[str, int] = {}

    def _prefixed(
        self, table: GtfsTable, rows: Sequence[tuple[object, ...]]
    ) -> list[tuple[Any, ...]]:
        start = self.row_counts.get(table.name, 0)
        self.row_counts[table.name] = start + len(rows)
        if self._progress is not None:
            self._progress(table.name, len(rows))
        version = self._feed_version_id
        if keyed_by_row_index(table):
            return [(version, start + offset, *row) for offset, row in enumerate(rows)]
        return [(version, *row) for row in rows]

    @staticmethod
    def _columns(table: GtfsTable) -> list[str]:
        return [column.name for column in GTFS_TABLES[table.name].columns]


class PostgresCopyWriter(_BaseWriter):
    """Hands every file to a ``CopyThread``, which fills and attaches one partition per file.

    Given the feed's path, the files PostgreSQL can read as they are (``plain_header``) are
    queued as raw copies at once, so the server copies them while the validator reads them;
    their rows are only counted here. The largest of them, when large, is staged on a
    connection of its own instead (``feed_staging``) and attached last. Other files' rows are
    queued as the validator accepts them.
    """

    MAINTENANCE_WORK_MEM = "256MB"
    STAGING_MIN_BYTES = 4 << 20

    def __init__(
        self,
        connection: Connection,
        feed_version_id: int,
        progress: ProgressCallback | None,
        feed: Path | None = None,
    ) -> None:
        super().__init__(connection, feed_version_id, progress)
        self._driver = connection.connection.driver_connection
        self._cursor = self._driver.cursor()  # type: ignore[union-attr]
        self._cursor.execute(f"SET LOCAL maintenance_work_mem = '{self.MAINTENANCE_WORK_MEM}'")
        # A pooled connection may carry the short lock timeout of booking transactions; an
        # import waits for its locks as long as it takes.
        self._cursor.execute("SET LOCAL lock_timeout = 0")
        self._thread = CopyThread(self._cursor, feed_version_id)
        self._raw: set[str] = set()
        self._staged: StagedCopy | None = None
        self._thread.start()
        if feed is not None:
            self._start_raw_copies(connection.engine, feed)

    def _start_raw_copies(self, engine: Engine, feed: Path) -> None:
        # The largest file first, and every copy before any index is built, so the server
        # is never idle waiting for the validator.
        files = member_sizes(feed)
        present = [table for table in TABLES if table.file_name in files]
        sizes = {table.name: files[table.file_name] for table in present}
        raw: list[GtfsTable] = []
        for table in sorted(present, key=lambda t: -sizes[t.name]):
            columns = None if keyed_by_row_index(table) else plain_header(feed, table)
            if columns is None:
                continue
            self._raw.add(table.name)
            if not raw and self._staged is None and sizes[table.name] >= self.STAGING_MIN_BYTES:
                self._staged = StagedCopy(
                    lambda: _connection_aside(engine), feed, table, self._feed_version_id
                )
                self._staged.start(columns)
                continue
            raw.append(table)
            self._thread.copy_file(feed, table, columns)
        for table in raw:
            self._thread.attach(table)

    def __call__(self, table: GtfsTable, rows: list[tuple[object, ...]]) -> None:
        """Queue ``rows`` of ``table`` for copying (or count them, for a raw copy)."""
        if table.name in self._raw:
            self._thread.check()
            self.row_counts[table.name] = self.row_counts.get(table.name, 0) + len(rows)
            if self._progress is not None:
                self._progress(table.name, len(rows))
            return
        self._thread.copy_rows(table, self._columns(table), self._prefixed(table, rows))

    def close(self) -> None:
        """Wait for every copy; check each raw copy read the rows the validator accepted."""
        copied = dict(self._thread.finish())
        staged, attach_staged = self._staged, self._staged is not None
        if staged is not None:
            try:
                copied[staged.table.name] = staged.finish()
            except StagingUnavailableError as error:
                log.warning("%s; copying %s on the import's connection", error, staged.name)
                copied[staged.table.name] = staged.copy_here(self._cursor)
                attach_staged = False
        for name, count in copied.items():
            accepted = self.row_counts.get(name, 0)
            if count != accepted:
                raise BulkLoadError(
                    f"PostgreSQL read {count} rows of {name}, the validator accepted {accepted}"
                )
        if staged is not None and attach_staged:
            staged.attach(self._cursor)

    def abort(self, error: BaseException) -> None:
        """Stop the copies and fail the one in progress so the connection can roll back."""
        del error
        self._thread.cancel(self._driver.cancel_safe)  # type: ignore[union-attr]
        if self._staged is not None:
            self._staged.cancel()

    def release(self) -> None:
        """Drop the staged table if the import did not keep it."""
        if self._staged is not None:
            self._staged.release()


def _connection_aside(engine: Engine) -> Any:
    """A new psycopg connection with ``engine``'s settings, taken out of its pool for good."""
    pooled = engine.raw_connection()
    connection = pooled.dbapi_connection
    pooled.detach()  # closing the connection closes it, rather than pooling it
    return connection


class SqliteInsertWriter(_BaseWriter):
    """Inserts each batch with executemany, converting dates and decimals to text."""

    def __init__(
        self, connection: Connection, feed_version_id: int, progress: ProgressCallback | None
    ) -> None:
        super().__init__(connection, feed_version_id, progress)
        self._cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        self._statements: dict[str, str] = {}

    def __call__(self, table: GtfsTable, rows: list[tuple[object, ...]]) -> None:
        """Insert ``rows`` of ``table``."""
        statement = self._statements.get(table.name)
        if statement is None:
            columns = self._columns(table)
            marks = ", ".join("?" for _ in columns)
            names = ", ".join(f'"{name}"' for name in columns)
            # Names come from gtfs.schema, never from input.
            statement = f'INSERT INTO "gtfs_{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
            self._statements[table.name] = statement
        self._cursor.executemany(
            statement, [_sqlite_values(row) for row in self._prefixed(table, rows)]
        )

    def close(self) -> None:
        """Nothing is buffered."""

    def release(self) -> None:
        """Nothing is staged."""

    def abort(self, error: BaseException) -> None:
        """Nothing to undo here; the caller rolls the transaction back."""


def _sqlite_values(row: tuple[Any, ...]) -> tuple[Any, ...]:
    if not any(isinstance(value, datetime.date | decimal.Decimal) for value in row):
        return row
    return tuple(
        value.isoformat()
        if isinstance(value, datetime.date)
        else str(value)
        if isinstance(value, decimal.Decimal)
        else value
        for value in row
    )


def writer_for(
    connection: Connection,
    feed_version_id: int,
    progress: ProgressCallback | None = None,
    feed: Path | None = None,
) -> RowWriter:
    """The fastest writer for ``connection``'s database (``feed`` enables bulk copies)."""
    if connection.dialect.name == "postgresql":
        return PostgresCopyWriter(connection, feed_version_id, progress, feed)
    return SqliteInsertWriter(connection, feed_version_id, progress)
