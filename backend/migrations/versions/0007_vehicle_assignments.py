"""Vehicle assignments: which block or trip instances each vehicle runs on a service day; an
index of reserved trip instances by service day, for the device bundle.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vehicle_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("vehicle_id", sa.String(length=128), nullable=False),
        sa.Column("block_id", sa.Text(), nullable=True),
        sa.Column("trips", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("assigned_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(block_id IS NULL) <> (trips IS NULL)", name=op.f("ck_vehicle_assignment_one_source")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by"],
            ["staff_user.id"],
            name=op.f("fk_vehicle_assignment_assigned_by_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_assignment")),
        sa.UniqueConstraint(
            "service_date", "vehicle_id", name=op.f("uq_vehicle_assignment_service_date")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_trip_inventory_service_date"), "trip_inventory", ["service_date"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_trip_inventory_service_date"), table_name="trip_inventory")
    op.drop_table("vehicle_assignment")
