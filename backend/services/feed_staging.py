"""Copy and index a feed's largest file on a connection of its own, beside the import.

PostgreSQL runs one statement at a time per connection, and an import is one transaction on
one connection, so copying and indexing a large stop_times.txt would queue behind everything
else. Instead, the largest file is *staged*: a second connection, in a transaction of its
own, creates the version's partition as a plain table, copies the file into it, builds the
indexes the partitioned table expects, gathers statistics and commits. The import's
transaction then attaches the table, which reuses those indexes and, thanks to the table's
CHECK constraint, reads none of its rows.

Until it is attached, the staged table belongs to no partitioned table, so no query reads
it. The staging connection holds an advisory lock on the version until the import is over:
``release`` then drops the table unless the import's commit attached it. A table left behind
by a process that died is unattached and unlocked; the next staging drops it
(``sweep_orphans``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backend.models.gtfs_tables import EXTRA_INDEXES, GTFS_TABLES, partition_name
from backend.services.feed_bulk import raw_copy
from backend.services.feed_partitions import (
    analyze_partition,
    attach_partition,
    create_partition,
)
from gtfs.schema import Table as GtfsTable

log = logging.getLogger(__name__)

# pg_advisory_lock(STAGING_LOCK, version) marks a version whose staged table is in use.
STAGING_LOCK = 0x46470001
_VERSIONED_TABLE = re.compile(r"^gtfs_[a-z_]+_v([0-9]+)$")


def sweep_orphans(cursor: Any) -> list[str]:
    """Drop staged tables no import holds any more; the names dropped."""
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
        "AND relnamespace = current_schema()::regnamespace AND relname LIKE 'gtfs\\_%\\_v%'"
    )
    dropped = []
    for (name,) in cursor.fetchall():
        match = _VERSIONED_TABLE.match(name)
        if match is None:
            continue
        version = int(match.group(1))
        cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", (STAGING_LOCK, version))
        if not cursor.fetchone()[0]:
            continue  # an import in progress owns it
        try:
            cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
            cursor.connection.commit()
            dropped.append(name)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", (STAGING_LOCK, version))
            cursor.connection.commit()
    if dropped:
        log.warning("dropped %d staged table(s) left by an earlier import", len(dropped))
    return dropped


class StagingUnavailableError(Exception):
    """The second connection could not be opened (say the server's connection limit is
    reached); nothing was staged, and the file can be copied on the import's connection."""


class StagedCopy:
    """One file copied, indexed and committed as an unattached table, on a thread of its own."""

    def __init__(
        self, connect: Callable[[], Any], feed: Path, table: GtfsTable, version: int
    ) -> None:
        """``connect`` opens the staging connection (a psycopg connection)."""
        self._connect = connect
        self._feed = feed
        self.table = table
        self._version = version
        self._connection: Any = None
        self._error: BaseException | None = None
        self.rows = 0
        self._thread = threading.Thread(target=self._run, name="feed-staging", daemon=True)

    @property
    def name(self) -> str:
        """The staged table, which becomes the version's partition."""
        return partition_name(self.table.name, self._version)

    def start(self, columns: list[str]) -> None:
        """Begin staging the file, whose header is ``columns``."""
        self._columns = columns
        self._thread.start()

    def finish(self) -> int:
        """Wait for the table to be committed; the rows copied. Raises the staging's error."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.rows

    def copy_here(self, cursor: Any) -> int:
        """Copy the file on the import's own ``cursor`` instead, and attach it; the rows."""
        create_partition(cursor, self.table.name, self._version)
        rows = raw_copy(cursor, self._feed, self.table, self._version, self._columns)
        attach_partition(cursor, self.table.name, self._version)
        return rows

    def attach(self, cursor: Any) -> None:
        """Attach the staged table on the import's ``cursor`` (its indexes are reused)."""
        cursor.execute(
            f'ALTER TABLE "gtfs_{self.table.name}" ATTACH PARTITION "{self.name}" '
            f"FOR VALUES IN ({self._version})"
        )

    def cancel(self) -> None:
        """Stop the staging work in progress and wait for the thread."""
        connection = self._connection
        if self._thread.is_alive() and connection is not None:
            connection.cancel_safe()
        if self._thread.ident is not None:
            self._thread.join()

    def release(self) -> None:
        """After the import's transaction: drop the table unless it was attached; disconnect."""
        self.cancel()
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.rollback()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT relispartition FROM pg_class "
                    "WHERE relname = %s AND relnamespace = current_schema()::regnamespace",
                    (self.name,),
                )
                found = cursor.fetchone()
                if found is not None and not found[0]:
                    cursor.execute(f'DROP TABLE "{self.name}"')
                    connection.commit()
        finally:
            connection.close()  # which also releases the advisory lock

    def _run(self) -> None:
        try:
            self._connection = self._connect()
        except Exception as error:
            self._error = StagingUnavailableError(f"no second connection: {error}")
            return
        try:
            self._stage(self._connection)
        except BaseException as error:
            self._error = error

    def _stage(self, connection: Any) -> None:
        with connection.cursor() as cursor:
            lock = (STAGING_LOCK, self._version)
            cursor.execute("SELECT pg_advisory_lock(%s::int, %s::int)", lock)
            connection.commit()
            sweep_orphans(cursor)
            cursor.execute("SET maintenance_work_mem = '256MB'")
            partition = create_partition(cursor, self.table.name, self._version)
            self.rows = raw_copy(cursor, self._feed, self.table, self._version, self._columns)
            self._build_indexes(cursor, partition)
            analyze_partition(cursor, self.table.name, partition)
            connection.commit()

    def _build_indexes(self, cursor: Any, partition: str) -> None:
        """The indexes the partitioned table has, so that attaching reuses them."""
        key = [column.name for column in GTFS_TABLES[self.table.name].primary_key.columns]
        if key:
            listed = ", ".join(f'"{name}"' for name in key)
            cursor.execute(f'ALTER TABLE "{partition}" ADD PRIMARY KEY ({listed})')
        for fields in EXTRA_INDEXES.get(self.table.name, ()):
            listed = ", ".join(f'"{name}"' for name in fields)
            cursor.execute(f'CREATE INDEX ON "{partition}" ({listed})')
