"""PostgreSQL backups: ``pg_dump`` custom-format archives, restored all or nothing.

A backup is ``pg_dump --format=custom`` of the configured database: compressed, with its own
table of contents, restorable table by table, and readable by any ``pg_restore`` at least as
new as the ``pg_dump`` that wrote it. ``pg_dump`` must be at least as new as the server (an
older one refuses or, worse, misses what it does not know), so its major version is checked
against the server's before anything is written.

A restore must leave the database either as the backup had it or untouched. ``pg_restore``
turns the archive into SQL, which ``psql`` runs in one transaction that this module opens
itself: ``BEGIN``, then (with ``--force``) the drop of every Faregate table the target holds,
including tables of a newer schema than the backup's, which ``pg_restore --clean`` alone would
leave behind and a later ``faregate db upgrade`` would trip over, then the archive's SQL, and
``COMMIT`` only once ``pg_restore`` has read the whole archive without error. A truncated or
damaged archive, a statement the server refuses (``ON_ERROR_STOP``) or a lost connection thus
rolls everything back. Owners and grants are not restored (``--no-owner --no-privileges``):
the restored objects belong to the configured database user, as the migrations made them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psycopg

from backend.errors import ServiceError
from backend.libpq import Conninfo
from backend.models import Base

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
_DUMPED_BY = re.compile(r"Dumped by pg_dump version:\s*(\d+)")
_STAGED_TABLE = re.compile(r"^gtfs_[a-z_]+_v[0-9]+$")
LOCK_WAIT = "60s"  # pg_dump gives up rather than queue behind a migration for ever
_CHUNK = 1 << 20


def find_tool(name: str, bindir: Path | None) -> Path:
    """The PostgreSQL client program ``name``, from ``bindir`` or else the PATH."""
    found = shutil.which(name, path=str(bindir) if bindir is not None else None)
    if found is None:
        where = f"in {bindir}" if bindir is not None else "on the PATH"
        raise ServiceError(
            "backup_tool_missing",
            f"{name} was not found {where}; install the PostgreSQL client programs "
            "(e.g. the postgresql-client package) of the server's major version or newer",
        )
    return Path(found)


def tool_major(tool: Path) -> int:
    """The major version a PostgreSQL client program reports (``pg_dump --version``)."""
    answer = _run([str(tool), "--version"], code="backup_tool_missing")
    match = _VERSION.search(answer.stdout)
    if match is None:
        raise ServiceError(
            "backup_tool_missing", f"{tool} does not say which PostgreSQL version it is"
        )
    return int(match.group(1))


def server_major(conninfo: Conninfo) -> int:
    """The major version of the server the configured database is on."""
    try:
        with psycopg.connect(conninfo.with_password()) as connection:
            version = connection.info.server_version
    except psycopg.Error as error:
        raise ServiceError("database_unreachable", f"cannot reach the database: {error}") from error
    return version // 10000 if version >= 100000 else version // 100


def dump(conninfo: Conninfo, target: Path, *, bindir: Path | None) -> None:
    """Write a custom-format archive of the database to ``target`` (an existing empty file)."""
    pg_dump = find_tool("pg_dump", bindir)
    tool, server = tool_major(pg_dump), server_major(conninfo)
    if tool < server:
        raise ServiceError(
            "backup_tool_too_old",
            f"{pg_dump} is PostgreSQL {tool}, older than the server's {server}: "
            f"install pg_dump {server} or newer (or name its folder with --pg-bindir)",
        )
    command = [
        str(pg_dump),
        "--format=custom",
        f"--lock-wait-timeout={LOCK_WAIT}",
        f"--file={target}",
        f"--dbname={conninfo.dsn}",
    ]
    _run(command, code="backup_failed", env=conninfo.environment())


def archive_facts(archive: Path, *, bindir: Path | None) -> tuple[str, ...]:
    """Check that ``archive`` is a readable Faregate archive this pg_restore can read, and
    return the schema revisions it holds; ``backup_corrupt`` / ``backup_not_faregate`` /
    ``backup_tool_too_old`` otherwise."""
    pg_restore = find_tool("pg_restore", bindir)
    listing = _run(
        [str(pg_restore), "--list", str(archive)], code="backup_corrupt", what=f"{archive} is"
    ).stdout
    dumped_by = _DUMPED_BY.search(listing)
    reader = tool_major(pg_restore)
    if dumped_by is not None and int(dumped_by.group(1)) > reader:
        raise ServiceError(
            "backup_tool_too_old",
            f"{archive} was written by pg_dump {dumped_by.group(1)}; {pg_restore} is "
            f"PostgreSQL {reader} and cannot read it",
        )
    if not re.search(r"\bTABLE DATA \S+ alembic_version\b", listing):
        raise ServiceError(
            "backup_not_faregate",
            f"{archive} is a PostgreSQL archive but not of a Faregate database",
        )
    if re.search(r"\b(BLOBS?|LARGE OBJECTS?)\b", listing):
        raise ServiceError(
            "backup_not_faregate", f"{archive} holds large objects, which Faregate never writes"
        )
    data = _run(
        [str(pg_restore), "--data-only", "--table=alembic_version", "--file=-", str(archive)],
        code="backup_corrupt",
        what=f"{archive} is",
    ).stdout
    return _copied_values(data)


def _copied_values(sql: str) -> tuple[str, ...]:
    """The single-column rows of the COPY block in ``sql`` (a one-table data-only restore)."""
    values: list[str] = []
    inside = False
    for line in sql.splitlines():
        if line.startswith("COPY "):
            inside = True
        elif line == "\\.":
            inside = False
        elif inside and line:
            values.append(line)
    return tuple(sorted(values))


def faregate_tables(conninfo: Conninfo) -> list[tuple[str, str]]:
    """(schema, table) of every Faregate table in the database's current schema."""
    known = {*Base.metadata.tables, "alembic_version"}
    try:
        with psycopg.connect(conninfo.with_password()) as connection:
            rows = connection.execute(
                "SELECT n.nspname, c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() "
                "ORDER BY c.relname"
            ).fetchall()
    except psycopg.Error as error:
        raise ServiceError("database_unreachable", f"cannot reach the database: {error}") from error
    return [(schema, name) for schema, name in rows if name in known or _STAGED_TABLE.match(name)]


def restore(
    conninfo: Conninfo, archive: Path, *, replace: Sequence[tuple[str, str]], bindir: Path | None
) -> None:
    """Restore ``archive`` into the database in one transaction, first dropping the tables
    ``replace`` names; the database is unchanged when anything fails."""
    pg_restore, psql = find_tool("pg_restore", bindir), find_tool("psql", bindir)
    preamble = ["BEGIN;", "SET LOCAL client_min_messages = warning;"]
    preamble += [f"DROP TABLE IF EXISTS {_quoted(s)}.{_quoted(t)} CASCADE;" for s, t in replace]
    reader = [str(pg_restore), "--no-owner", "--no-privileges", "--file=-"]
    if replace:
        reader += ["--clean", "--if-exists"]
    writer = [str(psql), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"]
    outcome = _pipe(
        [*reader, str(archive)],
        [*writer, f"--dbname={conninfo.dsn}"],
        preamble="\n".join(preamble) + "\n",
        env={**os.environ, **conninfo.environment()},
    )
    if outcome.fed and not outcome.read_whole:
        raise ServiceError(
            "backup_corrupt",
            f"{archive} could not be read to the end; nothing was restored: {outcome.reader_said}",
        )
    if not (outcome.fed and outcome.written):
        raise ServiceError(
            "restore_failed",
            f"the database refused the restore; nothing was changed: {outcome.writer_said}",
        )


@dataclass(frozen=True)
class _Piped:
    """How a reader | writer pipeline ended."""

    fed: bool  # the writer took everything the reader gave
    read_whole: bool  # the reader read the whole archive
    written: bool  # the writer ran it all and committed
    reader_said: str
    writer_said: str


def _pipe(reader: list[str], writer: list[str], *, preamble: str, env: dict[str, str]) -> _Piped:
    """Run ``preamble`` then ``reader``'s output through ``writer``, ending with COMMIT only
    when the reader succeeded."""
    with (
        tempfile.TemporaryFile() as reader_errors,
        tempfile.TemporaryFile() as writer_errors,
        subprocess.Popen(  # noqa: S603 - a fixed program with its own arguments
            writer, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=writer_errors, env=env
        ) as writing,
        subprocess.Popen(reader, stdout=subprocess.PIPE, stderr=reader_errors) as reading,  # noqa: S603
    ):
        assert writing.stdin is not None  # noqa: S101 - piped above
        assert reading.stdout is not None  # noqa: S101
        fed = _pass_on(reading.stdout, writing.stdin, preamble)
        if not fed:
            reading.kill()  # the writer stopped: what is left of the archive is not wanted
        read_whole = reading.wait() == 0
        _finish(writing.stdin, commit=fed and read_whole)
        written = writing.wait() == 0
        return _Piped(fed, read_whole, written, _tail(reader_errors), _tail(writer_errors))


def _pass_on(source: IO[bytes], sink: IO[bytes], preamble: str) -> bool:
    """Copy ``preamble`` and then all of ``source`` into ``sink``; False if the sink closed
    first (the writer stopped at an error)."""
    try:
        sink.write(preamble.encode())
        while chunk := source.read(_CHUNK):
            sink.write(chunk)
    except BrokenPipeError:
        return False
    return True


def _finish(sink: IO[bytes], *, commit: bool) -> None:
    """End the writer's input: with COMMIT when everything was read, else without, which
    makes the server roll the transaction back when psql disconnects."""
    try:
        if commit:
            sink.write(b"COMMIT;\n")
        sink.close()
    except BrokenPipeError:
        pass


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tail(stream: IO[bytes], lines: int = 5) -> str:
    stream.seek(0)
    text = stream.read().decode("utf-8", "replace").strip().splitlines()
    return " / ".join(text[-lines:])


def _run(
    command: list[str], *, code: str, env: dict[str, str] | None = None, what: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a client program; its failure becomes ``code`` with the end of what it said."""
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program with its own arguments
            command,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
            env={**os.environ, **(env or {})},
        )
    except OSError as error:
        raise ServiceError(code, f"cannot run {command[0]}: {error}") from error
    if done.returncode != 0:
        said = " / ".join(done.stderr.strip().splitlines()[-5:])
        prefix = f"{what} not readable" if what else f"{Path(command[0]).name} failed"
        raise ServiceError(code, f"{prefix}: {said}")
    return done
