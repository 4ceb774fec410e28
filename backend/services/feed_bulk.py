"""One thread that does all of a feed import's PostgreSQL work while Python validates.

Parsing rows in Python and sending them one by one costs more than validating them. So when
a file has only known columns and values PostgreSQL reads exactly as the validator does (ids,
text, integers, floats, dates, and times as intervals), the thread streams the file's raw
bytes with ``COPY ... FORMAT csv`` into a fresh partition while the validator reads the same
file on the caller's thread, and attaches the partition (building its indexes) later. The
other files' validated rows reach the thread through a bounded queue and are copied row by
row. The validator stays the judge: the feed is kept only when it has no ERROR, and for each
raw copy the number of rows PostgreSQL read must equal the number the validator accepted.
Anything PostgreSQL refuses in a raw copy raises ``BulkLoadError``, and the import is redone
row by row.

The thread is the connection's only user from ``start`` until ``finish`` or ``cancel``
returns; jobs run in the order they were queued.
"""

from __future__ import annotations

import csv
import io
import queue
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from backend.models.gtfs_tables import partition_name
from backend.services.feed_partitions import attach_partition, create_partition
from gtfs.schema import TABLES, FieldType
from gtfs.schema import Table as GtfsTable

CHUNK = 1 << 20
QUEUE_DEPTH = 8  # row batches waiting for the thread, beyond the raw copies queued first

# Amounts are stored as the validator writes them (a normalised decimal), not as raw text.
ROW_COPY_TYPES = frozenset({FieldType.CURRENCY_AMOUNT})


class BulkLoadError(Exception):
    """PostgreSQL could not take a file as it is; load the feed row by row instead."""


class CopyCancelledError(Exception):
    """Why a row copy still open is failed: the import was abandoned."""


@contextmanager
def open_member(feed: Path, file_name: str) -> Iterator[IO[bytes]]:
    """The raw bytes of ``file_name`` at the root of a zip or folder feed."""
    if feed.is_dir():
        with (feed / file_name).open("rb") as handle:
            yield handle
        return
    with zipfile.ZipFile(feed) as archive, archive.open(file_name) as member:
        yield member


def member_sizes(feed: Path) -> dict[str, int]:
    """The uncompressed size of every file at the root of a zip or folder feed, by name."""
    try:
        if feed.is_dir():
            return {item.name: item.stat().st_size for item in feed.iterdir() if item.is_file()}
        with zipfile.ZipFile(feed) as archive:
            return {info.filename: info.file_size for info in archive.infolist()}
    except (OSError, zipfile.BadZipFile):
        return {}


def plain_header(feed: Path, table: GtfsTable) -> list[str] | None:
    """The file's column names when PostgreSQL can read it as it is, else None."""
    if any(field.type in ROW_COPY_TYPES for field in table.fields):
        return None
    try:
        with open_member(feed, table.file_name) as raw:
            first = raw.readline(65536).decode("utf-8-sig")
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    names = [name.strip() for name in next(csv.reader(io.StringIO(first)), [])]
    known = set(table.field_names)
    if not names or len(set(names)) != len(names) or not set(names) <= known:
        return None
    return names


def raw_copy(cursor: Any, feed: Path, table: GtfsTable, version: int, columns: list[str]) -> int:
    """Copy ``table``'s file as it is into the version's new partition; the rows copied.

    Raises ``BulkLoadError`` when PostgreSQL refuses the file.
    """
    partition = partition_name(table.name, version)
    # The file has no feed_version_id column: the partition fills it in meanwhile.
    cursor.execute(f'ALTER TABLE "{partition}" ALTER COLUMN feed_version_id SET DEFAULT {version}')
    listed = ", ".join(f'"{column}"' for column in columns)
    # FORCE_NULL: a quoted empty value is as empty as an unquoted one, as for the validator.
    statement = (
        f'COPY "{partition}" ({listed}) FROM STDIN '
        f"WITH (FORMAT csv, HEADER true, FORCE_NULL ({listed}))"
    )
    try:
        with open_member(feed, table.file_name) as raw, cursor.copy(statement) as copy:
            for chunk in iter(lambda: raw.read(CHUNK), b""):
                copy.write(chunk)
    except Exception as error:
        raise BulkLoadError(f"{table.file_name}: {error}") from error
    rows: int = cursor.rowcount
    cursor.execute(f'ALTER TABLE "{partition}" ALTER COLUMN feed_version_id DROP DEFAULT')
    return rows


@dataclass(frozen=True)
class _CopyFile:
    feed: Path
    table: GtfsTable
    columns: list[str]


@dataclass(frozen=True)
class _Attach:
    table: GtfsTable


@dataclass(frozen=True)
class _CopyRows:
    table: GtfsTable
    columns: Sequence[str]
    rows: list[tuple[Any, ...]]


_Job = _CopyFile | _Attach | _CopyRows


class CopyThread:
    """Runs copy jobs for one feed version on ``cursor``, in order, on a thread of its own."""

    def __init__(self, cursor: Any, version: int) -> None:
        self._cursor = cursor
        self._version = version
        depth = QUEUE_DEPTH + len(TABLES) + 1
        self._jobs: queue.Queue[_Job | None] = queue.Queue(depth)
        self._error: BaseException | None = None
        self._cancelled = threading.Event()
        self._running = False
        self._copy: AbstractContextManager[Any] | None = None
        self._stream: Any = None
        self._open_table: str | None = None
        self.copied: dict[str, int] = {}  # rows PostgreSQL read per raw-copied file
        self._thread = threading.Thread(target=self._run, name="feed-copy", daemon=True)

    def start(self) -> None:
        """Start taking jobs."""
        self._running = True
        self._thread.start()

    def copy_file(self, feed: Path, table: GtfsTable, columns: list[str]) -> None:
        """Queue a raw copy of ``table``'s file in ``feed``, whose header is ``columns``."""
        self._put(_CopyFile(feed, table, columns))

    def attach(self, table: GtfsTable) -> None:
        """Queue attaching the partition a raw copy of ``table`` filled."""
        self._put(_Attach(table))

    def copy_rows(self, table: GtfsTable, columns: Sequence[str], rows: list[Any]) -> None:
        """Queue ``rows`` (complete column tuples) for ``table``'s partition."""
        self._put(_CopyRows(table, columns, rows))

    def finish(self) -> dict[str, int]:
        """Wait for every job; the rows read per raw-copied file. Raises the thread's error."""
        self._put(None)
        self._thread.join()
        self._running = False
        if self._error is not None:
            raise self._error
        return self.copied

    def cancel(self, cancel_query: Callable[[], None]) -> None:
        """Drop the queued jobs, stop the server work in progress and wait for the thread."""
        if not self._running:
            return
        self._cancelled.set()
        if self._thread.is_alive():
            cancel_query()
        while self._thread.is_alive():
            try:
                self._jobs.put(None, timeout=0.05)
            except queue.Full:
                continue
            break
        self._thread.join()
        self._running = False

    def check(self) -> None:
        """Raise the error a job met, if any, without waiting for the rest."""
        if self._error is not None:
            raise self._error

    def _put(self, job: _Job | None) -> None:
        self.check()
        self._jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            if self._error is not None or self._cancelled.is_set():
                continue  # drain: the caller learns of the error or has given up
            try:
                if isinstance(job, _CopyFile):
                    self._copy_file(job)
                elif isinstance(job, _Attach):
                    self._close_copy(None)
                    attach_partition(self._cursor, job.table.name, self._version)
                else:
                    self._copy_rows(job)
            except BaseException as error:
                self._error = error
        failure = self._error
        if failure is None and self._cancelled.is_set():
            failure = CopyCancelledError("the feed import was abandoned")
        try:
            self._close_copy(failure)
        except BaseException as error:
            self._error = self._error or error

    def _copy_file(self, job: _CopyFile) -> None:
        self._close_copy(None)
        create_partition(self._cursor, job.table.name, self._version)
        self.copied[job.table.name] = raw_copy(
            self._cursor, job.feed, job.table, self._version, job.columns
        )

    def _copy_rows(self, job: _CopyRows) -> None:
        if job.table.name != self._open_table:
            self._close_copy(None)
            partition = create_partition(self._cursor, job.table.name, self._version)
            listed = ", ".join(f'"{name}"' for name in job.columns)
            self._copy = self._cursor.copy(f'COPY "{partition}" ({listed}) FROM STDIN')
            self._stream = self._copy.__enter__()
            self._open_table = job.table.name
        write_row = self._stream.write_row
        for row in job.rows:
            write_row(row)

    def _close_copy(self, error: BaseException | None) -> None:
        """End the row copy in progress: attach its partition, or fail it after ``error``."""
        if self._copy is None or self._open_table is None:
            return
        copy, table = self._copy, self._open_table
        self._copy = self._stream = self._open_table = None
        if error is not None:
            copy.__exit__(type(error), error, error.__traceback__)
            return
        copy.__exit__(None, None, None)
        attach_partition(self._cursor, table, self._version)
