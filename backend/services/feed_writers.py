"""Bulk writers that put validated GTFS rows into the ``gtfs_*`` tables of one feed version.

PostgreSQL gets one ``COPY ... FROM STDIN`` per file into a new, index-free partition of the
feed version, streamed as the validator produces batches so the server parses while Python
validates; the partition is attached (its indexes built in one sorted pass) once the file is
done. SQLite gets ``executemany`` INSERTs. Both write on the caller's connection, inside the
caller's transaction, so a rollback removes everything, partitions included.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection

from backend.models.gtfs_tables import GTFS_TABLES, keyed_by_row_index
from backend.services.feed_bulk import BulkFileLoad, BulkLoadError, plain_header
from backend.services.feed_partitions import attach_partition, create_partition
from gtfs.schema import Table as GtfsTable

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
    """Streams each file into its own partition with COPY, then attaches the partition.

    Given the feed's path, it copies stop_times.txt as it is on a background thread instead
    (``feed_bulk``), counting the validator's rows to check PostgreSQL read the same number.
    """

    MAINTENANCE_WORK_MEM = "256MB"
    BULK_TABLES = frozenset({"stop_times"})

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
        self._feed = feed
        self._table: str | None = None
        self._copy: AbstractContextManager[Any] | None = None
        self._stream: Any = None
        self._bulk: BulkFileLoad | None = None
        self._bulk_table: str | None = None
        self._held: list[tuple[GtfsTable, list[tuple[object, ...]]]] = []

    def __call__(self, table: GtfsTable, rows: list[tuple[object, ...]]) -> None:
        """Write ``rows`` of ``table`` into its open COPY (or count them for the bulk copy)."""
        if table.name in self.BULK_TABLES and table.name not in self.row_counts:
            self._start_bulk(table)
        if table.name == self._bulk_table:
            self.row_counts[table.name] += len(rows)
            if self._progress is not None:
                self._progress(table.name, len(rows))
            return
        if self._bulk is not None:
            self._held.append((table, rows))  # the connection is the bulk thread's for now
            return
        if table.name != self._table:
            self._open(table)
        write_row = self._stream.write_row
        for row in self._prefixed(table, rows):
            write_row(row)

    def _start_bulk(self, table: GtfsTable) -> None:
        columns = plain_header(self._feed, table) if self._feed is not None else None
        if columns is None or self._feed is None:
            return
        self._end_copy()
        self._bulk = BulkFileLoad(self._cursor, self._feed, table, self._feed_version_id)
        self._bulk_table = table.name
        self.row_counts[table.name] = 0
        self._bulk.start(columns)

    def _open(self, table: GtfsTable) -> None:
        self._end_copy()
        partition = create_partition(self._cursor, table.name, self._feed_version_id)
        columns = ", ".join(f'"{name}"' for name in self._columns(table))
        self._copy = self._cursor.copy(f'COPY "{partition}" ({columns}) FROM STDIN')
        self._stream = self._copy.__enter__()
        self._table = table.name

    def _end_copy(self) -> None:
        if self._copy is None or self._table is None:
            return
        self._copy.__exit__(None, None, None)
        attach_partition(self._cursor, self._table, self._feed_version_id)
        self._copy = self._stream = self._table = None

    def close(self) -> None:
        """Finish the bulk copy, write what waited for it, and attach the last partition."""
        if self._bulk is not None:
            copied = self._bulk.finish()
            self._bulk = None
            accepted = self.row_counts[self._bulk_table or ""]
            if copied != accepted:
                raise BulkLoadError(f"PostgreSQL read {copied} rows, the validator {accepted}")
            held, self._held = self._held, []
            for table, rows in held:
                self(table, rows)
        self._end_copy()

    def abort(self, error: BaseException) -> None:
        """Stop the bulk copy and fail the COPY in progress so the connection can roll back."""
        if self._bulk is not None:
            self._bulk.cancel(self._driver.cancel_safe)  # type: ignore[union-attr]
            self._bulk = None
        if self._copy is not None:
            self._copy.__exit__(type(error), error, error.__traceback__)
        self._copy = self._stream = self._table = None


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
