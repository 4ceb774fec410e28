"""Migrations build exactly the schema the models declare, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from backend.db import make_engine
from backend.models import Base
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
