"""The largest file is staged on a second connection; nothing it stages outlives its import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from backend.db import Database
from backend.models import GTFS_TABLES
from backend.services import feed_writers, feeds
from backend.services.feed_staging import STAGING_LOCK
from backend.services.feed_writers import PostgresCopyWriter
from tests.harness.feeds import ROOT, SAMPLE_FEED, ZAKROCZYM_FEED, sample_feed_copy

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def staging_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stage the largest file of every feed, however small."""
    monkeypatch.setattr(PostgresCopyWriter, "STAGING_MIN_BYTES", 0)


@pytest.fixture
def libpq_url(postgres_url: str) -> str:
    return make_url(postgres_url).set(drivername="postgresql").render_as_string(False)


@pytest.fixture
def admin(libpq_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(libpq_url, autocommit=True) as connection:
        yield connection


def load(database: Database, path: Path) -> feeds.ImportResult:
    return feeds.import_feed(database, path, filename=path.name, now=NOW, today=date(2026, 1, 15))


def loose_tables(admin: psycopg.Connection) -> list[str]:
    """GTFS-named tables that belong to no partitioned table."""
    rows = admin.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
        "AND relname LIKE 'gtfs\\_%\\_v%' ORDER BY relname"
    ).fetchall()
    return [name for (name,) in rows]


def indexes_of(admin: psycopg.Connection, table: str) -> list[str]:
    rows = admin.execute(
        "SELECT regexp_replace(indexdef, '^.* USING ', '') FROM pg_indexes "
        "WHERE tablename = %s ORDER BY 1",
        (table,),
    ).fetchall()
    return [definition for (definition,) in rows]


@pytest.mark.parametrize(
    ("feed", "largest"), [(SAMPLE_FEED, "stop_times"), (ZAKROCZYM_FEED, "shapes")]
)
@pytest.mark.usefixtures("staging_everything")
def test_the_staged_file_becomes_the_versions_partition(
    postgres_database: Database, admin: psycopg.Connection, feed: Path, largest: str
) -> None:
    result = load(postgres_database, feed)
    assert result.version.status == "loaded"
    partition = f"gtfs_{largest}_v{result.version.id}"
    attached = admin.execute(
        "SELECT relispartition FROM pg_class WHERE relname = %s", (partition,)
    ).fetchone()
    assert attached == (True,)
    # The indexes built on the staged table are the partitioned table's, not duplicates.
    assert indexes_of(admin, partition) == indexes_of(admin, f"gtfs_{largest}")
    assert len(indexes_of(admin, partition)) >= 1
    table = GTFS_TABLES[largest]
    with postgres_database.sessions() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(table)
            .where(table.c.feed_version_id == result.version.id)
        )
    assert stored == result.version.row_counts[largest] > 0
    assert loose_tables(admin) == []


@pytest.mark.usefixtures("staging_everything")
def test_a_feed_with_errors_leaves_no_staged_table(
    postgres_database: Database, admin: psycopg.Connection, tmp_path: Path
) -> None:
    # The stop_times file stages fine; the bad route makes the feed a draft afterwards.
    feed = sample_feed_copy(tmp_path, routes="route_id,agency_id,route_type\nAB,DTA,bus\n")
    result = load(postgres_database, feed)
    assert result.version.status == "draft"
    assert loose_tables(admin) == []


@pytest.mark.usefixtures("staging_everything")
def test_an_orphan_is_dropped_and_a_table_in_use_is_kept(
    postgres_database: Database, admin: psycopg.Connection, libpq_url: str
) -> None:
    admin.execute("CREATE TABLE gtfs_stop_times_v900001 (LIKE gtfs_stop_times)")
    admin.execute("CREATE TABLE gtfs_stop_times_v900002 (LIKE gtfs_stop_times)")
    with psycopg.connect(libpq_url, autocommit=True) as other_import:
        other_import.execute("SELECT pg_advisory_lock(%s::int, %s::int)", (STAGING_LOCK, 900002))
        assert load(postgres_database, ZAKROCZYM_FEED).version.status == "loaded"
        assert loose_tables(admin) == ["gtfs_stop_times_v900002"]
    admin.execute("DROP TABLE gtfs_stop_times_v900002")


CHILD = textwrap.dedent(
    """
    import sys, threading
    from datetime import UTC, date, datetime
    from pathlib import Path
    from backend.db import Database
    from backend.services import feeds
    from backend.services.feed_writers import PostgresCopyWriter

    PostgresCopyWriter.STAGING_MIN_BYTES = 0
    def stall(table, rows):
        if table == "trips":  # shapes.txt, the largest file, is staged meanwhile
            print("stalled", flush=True)
            threading.Event().wait()
    feeds.import_feed(
        Database(sys.argv[1]), Path(sys.argv[2]), filename="feed.zip",
        now=datetime.now(UTC), today=date(2026, 1, 15), progress=stall,
    )
    """
)


@pytest.mark.usefixtures("staging_everything")
def test_a_killed_import_leaves_only_an_orphan_the_next_import_drops(
    postgres_database: Database, admin: psycopg.Connection, postgres_url: str
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, postgres_url, str(ZAKROCZYM_FEED)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "stalled"
        deadline = time.monotonic() + 30
        while not loose_tables(admin) and time.monotonic() < deadline:
            time.sleep(0.05)
        staged = loose_tables(admin)
        assert len(staged) == 1
        assert staged[0].startswith("gtfs_shapes_v")  # the largest file
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    # The server notices the dead client's connections; their locks go with them.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        busy = admin.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = %s",
            (STAGING_LOCK,),
        ).fetchone()
        if busy == (0,):
            break
        time.sleep(0.05)
    assert loose_tables(admin) == staged
    with postgres_database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(GTFS_TABLES["trips"])) == 0
    assert load(postgres_database, ZAKROCZYM_FEED).version.status == "loaded"
    assert loose_tables(admin) == []


@pytest.mark.usefixtures("staging_everything")
def test_without_a_second_connection_the_file_is_copied_on_the_imports_own(
    postgres_database: Database,
    admin: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refused(engine: object) -> object:
        # What psycopg raises when the server is at its connection limit.
        raise psycopg.OperationalError("FATAL:  sorry, too many clients already")

    monkeypatch.setattr(feed_writers, "_connection_aside", refused)
    result = load(postgres_database, ZAKROCZYM_FEED)
    assert result.version.status == "loaded"
    assert "no second connection" in caplog.text
    assert "bulk copy refused" not in caplog.text
    partition = f"gtfs_shapes_v{result.version.id}"
    assert indexes_of(admin, partition) == indexes_of(admin, "gtfs_shapes")
    table = GTFS_TABLES["shapes"]
    with postgres_database.sessions() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(table)
            .where(table.c.feed_version_id == result.version.id)
        )
    assert stored == result.version.row_counts["shapes"] > 0
    assert loose_tables(admin) == []
