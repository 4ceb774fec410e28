"""A PostgreSQL primary and a streaming standby on two loopback ports, for failover drills.

- The primary runs with ``wal_level=replica`` and keeps the WAL its standby has not received
  in a physical replication slot (``pg_basebackup -C -S``), with ``wal_keep_size`` as a floor
  for a standby that is re-made without its slot.
- The standby is a copy made by ``pg_basebackup -R``, which writes ``standby.signal`` and the
  ``primary_conninfo`` (naming the standby ``STANDBY_NAME`` through ``application_name``) and
  ``primary_slot_name`` it streams with.
- In synchronous mode the primary names the standby in ``synchronous_standby_names``: with
  ``synchronous_commit=on`` (PostgreSQL's default) a commit returns only once the standby has
  flushed its WAL, so whatever a client was told is committed survives the primary's loss. In
  asynchronous mode the primary does not wait, and the last commits before a crash may never
  reach the standby.

The setting is given on the primary's command line only (see ``backend.ops.clusters``): the
standby, once promoted, waits for no standby of its own, as no one would acknowledge its
commits until an operator attaches a new standby and names it there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import psycopg

from backend.ops.clusters import ClusterError, ClusterFolder, LocalCluster, free_port

STANDBY_NAME = "faregate_standby"
SLOT_NAME = "faregate_standby_slot"
HOST = "127.0.0.1"


class ReplicaPair:
    """Two clusters in one folder: ``primary`` on ``primary_port``, ``standby`` streaming
    from it on ``standby_port``."""

    def __init__(
        self, bindir: Path, *, synchronous: bool, prefix: str = "faregate-replica-"
    ) -> None:
        self.synchronous = synchronous
        self.folder = ClusterFolder(prefix)
        self.primary = LocalCluster(self.folder, bindir, "primary")
        self.standby = LocalCluster(self.folder, bindir, "standby")
        self.primary_port = free_port()
        self.standby_port = free_port()
        while self.standby_port == self.primary_port:
            self.standby_port = free_port()

    def start(self) -> None:
        """Make and start the primary, copy it into the standby and start that."""
        self.primary.initialise()
        settings = _shared_settings(self.primary_port)
        if self.synchronous:
            settings["synchronous_standby_names"] = STANDBY_NAME
        self.primary.start(settings)
        source = f"host={HOST} port={self.primary_port} user=postgres"
        source += f" application_name={STANDBY_NAME}"
        copy = ["-R", "-X", "stream", "-C", "-S", SLOT_NAME, "-c", "fast", "--no-sync"]
        self.standby.run(["pg_basebackup", *copy, "-D", str(self.standby.data), "-d", source])
        self.standby.start(_shared_settings(self.standby_port))

    def conninfo(self, port: int, database: str = "postgres") -> str:
        """A libpq connection string to one of the two servers."""
        return f"host={HOST} port={port} user=postgres dbname={database} connect_timeout=5"

    def url(self, database: str) -> str:
        """A SQLAlchemy URL naming both servers, which connects to whichever accepts writes."""
        hosts = f"host={HOST}:{self.primary_port}&host={HOST}:{self.standby_port}"
        return f"postgresql+psycopg://postgres@/{database}?{hosts}&target_session_attrs=read-write"

    def wait_streaming(self, timeout_s: float = 60.0) -> None:
        """Wait until the primary streams to the standby (synchronously in that mode)."""
        wanted = "sync" if self.synchronous else "async"
        deadline = time.monotonic() + timeout_s
        state: tuple[str, str] | None = None
        while time.monotonic() < deadline:
            with psycopg.connect(self.conninfo(self.primary_port), autocommit=True) as admin:
                row = admin.execute(
                    "SELECT state, sync_state FROM pg_stat_replication WHERE application_name = %s",
                    (STANDBY_NAME,),
                ).fetchone()
            state = (str(row[0]), str(row[1])) if row else None
            if state == ("streaming", wanted):
                return
            time.sleep(0.1)
        raise ClusterError(
            f"the standby did not stream ({state}) within {timeout_s:.0f} s:\n"
            f"{self.standby.log_tail()}"
        )

    def stall_replication(self) -> int:
        """Freeze the primary's WAL sender (SIGSTOP): the WAL written from now on stays on the
        primary, as behind a network that stopped carrying it; the sender's process id.

        A synchronous primary's commits wait meanwhile; an asynchronous one's go on, and are
        lost should the primary fail before the standby has them.
        """
        with psycopg.connect(self.conninfo(self.primary_port), autocommit=True) as admin:
            row = admin.execute(
                "SELECT pid FROM pg_stat_replication WHERE application_name = %s",
                (STANDBY_NAME,),
            ).fetchone()
        if row is None:
            raise ClusterError("the primary has no WAL sender to stall")
        pid = int(row[0])
        os.kill(pid, signal.SIGSTOP)
        return pid

    def fail_primary(self, stalled_sender: int | None = None) -> None:
        """Stop the primary as a crash would (``pg_ctl stop -m immediate``). A WAL sender
        stalled by :meth:`stall_replication` is killed first, so that it sends nothing more."""
        if stalled_sender is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(stalled_sender, signal.SIGKILL)
        self.primary.stop("immediate")

    def promote_standby(self) -> None:
        """Promote the standby (``pg_ctl promote``); return once it accepts writes."""
        self.standby.promote()

    def close(self) -> None:
        """Stop both servers that still run and delete their files."""
        try:
            for cluster in (self.primary, self.standby):
                cluster.stop_if_running()
        finally:
            self.folder.remove()


def _shared_settings(port: int) -> dict[str, str]:
    """What both servers run with: loopback only, and ready to be a primary or a standby."""
    return {
        "port": str(port),
        "listen_addresses": HOST,
        "wal_level": "replica",
        "max_wal_senders": "4",
        "max_replication_slots": "4",
        "wal_keep_size": "64MB",
        "hot_standby": "on",
    }
