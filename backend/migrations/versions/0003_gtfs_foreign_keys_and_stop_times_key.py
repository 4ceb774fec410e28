"""GTFS tables: no foreign key to feed_version; stop_times without a primary key.

A version's GTFS rows are written in the transaction that creates the version, and on
PostgreSQL they live in the version's own partitions; checking a foreign key for each row
(or for a whole partition when it is attached) proved nothing the import does not already
guarantee, and cost an extra pass over the largest files.

stop_times, by far the largest table, loses its primary key index for a plain index on
trip_id: the validator refuses a feed with a duplicate (trip_id, stop_sequence) before any
row is stored, and the plain index serves every lookup at half the cost of building.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gtfs.schema import TABLES

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STOP_TIMES = "gtfs_stop_times"
KEY = ["feed_version_id", "trip_id", "stop_sequence"]


def _foreign_key(table: str) -> str:
    return f"fk_{table}_feed_version_id_feed_version"


def upgrade() -> None:
    for gtfs_table in TABLES:
        table = f"gtfs_{gtfs_table.name}"
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(_foreign_key(table), type_="foreignkey")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_stop_times(primary_key=False)
    else:
        op.drop_constraint(f"pk_{STOP_TIMES}", STOP_TIMES, type_="primary")
    op.create_index(f"ix_{STOP_TIMES}_trip_id", STOP_TIMES, ["trip_id"])


def downgrade() -> None:
    op.drop_index(f"ix_{STOP_TIMES}_trip_id", STOP_TIMES)
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_stop_times(primary_key=True)
    else:
        op.create_primary_key(f"pk_{STOP_TIMES}", STOP_TIMES, KEY)
    for gtfs_table in TABLES:
        table = f"gtfs_{gtfs_table.name}"
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                _foreign_key(table), "feed_version", ["feed_version_id"], ["id"], ondelete="CASCADE"
            )


def _rebuild_stop_times(*, primary_key: bool) -> None:
    """SQLite cannot drop or add a primary key: copy the table into one with or without it."""
    existing = sa.Table(STOP_TIMES, sa.MetaData(), autoload_with=op.get_bind())
    columns = [
        sa.Column(column.name, column.type, nullable=column.nullable) for column in existing.columns
    ]
    key = [sa.PrimaryKeyConstraint(*KEY, name=f"pk_{STOP_TIMES}")] if primary_key else []
    rebuilt = sa.Table(STOP_TIMES, sa.MetaData(), *columns, *key)
    sa.Index(f"ix_{STOP_TIMES}_stop_id", rebuilt.c.stop_id)
    with op.batch_alter_table(STOP_TIMES, recreate="always", copy_from=rebuilt):
        pass
