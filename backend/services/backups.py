"""Backing up the configured database to one file, and restoring it from one.

PostgreSQL databases are backed up with ``pg_dump`` (``backups_postgres``), SQLite ones with
SQLite's online backup API (``backups_sqlite``); both are consistent while the server runs.
A backup is written to a hidden temporary file in the target folder, flushed to disk
(``fsync``), then given its final name and the folder flushed too, so a backup that fails or
a machine that crashes midway never leaves a truncated file under the final name. Backups
hold personal data (contact emails, password hashes), so the file is readable by its owner
only. An existing file is never overwritten.

A restore first recognises the file by its first bytes (a PostgreSQL custom archive starts
with ``PGDMP``, an SQLite database with ``SQLite format 3``), refuses one of the other engine,
a damaged one, or one that is not of a Faregate database, and refuses a target that already
holds Faregate tables unless ``force`` is given, all before changing anything. The restore
itself is one transaction. The schema revision restored is reported against the code's, as
a backup older than the code needs ``faregate db upgrade``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL

from backend import schema
from backend.db import make_engine, normalize_url
from backend.errors import ServiceError
from backend.libpq import Conninfo, conninfo
from backend.services import backups_postgres, backups_sqlite

POSTGRESQL, SQLITE = "postgresql", "sqlite"
EXTENSIONS = {POSTGRESQL: "pgdump", SQLITE: "sqlite3"}
_MAGIC = {POSTGRESQL: b"PGDMP", SQLITE: b"SQLite format 3\x00"}
_PREFIX = "faregate-"


@dataclass(frozen=True)
class Target:
    """The configured database: its engine, and how to reach it."""

    url: URL
    connect_timeout_s: int = 5
    pg_bindir: Path | None = None  # where pg_dump, pg_restore and psql are; None: the PATH

    @property
    def engine(self) -> str:
        """``postgresql`` or ``sqlite``; ``unsupported_database`` for anything else."""
        name = self.url.get_backend_name()
        if name not in EXTENSIONS:
            raise ServiceError("unsupported_database", f"cannot back up a {name} database")
        return name

    @property
    def sqlite_path(self) -> Path:
        """The SQLite database file (relative paths from the working directory)."""
        database = self.url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise ServiceError(
                "unsupported_database", "only an SQLite database named by a file path is backed up"
            )
        return Path(database)


def target_of(
    database_url: str, *, connect_timeout_s: int = 5, pg_bindir: Path | None = None
) -> Target:
    """The :class:`Target` for a ``database_url`` setting."""
    return Target(normalize_url(database_url), connect_timeout_s, pg_bindir)


@dataclass(frozen=True)
class BackupWritten:
    """A backup that was written."""

    path: Path
    size: int
    engine: str
    revisions: tuple[str, ...]


@dataclass(frozen=True)
class Restored:
    """A backup that was restored, and where its schema stands against the code."""

    path: Path
    engine: str
    revisions: tuple[str, ...]
    replaced: int  # Faregate tables the target held before (only with ``force``)
    state: str  # "head", "behind" (run faregate db upgrade) or "unknown" (a newer Faregate's)


def default_name(engine: str, now: datetime) -> str:
    """``faregate-YYYYMMDDTHHMMSSZ.<ext>``, the UTC time of the backup."""
    return f"{_PREFIX}{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}.{EXTENSIONS[engine]}"


def back_up(target: Target, output: Path, *, now: datetime) -> BackupWritten:
    """Back the database up to ``output`` (a folder: a file named by :func:`default_name`)."""
    engine = target.engine
    if output.is_dir():
        output = output / default_name(engine, now)
    with _written_atomically(output) as partial:
        if engine == POSTGRESQL:
            backups_postgres.dump(_libpq(target), partial, bindir=target.pg_bindir)
        else:
            backups_sqlite.dump(target.sqlite_path, partial)
        revisions = _revisions_written(engine, partial, target)
        if not revisions:
            raise ServiceError(
                "database_not_migrated",
                "the database has no Faregate schema yet; nothing to back up",
            )
    return BackupWritten(output, output.stat().st_size, engine, revisions)


def _revisions_written(engine: str, path: Path, target: Target) -> tuple[str, ...]:
    """The revisions in a backup just written, read back from it (none: not migrated)."""
    try:
        if engine == POSTGRESQL:
            return backups_postgres.archive_facts(path, bindir=target.pg_bindir)
        return backups_sqlite.revisions(path)
    except ServiceError as error:
        if error.code == "backup_not_faregate":
            return ()
        raise


def _libpq(target: Target) -> Conninfo:
    return conninfo(
        target.url.render_as_string(hide_password=False),
        connect_timeout_s=target.connect_timeout_s,
    )


def backup_engine(path: Path) -> str:
    """Which engine's backup the file at ``path`` is; ``backup_unrecognized`` otherwise."""
    if not path.is_file():
        raise ServiceError("backup_not_found", f"no backup file {path}")
    with path.open("rb") as stream:
        head = stream.read(16)
    for engine, magic in _MAGIC.items():
        if head.startswith(magic):
            return engine
    raise ServiceError(
        "backup_unrecognized",
        f"{path} is neither a PostgreSQL archive (pg_dump -Fc) nor an SQLite database",
    )


def restore(target: Target, backup: Path, *, force: bool) -> Restored:
    """Replace the database's content with the backup's; refuses before changing anything."""
    engine, kind = target.engine, backup_engine(backup)
    if kind != engine:
        raise ServiceError(
            "backup_wrong_engine",
            f"{backup} is a backup of a {_label(kind)} database; the configured database is "
            f"{_label(engine)}",
        )
    if engine == POSTGRESQL:
        libpq = _libpq(target)
        backups_postgres.archive_facts(backup, bindir=target.pg_bindir)
        present = backups_postgres.faregate_tables(libpq)
        _refuse_unless_forced(len(present), force)
        backups_postgres.restore(libpq, backup, replace=present, bindir=target.pg_bindir)
        replaced = len(present)
    else:
        backups_sqlite.revisions(backup)
        replaced = len(backups_sqlite.faregate_tables(target.sqlite_path))
        _refuse_unless_forced(replaced, force)
        backups_sqlite.restore(backup, target.sqlite_path)
    revisions = _current(target)
    return Restored(backup, engine, revisions, replaced, revision_state(revisions))


def _refuse_unless_forced(present: int, force: bool) -> None:
    if present and not force:
        raise ServiceError(
            "restore_target_not_empty",
            f"the configured database already holds {present} Faregate tables; restore into "
            "an empty database, or pass --force to replace its content with the backup's",
        )


def _current(target: Target) -> tuple[str, ...]:
    engine = make_engine(
        target.url.render_as_string(hide_password=False),
        connect_timeout_s=target.connect_timeout_s,
        pool_size=1,
    )
    try:
        return schema.current_revisions(engine)
    finally:
        engine.dispose()


def revision_state(revisions: tuple[str, ...]) -> str:
    """``head`` when ``revisions`` are the code's heads, ``behind`` when the code knows them
    (``faregate db upgrade`` brings them to head), ``unknown`` when it does not."""
    if revisions == schema.head_revisions():
        return "head"
    scripts = ScriptDirectory.from_config(schema.alembic_config())
    try:
        known = all(scripts.get_revision(revision) is not None for revision in revisions)
    except CommandError:
        known = False
    return "behind" if known and revisions else "unknown"


def _label(engine: str) -> str:
    return {POSTGRESQL: "PostgreSQL", SQLITE: "SQLite"}[engine]


@contextlib.contextmanager
def _written_atomically(final: Path) -> Iterator[Path]:
    """A temporary file beside ``final`` that becomes ``final`` once the block succeeds and
    is on disk; it is deleted when the block fails."""
    if final.exists():
        raise ServiceError("backup_file_exists", f"{final} exists already; it is not overwritten")
    folder = final.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=folder, prefix=f".{final.name}.", suffix=".part")
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
        _fsync(partial)
        _link_without_overwrite(partial, final)
        _fsync(folder)
    finally:
        partial.unlink(missing_ok=True)


def _link_without_overwrite(partial: Path, final: Path) -> None:
    """Give ``partial`` the name ``final``, refusing if another writer took the name since."""
    try:
        os.link(partial, final)
    except FileExistsError as error:
        raise ServiceError(
            "backup_file_exists", f"{final} exists already; it is not overwritten"
        ) from error
    except OSError:  # a file system without hard links: rename (checked free just before)
        if final.exists():
            raise ServiceError(
                "backup_file_exists", f"{final} exists already; it is not overwritten"
            ) from None
        os.replace(partial, final)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
