"""A Faregate server for drills, run as operators run it: a database migrated and loaded with
the bundled sample feed, and ``faregate serve`` (gunicorn, its workers and its job runner) as a
process group of its own on a free loopback port, stopped with SIGTERM and, failing that,
SIGKILL to the whole group.

Its working folder holds what the server writes (keyring, session secret, log) and a seat
map of its own (``DRILL_COACH``) that every trip is reserved on.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from backend import schema
from backend.db import Database
from backend.ops.clusters import free_port
from backend.services import feeds, sample_feed
from backend.services.signing_keys import init_keyring

START_TIMEOUT_S = 60.0
HOST = "127.0.0.1"
# Every trip's seat map: 60 rows of 2+2, so that a drill's bookings fit on few trips.
DRILL_COACH = """
description = "Drill coach: 60 rows of 2+2"
default = true

[[rows]]
first = 1
last = 60
pattern = "AB_CD"
"""


class ServedFaregate:
    """``faregate serve`` on ``database_url``, working in ``folder``."""

    def __init__(self, folder: Path, database_url: str, *, workers: int = 2) -> None:
        self.folder = folder
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        seat_maps = folder / "seatmaps"
        seat_maps.mkdir(parents=True, exist_ok=True)
        (seat_maps / "coach.toml").write_text(DRILL_COACH)
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("FAREGATE_")}
        self.env = inherited | {
            "FAREGATE_DATABASE_URL": database_url,
            "FAREGATE_BIND": f"{HOST}:{self.port}",
            "FAREGATE_WORKERS": str(workers),
            "FAREGATE_LOG_LEVEL": "WARNING",
            "FAREGATE_SIGNING_KEYS_FILE": str(folder / "signing-keys.json"),
            "FAREGATE_SEATMAP_DIR": str(seat_maps),
            # Every client of a drill books from one loopback address.
            "FAREGATE_RATE_LIMITS_ENABLED": "false",
        }
        self.database_url = database_url
        self.log = folder / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def prepare(self, now: datetime) -> None:
        """Migrate the database, make the keyring and publish the bundled sample feed, dated
        to run from the day before ``now``: what ``faregate db upgrade``, ``faregate keys init``
        and ``faregate gtfs load-sample`` do, done here to spare three interpreter starts."""
        database = Database(self.database_url)
        try:
            schema.upgrade(database.engine)
            init_keyring(Path(self.env["FAREGATE_SIGNING_KEYS_FILE"]), now)
            with tempfile.TemporaryDirectory(prefix="faregate-sample-") as folder:
                feed = sample_feed.running_from(Path(folder), now.date() - timedelta(days=1))
                feeds.import_feed(
                    database, feed, filename=feed.name, now=now, today=now.date(), publish=True
                )
        finally:
            database.dispose()

    def start(self) -> None:
        """Start ``faregate serve`` in a new process group; wait until it is ready."""
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - the project's own CLI
                [*_faregate(), "serve"],
                cwd=self.folder,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"faregate serve exited; see {self.log}")
            if self._ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"faregate serve was not ready within {START_TIMEOUT_S:.0f} s")

    def job_runner_pid(self, timeout_s: float = 10.0) -> int | None:
        """The process id of the job runner ``faregate serve`` started, once it runs."""
        if self._process is None:
            return None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for pid in _children(self._process.pid):
                try:
                    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue  # it ended meanwhile
                if b"jobs" in command:
                    return pid
            time.sleep(0.1)
        return None

    def close(self) -> None:
        """Stop the server (SIGTERM to its group, SIGKILL if it lingers) and wait for it."""
        process, self._process = self._process, None
        if process is None:
            return
        for sent in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sent)
            try:
                process.wait(timeout=30)
                break
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the job runner, should it outlive gunicorn

    def _ready(self) -> bool:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            connection.request("GET", "/readyz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()


def _faregate() -> list[str]:
    """The ``faregate`` command of this Python environment."""
    script = Path(sys.executable).parent / "faregate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "backend"]


def _children(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found
