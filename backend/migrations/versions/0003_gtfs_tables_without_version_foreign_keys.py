"""GTFS tables: no foreign key to feed_version.

A version's GTFS rows are written in the transaction that creates the version, and on
PostgreSQL they live in the version's own partitions; checking a foreign key for each row
(or for a whole partition when it is attached) proved nothing the import does not already
guarantee, and cost an extra pass over the largest files.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

from gtfs.schema import TABLES

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _constraint(table: str) -> str:
    return f"fk_{table}_feed_version_id_feed_version"


def upgrade() -> None:
    for gtfs_table in TABLES:
        table = f"gtfs_{gtfs_table.name}"
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(_constraint(table), type_="foreignkey")


def downgrade() -> None:
    for gtfs_table in TABLES:
        table = f"gtfs_{gtfs_table.name}"
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                _constraint(table), "feed_version", ["feed_version_id"], ["id"], ondelete="CASCADE"
            )
