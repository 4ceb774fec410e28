"""Reach a real PostgreSQL server for tests: ``TEST_DATABASE_URL`` or a throwaway cluster.

The throwaway cluster is made by ``backend.ops.clusters`` with the server binaries found on
the machine (``pg_config --bindir`` or ``/usr/lib/postgresql/*/bin``), listens only on a
private Unix socket and is removed when the test session ends. PostgreSQL refuses to run as
root, so under root the cluster belongs to the ``postgres`` (or ``nobody``) account.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from backend.db import normalize_url
from backend.ops.clusters import ClusterFolder, LocalCluster, find_server_binaries

__all__ = [
    "ThrowawayCluster",
    "create_database",
    "drop_database",
    "find_server_binaries",
    "reset_database",
    "url_from_environment",
]


class ThrowawayCluster:
    """A private PostgreSQL cluster in a temporary directory, reached on a Unix socket only."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self._folder: ClusterFolder | None = None
        self._cluster: LocalCluster | None = None

    def start(self) -> URL:
        """Initialise and start the cluster; return a URL to its ``postgres`` database."""
        self._folder = ClusterFolder()
        self._cluster = LocalCluster(self._folder, self.bindir, "data")
        self._cluster.initialise()
        self._cluster.start({"listen_addresses": "", "fsync": "off"})
        return URL.create(
            "postgresql+psycopg",
            username="postgres",
            database="postgres",
            query={"host": str(self._cluster.socket_dir)},
        )

    def stop(self) -> None:
        """Stop the server and delete its files."""
        if self._cluster is not None:
            self._cluster.stop_if_running()
        if self._folder is not None:
            self._folder.remove()


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
