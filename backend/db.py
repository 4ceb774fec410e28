"""Database engines and the session-per-request unit of work.

SQLite is the embedded default: foreign keys are switched on, the journal is WAL and a busy
connection waits instead of failing at once. PostgreSQL is reached through psycopg 3; a plain
``postgresql://`` URL is taken to mean that driver. A libpq multi-host URL names a primary and
its standbys (``postgresql+psycopg://user@/db?host=h1:5432&host=h2:5432&target_session_attrs=
read-write``): every new connection goes to whichever of them accepts writes, so after a
failover the pool reconnects to the promoted server.

A database that is lost, unreachable or not accepting writes (``database_unavailable``) is a
refusal the client may retry, 503 ``database_unavailable``, never a 500: see
:func:`database_unavailable`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from backend.errors import ServiceError

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000
PING_AFTER_IDLE_S = 2.0
WRITER_OPTION = "faregate_writer"
_EXTENSION = "faregate.database"


def normalize_url(url: str) -> URL:
    """Parse ``url``, mapping PostgreSQL URLs without a driver onto psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(
    url: str,
    *,
    connect_timeout_s: int = 5,
    pool_size: int = 5,
    max_overflow: int | None = None,
    autocommit: bool = False,
) -> Engine:
    """Create an engine for ``url`` with the per-backend settings Faregate relies on.

    ``pool_size`` connections are kept open per process, and ``max_overflow`` more (as many
    again unless given) may be opened under load, each closed once it is returned. A pooled
    PostgreSQL connection is checked with a round trip before use only when it has sat idle
    for ``PING_AFTER_IDLE_S`` (see :func:`_ping_when_idle`). With ``autocommit`` every
    statement on the engine's (PostgreSQL) connections commits on its own.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = connect_timeout_s
    options: dict[str, Any] = {}
    if autocommit:
        # Nothing is ever left open to roll back when a connection goes back to the pool.
        options.update(isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
    engine = create_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        connect_args=connect_args,
        **options,
    )
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use if it has been idle a while.

    A connection that sat idle is the one a restarted or failed-over server has broken, so
    it is pinged (``SELECT 1``) when checked out after ``PING_AFTER_IDLE_S`` in the pool, and
    replaced when the ping fails. A connection in steady use skips the ping, which would
    otherwise cost every request a round trip: one that breaks mid-use fails its request
    (``database_unavailable``) and SQLAlchemy then replaces every connection of the pool.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        autocommit = dbapi_connection.autocommit
        try:
            dbapi_connection.autocommit = True  # so that the ping opens no transaction
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.autocommit = autocommit
        except psycopg.Error as error:
            raise DisconnectionError("the pooled connection is gone") from error


_IDLE_SINCE = "faregate_idle_since"


def _sqlite_engine(url: URL) -> Engine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # The driver's own transaction handling is switched off so that SQLAlchemy's BEGIN is the
    # one that counts: plain for readers, IMMEDIATE (the write lock at once) for writers.
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "isolation_level": None}
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        _write_ahead_log(cursor)
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITER_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# Attempts at switching a database file to WAL that another connection's switch refused.
WAL_SWITCH_ATTEMPTS = 20
WAL_SWITCH_PAUSE_S = 0.01


def _write_ahead_log(cursor: sqlite3.Cursor) -> None:
    """Put the database in WAL mode (which stays with the file once set).

    Connections opening a new file at once (servers started together) may each read it while
    another switches it: the switch needs them gone, and SQLite refuses one of them at once,
    without waiting, rather than let the two wait for each other. The refused one tries again
    after a pause, by when the file is switched.
    """
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(WAL_SWITCH_PAUSE_S * (attempt + 1))


class Database:
    """One engine and its session factory, owned by an application or a CLI command."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout_s: int = 5,
        pool_size: int = 5,
        max_overflow: int | None = None,
    ) -> None:
        sizes: dict[str, Any] = {"pool_size": pool_size, "max_overflow": max_overflow}
        self.engine = make_engine(url, connect_timeout_s=connect_timeout_s, **sizes)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Sessions for transactions that must not interleave with other writers: on SQLite
        # they take the database's write lock when they begin; PostgreSQL relies on its own
        # constraints and row locks instead.
        self.writer_sessions = sessionmaker(
            self.engine.execution_options(**{WRITER_OPTION: True}), expire_on_commit=False
        )
        # Connections whose every statement commits on its own, for writes made atomic by
        # being one statement (every booking's, on PostgreSQL). There they have a pool of
        # their own, whose connections stay in autocommit: taking one from the main pool
        # would switch it into autocommit and back on every use.
        self.autocommit = (
            make_engine(url, connect_timeout_s=connect_timeout_s, autocommit=True, **sizes)
            if self.engine.dialect.name == "postgresql"
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if self.autocommit.pool is not self.engine.pool:
            self.autocommit.dispose()


Executor = Session | Connection
"""Where a service may run Core statements: an ORM session, or a plain connection."""


def core(executor: Executor) -> Connection:
    """The connection behind ``executor`` (a session's, once it has begun)."""
    return executor.connection() if isinstance(executor, Session) else executor


# SQLSTATEs of a server that is gone or cannot take this work now: a connection exception
# (class 08), the server shutting down, crashed or starting up (57P01, 57P02, 57P03), and a
# read-only transaction (25006) on a server that is, or has just become, a standby.
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03", "25006")
RETRY_AFTER_S = 1


class DatabaseUnavailableError(ServiceError):
    """The database is lost, unreachable or refusing writes: try again shortly (503)."""

    status = 503
    retry_after_s = RETRY_AFTER_S

    def __init__(self) -> None:
        super().__init__(
            "database_unavailable", "the database cannot be reached; try again in a moment"
        )


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database is lost, unreachable or refusing writes for now.

    That is: SQLAlchemy found the connection broken (``connection_invalidated``); psycopg
    raised an ``OperationalError`` with no SQLSTATE, which only happens when no server answered
    (refused or failed connections, including every host of a multi-host URL refusing, and
    connections lost mid-use); or the server answered with one of ``_UNAVAILABLE_STATES``.
    Errors of the statement itself (a constraint, a lock timeout, a syntax error) are not.
    """
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        return error.orig is not None and database_unavailable(error.orig)
    if not isinstance(error, psycopg.Error):
        return False
    state = error.sqlstate
    if state is None:
        return isinstance(error, psycopg.OperationalError)
    return state.startswith("08") or state in _UNAVAILABLE_STATES


def unavailable_refusal(error: BaseException) -> DatabaseUnavailableError:
    """The refusal for ``error`` (one that :func:`database_unavailable` accepts), logged once."""
    text = str(error).strip()
    log.warning("database unavailable: %s", text.splitlines()[0] if text else type(error).__name__)
    return DatabaseUnavailableError()


def init_app(app: Flask, database: Database) -> None:
    """Attach ``database`` to ``app`` and close each request's session when it ends."""
    app.extensions[_EXTENSION] = database
    app.teardown_appcontext(_close_session)


def database() -> Database:
    """The current application's database."""
    db: Database = current_app.extensions[_EXTENSION]
    return db


def session() -> Session:
    """The session of the current request, opened on first use.

    Nothing is committed unless a service commits; whatever is left is rolled back when the
    request ends.
    """
    if "db_session" not in g:
        g.db_session = database().sessions()
    current: Session = g.db_session
    return current


def _close_session(_exc: BaseException | None) -> None:
    current: Session | None = g.pop("db_session", None)
    if current is not None:
        current.close()
