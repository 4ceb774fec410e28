"""Reach a real PostgreSQL server for tests: ``TEST_DATABASE_URL`` or a throwaway cluster.

The throwaway cluster is made with the server binaries found on the machine (``pg_config
--bindir`` or ``/usr/lib/postgresql/*/bin``), listens only on a private Unix socket and is
removed when the test session ends. PostgreSQL refuses to run as root, so under root the
cluster belongs to the ``postgres`` (or ``nobody``) account.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from backend.db import normalize_url


def find_server_binaries() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is absent."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        )
        candidates.append(found.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if directory and all(Path(directory, tool).exists() for tool in ("initdb", "pg_ctl")):
            return Path(directory)
    return None


class ThrowawayCluster:
    """A private PostgreSQL cluster in a temporary directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="faregate-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self._owner = _unprivileged_account()

    def start(self) -> URL:
        """Initialise and start the cluster; return a URL to its ``postgres`` database."""
        self.socket_dir.mkdir()
        if self._owner is not None:
            os.chmod(self.root, 0o755)  # noqa: S103 - the cluster owner must enter it
            for path in (self.root, self.socket_dir):
                os.chown(path, self._owner.pw_uid, self._owner.pw_gid)
        self._run(["initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"])
        options = f"-k {self.socket_dir} -c listen_addresses='' -c fsync=off"
        self._run(
            [
                "pg_ctl",
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.root / "log"),
                "-w",
                "start",
            ]
        )
        return URL.create(
            "postgresql+psycopg",
            username="postgres",
            database="postgres",
            query={"host": str(self.socket_dir)},
        )

    def stop(self) -> None:
        """Stop the server and delete its files."""
        if self.data.exists():
            self._run(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, argv: Sequence[str]) -> None:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self._owner is not None:
            command = ["runuser", "-u", self._owner.pw_name, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)


def _unprivileged_account() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no postgres or nobody account to run PostgreSQL")


def create_database(server: URL, prefix: str = "faregate_test") -> URL:
    """Create an empty database on ``server``'s cluster and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _admin(server, f'CREATE DATABASE "{name}"')
    return server.set(database=name)


def drop_database(url: URL) -> None:
    """Drop the database ``url`` names, disconnecting anyone still in it."""
    _admin(url.set(database="postgres"), f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


def reset_database(url: URL) -> None:
    """Empty ``url``'s database: drop and recreate its public schema."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _admin(url: URL, statement: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def url_from_environment() -> URL | None:
    """``TEST_DATABASE_URL`` as a psycopg URL, or None when unset."""
    raw = os.environ.get("TEST_DATABASE_URL", "").strip()
    return normalize_url(raw) if raw else None
