"""Which job runner leads: with several servers on one PostgreSQL, one runs the jobs.

Every server may start a job runner (``faregate serve`` does, and a deployment may run
``faregate jobs`` as a service of its own on several machines); only the leader runs the
periodic jobs. Leadership is a PostgreSQL session-level advisory lock (``LEADER_LOCK``) held on
a connection of its own:

- a runner that gets the lock leads, and checks every ``CHECK_S`` that its connection still
  answers; if it does not, the runner stops its jobs and competes again;
- the others try for the lock every ``RETRY_S``. When the leader dies — a crash, ``kill -9``,
  a power cut — PostgreSQL ends its session and releases the lock (TCP keepalives bound how
  long a vanished machine can keep it), and the next try of a survivor takes over.

The jobs are written to be safe when two runners overlap for a moment (the outbox claims its
messages, reconciliation takes a lock of its own, sweeps and purges are idempotent), so a
leader that lost its connection but has a job still finishing does no harm; leadership keeps
the work on one runner in the normal case.

The lock connection names its runner (``application_name``: ``faregate-jobs host:pid``), so
``leader`` can tell an operator which runner leads. SQLite has no advisory locks and serves
one machine: there the runner always leads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from backend.db import normalize_url

log = logging.getLogger(__name__)

LEADER_LOCK = (7318, 1)  # (class, key) of the advisory lock; 7318 is Faregate's lock class
CHECK_S = 2.0
RETRY_S = 3.0
APPLICATION_PREFIX = "faregate-jobs"
# TCP keepalives on the lock connection: PostgreSQL notices a vanished leader in about 30 s.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5}
_KEEPALIVES_COUNT = 4


@dataclass(frozen=True)
class Leader:
    """The runner holding the lock, as PostgreSQL sees it."""

    application_name: str
    backend_pid: int


class Leadership:
    """This runner's claim to lead, on a connection of its own."""

    def __init__(self, url: str, *, connect_timeout_s: int = 5) -> None:
        parsed = normalize_url(url)
        self.name = f"{APPLICATION_PREFIX} {socket.gethostname()}:{os.getpid()}"
        self._postgres = parsed.get_backend_name() == "postgresql"
        self._engine: Engine | None = None
        if self._postgres:
            self._engine = create_engine(
                parsed,
                poolclass=NullPool,
                isolation_level="AUTOCOMMIT",
                connect_args={
                    "application_name": self.name,
                    "connect_timeout": connect_timeout_s,
                    "keepalives_count": _KEEPALIVES_COUNT,
                    **_KEEPALIVES,
                },
            )
        self._connection: Connection | None = None

    def try_to_lead(self) -> bool:
        """Take the lock if nobody holds it; whether this runner now leads."""
        if not self._postgres:
            return True
        try:
            if self._connection is None and self._engine is not None:
                self._connection = self._engine.connect()
            if self._connection is None:
                return False
            taken = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:class, :key)"),
                {"class": LEADER_LOCK[0], "key": LEADER_LOCK[1]},
            ).scalar_one()
        except SQLAlchemyError as error:
            log.warning("cannot reach the database to compete for leadership: %s", _line(error))
            self._drop()
            return False
        return bool(taken)

    def still_leading(self) -> bool:
        """Whether the lock's connection still answers (and so the lock is still held)."""
        if not self._postgres:
            return True
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
        except SQLAlchemyError as error:
            log.warning("lost the database connection that holds leadership: %s", _line(error))
            self._drop()
            return False
        return True

    def wait_to_lead(self, stop: threading.Event) -> bool:
        """Block until this runner leads (True) or ``stop`` is set (False)."""
        announced = False
        while not stop.is_set():
            if self.try_to_lead():
                return True
            if not announced:
                log.info("another job runner leads; %s waits to take over", self.name)
                announced = True
            stop.wait(RETRY_S)
        return False

    def close(self) -> None:
        """Give leadership up, at once: the lock is released before its connection closes
        (closing alone releases it too, but only once the server has ended the session, which
        a runner trying for the lock just then would not see)."""
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):  # already gone, and so is the lock
                self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
        self._drop()
        if self._engine is not None:
            self._engine.dispose()

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):  # already gone, and so is the lock
                self._connection.close()
            self._connection = None


def leader(connection: Connection) -> Leader | None:
    """The runner that leads now, or None (no runner, or not PostgreSQL)."""
    if connection.dialect.name != "postgresql":
        return None
    row = connection.execute(
        text(
            "SELECT a.application_name, l.pid FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :class "
            "AND l.objid = :key AND l.objsubid = 2 AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"class": LEADER_LOCK[0], "key": LEADER_LOCK[1]},
    ).first()
    return None if row is None else Leader(str(row[0]), int(row[1]))


def _line(error: BaseException) -> str:
    text_ = str(error).strip()
    return text_.splitlines()[0] if text_ else type(error).__name__
