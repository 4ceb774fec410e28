"""Schema migrations with Alembic: upgrade, and where a database stands against the head."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from backend.db import WRITER_OPTION

SCRIPT_LOCATION = "backend:migrations"
MIGRATION_LOCK = (7318, 2)  # (class, key) of the advisory lock that serializes upgrades


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
    with engine.execution_options(**{WRITER_OPTION: True}).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:class, :key)"),
                {"class": MIGRATION_LOCK[0], "key": MIGRATION_LOCK[1]},
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revisions() -> tuple[str, ...]:
    """The revisions the packaged scripts end at."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions the database at ``engine`` is stamped with (empty when unmigrated)."""
    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
