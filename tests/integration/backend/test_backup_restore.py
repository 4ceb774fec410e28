"""``faregate backup`` and ``faregate restore`` on real PostgreSQL (pg_dump, pg_restore, psql)
and real SQLite files: a restored copy equals its original, and refusals change nothing.

Each backend's original database is filled once for the module and never changed; tests
restore its backup into databases of their own and change those.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import insert
from sqlalchemy.engine import URL, make_url

from backend import schema
from backend.app import create_app
from backend.cli import cli
from backend.db import make_engine
from backend.libpq import conninfo
from backend.models import Tap
from backend.services.backups import default_name
from tests.harness import postgres
from tests.harness.filled_database import (
    SEATED_TRIP,
    execute,
    fill,
    query,
    schema_objects,
    table_rows,
)
from tests.harness.reservations import reservable_settings

HEAD = ", ".join(schema.head_revisions())
JOURNEY = {"trip_instance": SEATED_TRIP, "from": "BEATTY_AIRPORT", "to": "BULLFROG"}
NewDatabase = Callable[[], str]


def run(database_url: str, *args: str) -> Result:
    """The ``faregate`` command on ``database_url``."""
    env = {"FAREGATE_DATABASE_URL": database_url, "FAREGATE_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(cli, list(args), env=env)


def back_up(url: str, output: Path) -> Result:
    """``faregate backup --output OUTPUT``, which must succeed."""
    result = run(url, "backup", "--output", str(output))
    assert result.exit_code == 0, result.output
    return result


@dataclass(frozen=True)
class Original:
    """A filled database (not to be changed), and a backup of it."""

    url: str
    backup: Path
    engine: str


def _original(url: str, folder: Path, signing_keys_file: str, engine: str) -> Original:
    fill(url, folder / "app", signing_keys_file)
    back_up(url, folder / "original.backup")
    return Original(url, folder / "original.backup", engine)


@pytest.fixture(scope="module")
def sqlite_original(tmp_path_factory: pytest.TempPathFactory, signing_keys_file: str) -> Original:
    """The SQLite original."""
    folder = tmp_path_factory.mktemp("sqlite-original")
    return _original(f"sqlite:///{folder / 'faregate.db'}", folder, signing_keys_file, "sqlite")


@pytest.fixture(scope="module")
def postgres_original(
    postgres_server: URL, tmp_path_factory: pytest.TempPathFactory, signing_keys_file: str
) -> Iterator[Original]:
    """The PostgreSQL original, in a database of its own."""
    url = postgres.create_database(postgres_server, prefix="faregate_backup")
    folder = tmp_path_factory.mktemp("postgres-original")
    try:
        yield _original(
            url.render_as_string(hide_password=False), folder, signing_keys_file, "postgresql"
        )
    finally:
        postgres.drop_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_name(request: pytest.FixtureRequest) -> str:
    """Each backend in turn."""
    return str(request.param)


@pytest.fixture
def original(request: pytest.FixtureRequest, backend_name: str) -> Original:
    """The original of the backend under test."""
    found: Original = request.getfixturevalue(f"{backend_name}_original")
    return found


@pytest.fixture
def new_database(
    request: pytest.FixtureRequest, backend_name: str, tmp_path: Path
) -> Iterator[NewDatabase]:
    """Makes empty databases of the backend: SQLite files, or PostgreSQL databases dropped
    after the test."""
    made: list[URL] = []

    def make() -> str:
        if backend_name == "sqlite":
            return f"sqlite:///{tmp_path / f'faregate-{secrets.token_hex(4)}.db'}"
        server: URL = request.getfixturevalue("postgres_server")
        made.append(postgres.create_database(server, prefix="faregate_backup"))
        return made[-1].render_as_string(hide_password=False)

    yield make
    for url in made:
        postgres.drop_database(url)


@pytest.fixture
def copy(original: Original, new_database: NewDatabase) -> str:
    """A new database restored from the original's backup."""
    url = new_database()
    restored = run(url, "restore", str(original.backup))
    assert restored.exit_code == 0, restored.output
    return url


def test_backup_says_what_it_wrote_in_a_file_only_its_owner_reads(
    original: Original, tmp_path: Path
) -> None:
    backup = tmp_path / "nightly.backup"
    written = back_up(original.url, backup)
    assert f"backup written: {backup}" in written.output
    assert f"size: {backup.stat().st_size} bytes" in written.output
    assert f"engine: {original.engine}" in written.output
    assert f"schema revision: {HEAD}" in written.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds personal data
    assert [path.name for path in tmp_path.iterdir()] == ["nightly.backup"]  # no leftovers


def test_a_restored_backup_equals_the_original_row_for_row(
    original: Original, new_database: NewDatabase
) -> None:
    target = new_database()
    restored = run(target, "restore", str(original.backup))
    assert restored.exit_code == 0, restored.output
    assert f"schema revision: {HEAD}" in restored.output
    assert "db upgrade" not in restored.output

    rows = table_rows(original.url)
    assert rows == table_rows(target)
    assert len(rows["booking"]) == 3
    assert len(rows["place_claim"]) == 1
    assert len(rows["tap"]) == 6
    assert len(rows["deny_entry"]) == 1
    assert sum(1 for name in rows if name.startswith("gtfs_")) >= 10
    assert rows["alembic_version"] == [(revision,) for revision in schema.head_revisions()]
    assert schema_objects(target) == schema_objects(original.url)
    assert run(target, "check").exit_code == 0


def test_the_restored_database_sells_on_where_the_original_stopped(
    copy: str, tmp_path: Path, signing_keys_file: str
) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    app = create_app(reservable_settings(copy, folder, signing_keys_file))
    client = app.test_client()
    seat = query(copy, "SELECT seat FROM booking_passenger WHERE seat IS NOT NULL")[0][0]
    again = client.post("/api/v1/holds", json={**JOURNEY, "seats": [seat]})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "seat_taken"
    fresh = client.post("/api/v1/holds", json=JOURNEY)
    assert fresh.status_code == 201, fresh.json  # ids continue past the restored rows
    app.extensions["faregate.database"].dispose()


def test_backup_without_output_is_named_by_its_utc_time(original: Original, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    before = datetime.now(UTC).replace(microsecond=0)
    result = run(original.url, "backup", "--directory", str(folder))
    assert result.exit_code == 0, result.output
    (written,) = folder.iterdir()
    stamp = datetime.strptime(written.name, f"faregate-%Y%m%dT%H%M%SZ.{written.suffix[1:]}")
    assert before <= stamp.replace(tzinfo=UTC) <= datetime.now(UTC)
    assert written.name == default_name(original.engine, stamp)
    assert f"backup written: {written}" in result.output


def test_backup_never_overwrites_a_file(original: Original, tmp_path: Path) -> None:
    existing = tmp_path / "taken.backup"
    existing.write_bytes(b"keep me")
    result = run(original.url, "backup", "--output", str(existing))
    assert result.exit_code == 1
    assert "error [backup_file_exists]" in result.stderr
    assert existing.read_bytes() == b"keep me"
    assert [path.name for path in tmp_path.iterdir()] == ["taken.backup"]


def test_restore_refuses_a_database_holding_faregate_tables_unless_forced(
    original: Original, copy: str
) -> None:
    execute(
        copy,
        "DELETE FROM tap WHERE sequence > 3",
        "INSERT INTO device (id, role, description, created_at, acked_sequence) "
        "VALUES ('stray', 'bus', '', '2008-06-01 00:00:00', 0)",
        "CREATE TABLE gtfs_stops_v999 (stop_id text)",  # as an interrupted import leaves
    )
    before = table_rows(copy)

    refused = run(copy, "restore", str(original.backup))
    assert refused.exit_code == 1
    assert "error [restore_target_not_empty]" in refused.stderr
    assert "--force" in refused.stderr
    assert table_rows(copy) == before

    forced = run(copy, "restore", "--force", str(original.backup))
    assert forced.exit_code == 0, forced.output
    assert "replacing" in forced.output
    assert table_rows(copy) == table_rows(original.url)  # no stray row, table or lost tap


def test_a_backup_older_than_the_code_asks_for_db_upgrade(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    older = new_database()
    engine = make_engine(older)
    schema.upgrade(engine, "0004")
    engine.dispose()
    backup = tmp_path / "old.backup"
    back_up(older, backup)
    target = new_database()
    restored = run(target, "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "schema revision: 0004" in restored.output
    assert "run `faregate db upgrade`" in restored.output
    upgraded = run(target, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"to {HEAD}" in upgraded.output


def _damaged(original: Original, folder: Path) -> Path:
    data = bytearray(original.backup.read_bytes())
    if original.engine == "sqlite":  # the page holding the bookings, overwritten
        with sqlite3.connect(original.backup) as database:
            size = database.execute("PRAGMA page_size").fetchone()[0]
            (root,) = database.execute(
                "SELECT rootpage FROM sqlite_master WHERE name = 'booking'"
            ).fetchone()
        data[(root - 1) * size : root * size] = os.urandom(size)
    else:  # the last table's data cut short: only reading the whole archive finds out
        del data[-1:]
    damaged = folder / "damaged.backup"
    damaged.write_bytes(bytes(data))
    return damaged


def test_restore_refuses_a_damaged_file_and_changes_nothing(
    original: Original, copy: str, new_database: NewDatabase, tmp_path: Path
) -> None:
    damaged = _damaged(original, tmp_path)
    execute(copy, "DELETE FROM tap WHERE sequence = 6")
    before = table_rows(copy)

    refused = run(copy, "restore", "--force", str(damaged))
    assert refused.exit_code == 1
    assert "error [backup_corrupt]" in refused.stderr
    assert table_rows(copy) == before

    empty = new_database()
    assert "error [backup_corrupt]" in run(empty, "restore", str(damaged)).stderr
    assert table_rows(empty) == {}


def test_restore_refuses_a_file_of_the_other_engine_or_none(
    original: Original, tmp_path: Path
) -> None:
    if original.engine == "sqlite":
        other = tmp_path / "other.pgdump"
        other.write_bytes(b"PGDMP\x01\x0f\x00" + os.urandom(256))
        expected = "is a backup of a PostgreSQL database; the configured database is SQLite"
    else:
        other = tmp_path / "other.sqlite3"
        with sqlite3.connect(other) as database:
            database.execute("CREATE TABLE alembic_version (version_num text)")
        expected = "is a backup of a SQLite database; the configured database is PostgreSQL"
    before = table_rows(original.url)
    wrong = run(original.url, "restore", "--force", str(other))
    assert wrong.exit_code == 1
    assert "error [backup_wrong_engine]" in wrong.stderr
    assert expected in wrong.stderr
    garbage = tmp_path / "notes.txt"
    garbage.write_text("not a backup at all\n")
    assert "error [backup_unrecognized]" in run(original.url, "restore", str(garbage)).stderr
    missing = run(original.url, "restore", str(tmp_path / "nowhere.backup"))
    assert "error [backup_not_found]" in missing.stderr
    assert table_rows(original.url) == before


def test_backup_of_an_unmigrated_database_is_refused(
    new_database: NewDatabase, tmp_path: Path
) -> None:
    empty = new_database()
    if empty.startswith("sqlite"):
        sqlite3.connect(empty.removeprefix("sqlite:///")).close()
    result = run(empty, "backup", "--output", str(tmp_path / "b.backup"))
    assert result.exit_code == 1
    assert "error [database_not_migrated]" in result.stderr
    assert [path.name for path in tmp_path.iterdir() if "b.backup" in path.name] == []


@pytest.mark.postgres
def test_pg_backup_refuses_without_pg_dump_or_with_an_older_one(
    postgres_original: Original, tmp_path: Path
) -> None:
    url = postgres_original.url
    nothing = tmp_path / "no-tools"
    nothing.mkdir()
    missing = run(url, "backup", "-o", str(tmp_path / "a"), "--pg-bindir", str(nothing))
    assert missing.exit_code == 1
    assert "error [backup_tool_missing]: pg_dump was not found" in missing.stderr

    # A pg_dump of an old major version: a stand-in that answers --version as 9.6 did.
    old = tmp_path / "old-tools"
    old.mkdir()
    (old / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    (old / "pg_dump").chmod(0o755)
    too_old = run(url, "backup", "-o", str(tmp_path / "b"), "--pg-bindir", str(old))
    assert too_old.exit_code == 1
    assert "error [backup_tool_too_old]" in too_old.stderr
    assert "older than the server's" in too_old.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["no-tools", "old-tools"]


@pytest.mark.postgres
def test_pg_backup_reaches_a_database_through_a_multi_host_url(
    postgres_original: Original, tmp_path: Path
) -> None:
    url = make_url(postgres_original.url)
    socket = url.query.get("host")
    if socket:  # a throwaway cluster on a Unix socket: a missing socket folder first
        hosts = f"host=/nonexistent-faregate-socket&host={socket}"
    else:  # a closed port first
        hosts = f"host={url.host}:1&host={url.host}:{url.port or 5432}"
    multi = (
        f"postgresql+psycopg://{url.username}@/{url.database}"
        f"?{hosts}&target_session_attrs=read-write"
    )
    assert "," in conninfo(multi).dsn
    result = run(multi, "backup", "-o", str(tmp_path / "multi.backup"))
    assert result.exit_code == 0, result.output
    assert f"schema revision: {HEAD}" in result.output


def test_sqlite_backup_is_consistent_while_writers_keep_writing(
    sqlite_original: Original, tmp_path: Path
) -> None:
    live = tmp_path / "live.db"
    url = f"sqlite:///{live}"
    assert run(url, "restore", str(sqlite_original.backup)).exit_code == 0
    engine = make_engine(url)
    stop = threading.Event()
    written: list[int] = []

    def keep_tapping() -> None:  # one tap per transaction, as uploads commit them
        sequence = 7
        while not stop.is_set():
            with engine.begin() as connection:
                connection.execute(insert(Tap), [_tap_row(sequence)])
            written.append(sequence)
            sequence += 1

    writer = threading.Thread(target=keep_tapping)
    writer.start()
    try:
        while len(written) < 50:
            stop.wait(0.01)
        back_up(url, tmp_path / "live.backup")
        at_backup = len(written)
    finally:
        stop.set()
        writer.join()
        engine.dispose()
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    assert run(copy, "restore", str(tmp_path / "live.backup")).exit_code == 0
    sequences = sorted(row[0] for row in query(copy, "SELECT sequence FROM tap"))
    assert sequences == list(range(1, len(sequences) + 1))  # every tap up to one instant
    assert 6 + 50 <= len(sequences) <= 6 + at_backup + 1
    assert run(copy, "check").exit_code == 0


def _tap_row(sequence: int) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "device_id": "gate-1",
        "sequence": sequence,
        "nonce": f"{sequence:032x}",
        "tapped_at": now,
        "received_at": now,
        "media_kind": "qr_text",
        "fingerprint": f"{sequence:064x}",
        "ticket_id": None,
        "product_id": None,
        "allowed": True,
        "reason": None,
        "bundle_version": 1,
        "trip_instance": None,
    }
