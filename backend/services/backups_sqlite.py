"""SQLite backups through SQLite's online backup API (``sqlite3.Connection.backup``).

The API copies the database page by page inside one read transaction of the source, so the
copy is the database as of one instant even while the server keeps writing: in WAL mode
readers do not block writers, and a write made during the copy is simply not in it. The copy
is switched out of WAL mode (``journal_mode=DELETE``) so that the backup is one
self-contained file, and read back whole (``PRAGMA integrity_check``) before it is kept.

Restoring runs the same API the other way: the backup's pages replace the target's inside one
write transaction of the target, so a failed restore leaves the target as it was. Before
that, the backup is checked (``PRAGMA integrity_check``) and must hold Faregate's
``alembic_version`` table; the restored database is put back into WAL mode, as the server
runs it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from backend.errors import ServiceError
from backend.models import Base

SQLITE_BUSY_TIMEOUT_S = 5.0


def dump(source: Path, target: Path) -> None:
    """Copy the live database at ``source`` into ``target`` (an existing empty file)."""
    if not source.is_file():
        raise ServiceError("database_unreachable", f"the SQLite database {source} does not exist")
    try:
        with (
            closing(_open(source, "rw")) as origin,
            closing(sqlite3.connect(target, isolation_level=None)) as copy,
        ):
            origin.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise ServiceError("backup_failed", f"cannot copy {source}: {error}") from error


def revisions(path: Path) -> tuple[str, ...]:
    """The schema revisions of a Faregate SQLite database file, checked whole first;
    ``backup_corrupt`` / ``backup_not_faregate`` otherwise."""
    try:
        with closing(_open(path, "ro")) as database:
            problems = [row[0] for row in database.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise ServiceError(
                    "backup_corrupt", f"{path} is damaged: {'; '.join(problems[:3])}"
                )
            if "alembic_version" not in _tables(database):
                raise ServiceError(
                    "backup_not_faregate",
                    f"{path} is an SQLite database but not of a Faregate database",
                )
            found = database.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error as error:
        raise ServiceError("backup_corrupt", f"{path} is not readable: {error}") from error
    return tuple(sorted(str(row[0]) for row in found))


def faregate_tables(path: Path) -> list[str]:
    """The Faregate tables of the database at ``path`` (none when the file does not exist)."""
    if not path.exists():
        return []
    known = {*Base.metadata.tables, "alembic_version"}
    try:
        with closing(_open(path, "rw")) as database:  # rw: a WAL file may need its -shm made
            return sorted(name for name in _tables(database) if name in known)
    except sqlite3.Error as error:
        raise ServiceError("database_unreachable", f"cannot read {path}: {error}") from error


def restore(backup: Path, target: Path) -> None:
    """Replace the whole database at ``target`` with the backup's, in one transaction."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(_open(backup, "ro")) as origin,
            closing(
                sqlite3.connect(target, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None)
            ) as database,
        ):
            origin.backup(database)
            database.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as error:
        raise ServiceError(
            "restore_failed", f"cannot restore into {target}; nothing was changed: {error}"
        ) from error


def _open(path: Path, mode: str) -> sqlite3.Connection:
    """A connection to an existing file only (``mode`` ro or rw): never an empty new one."""
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None)


def _tables(database: sqlite3.Connection) -> set[str]:
    rows = database.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(row[0]) for row in rows}
