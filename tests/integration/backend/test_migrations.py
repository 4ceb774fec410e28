"""Migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from backend.db import make_engine
from backend.models import GTFS_TABLES, Base
from backend.schema import current_revisions, head_revisions, upgrade


def test_migrated_schema_matches_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_twice_is_harmless(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine)
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()
    engine.dispose()


def test_head_is_a_single_revision() -> None:
    assert len(head_revisions()) == 1


@pytest.mark.postgres
def test_gtfs_tables_are_partitioned_by_version_with_bytewise_ids(postgres_engine: Engine) -> None:
    with postgres_engine.connect() as connection:
        partitioned = set(
            connection.execute(
                text(
                    "SELECT c.relname FROM pg_partitioned_table p "
                    "JOIN pg_class c ON c.oid = p.partrelid"
                )
            ).scalars()
        )
        collations = dict(
            connection.execute(
                text(
                    "SELECT column_name, collation_name FROM information_schema.columns "
                    "WHERE table_name = 'gtfs_stop_times'"
                )
            ).all()
        )
    assert partitioned == {table.name for table in GTFS_TABLES.values()}
    assert collations["trip_id"] == "C"
    assert collations["stop_headsign"] is None


def test_servers_upgrading_at_once_migrate_one_after_the_other(empty_database_url: str) -> None:
    engines = [make_engine(empty_database_url) for _ in range(3)]
    failures: list[BaseException] = []

    def migrate(engine: Engine) -> None:
        try:
            upgrade(engine)
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=migrate, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert current_revisions(engines[0]) == head_revisions()
    for engine in engines:
        engine.dispose()
