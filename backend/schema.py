"""Schema migrations with Alembic: upgrade, and where a database stands against the head."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from backend.db import SQLITE_BUSY_TIMEOUT_MS, WRITER_OPTION

SCRIPT_LOCATION = "backend:migrations"
MIGRATION_LOCK = (7318, 2)  # (class, key) of the advisory lock that serializes upgrades
# How long an upgrade waits for another one on SQLite: a whole migration, not a request.
SQLITE_UPGRADE_WAIT_MS = 600_000


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` in one transaction per backend rules.

    On PostgreSQL the transaction first takes an advisory lock, so that servers started
    together (each running ``faregate db upgrade`` before it serves) migrate one after the
    other: the later ones find the schema at the head and do nothing. On SQLite the transaction
    takes the write lock at once (``BEGIN IMMEDIATE``), to the same effect.
    """
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # wait for the write lock as long as another upgrade may hold it
            _busy_timeout(connection, SQLITE_UPGRADE_WAIT_MS)
        try:
            with connection.execution_options(**{WRITER_OPTION: True}).begin():
                if not sqlite:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:class, :key)"),
                        {"class": MIGRATION_LOCK[0], "key": MIGRATION_LOCK[1]},
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        finally:
            if sqlite:
                _busy_timeout(connection, SQLITE_BUSY_TIMEOUT_MS)


def _busy_timeout(connection: Connection, milliseconds: int) -> None:
    """Set how long SQLite waits for a lock on ``connection``, outside any transaction."""
    connection.connection.driver_connection.execute(  # type: ignore[union-attr]
        f"PRAGMA busy_timeout = {int(milliseconds)}"
    )


def head_revisions() -> tuple[str, ...]:
    """The revisions the packaged scripts end at."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions the database at ``engine`` is stamped with (empty when unmigrated)."""
    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
