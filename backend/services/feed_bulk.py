"""Copy a feed file into PostgreSQL as it is, in a background thread, while it is validated.

For the largest file (stop_times.txt) parsing rows in Python and sending them one by one costs
more than the validation itself. When the file has only known columns, PostgreSQL can read it
directly (``COPY ... FORMAT csv``: ids as text, integers, and times as intervals), so a thread
streams the raw bytes and then attaches the filled partition — building its indexes — while
the validator reads the same file. The validator stays the judge: the feed is only kept when
it has no ERROR, and the number of rows PostgreSQL read must equal the number the validator
accepted. Anything PostgreSQL refuses (say a quoted empty time) fails the bulk load, and the
import is redone row by row.

The thread has the connection to itself until ``finish`` returns; the writer buffers other
files' rows meanwhile.
"""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from backend.services.feed_partitions import attach_partition, create_partition
from gtfs.schema import Table as GtfsTable

CHUNK = 1 << 20


class BulkLoadError(Exception):
    """PostgreSQL could not take the file as it is; load it row by row instead."""


@contextmanager
def open_member(feed: Path, file_name: str) -> Iterator[IO[bytes]]:
    """The raw bytes of ``file_name`` at the root of a zip or folder feed."""
    if feed.is_dir():
        with (feed / file_name).open("rb") as handle:
            yield handle
        return
    with zipfile.ZipFile(feed) as archive, archive.open(file_name) as member:
        yield member


def plain_header(feed: Path, table: GtfsTable) -> list[str] | None:
    """The file's column names when PostgreSQL can read it as it is, else None."""
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


class BulkFileLoad:
    """One file copied into a fresh partition and attached, on a thread of its own."""

    def __init__(self, cursor: Any, feed: Path, table: GtfsTable, version: int) -> None:
        self._cursor = cursor
        self._feed = feed
        self._table = table
        self._version = version
        self.rows = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="feed-bulk-load", daemon=True)

    def start(self, columns: list[str]) -> None:
        """Begin copying; ``columns`` are the file's header names."""
        self._columns = columns
        self._thread.start()

    def finish(self) -> int:
        """Wait for the copy and attach; the rows copied. Raises ``BulkLoadError``."""
        self._thread.join()
        if self._error is not None:
            raise BulkLoadError(str(self._error)) from self._error
        return self.rows

    def cancel(self, cancel_query: Callable[[], None]) -> None:
        """Stop the server work in progress and wait for the thread."""
        if self._thread.is_alive():
            cancel_query()
        self._thread.join()

    def _run(self) -> None:
        try:
            self._copy_and_attach()
        except BaseException as error:
            self._error = error

    def _copy_and_attach(self) -> None:
        name, version, cursor = self._table.name, self._version, self._cursor
        partition = create_partition(cursor, name, version)
        # The file has no feed_version_id column: the partition fills it in meanwhile.
        cursor.execute(
            f'ALTER TABLE "{partition}" ALTER COLUMN feed_version_id SET DEFAULT {version}'
        )
        listed = ", ".join(f'"{column}"' for column in self._columns)
        statement = f'COPY "{partition}" ({listed}) FROM STDIN WITH (FORMAT csv, HEADER true)'
        with open_member(self._feed, self._table.file_name) as raw, cursor.copy(statement) as copy:
            for chunk in iter(lambda: raw.read(CHUNK), b""):
                copy.write(chunk)
        self.rows = cursor.rowcount
        cursor.execute(f'ALTER TABLE "{partition}" ALTER COLUMN feed_version_id DROP DEFAULT')
        attach_partition(cursor, name, version)
