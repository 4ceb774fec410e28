"""Disruptions: operators' seat-map assignments, cancelled trip instances and their bookings'
re-accommodation, and the webhook event log.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def _staff(table: str, column: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column(column, sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            [column],
            ["staff_user.id"],
            name=op.f(f"fk_{table}_{column}_staff_user"),
            ondelete="SET NULL",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "seat_map_assignment",
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("target_id", sa.String(length=128), nullable=False),
        sa.Column("seat_map", sa.String(length=80), nullable=False),
        _when("changed_at"),
        *_staff("seat_map_assignment", "changed_by"),
        sa.CheckConstraint("scope in ('route', 'trip')", name=op.f("ck_seat_map_assignment_scope")),
        sa.PrimaryKeyConstraint("scope", "target_id", name=op.f("pk_seat_map_assignment")),
    )
    op.create_table(
        "trip_cancellation",
        sa.Column("trip_instance", sa.String(length=160), nullable=False),
        sa.Column("trip_id", sa.String(length=128), nullable=False),
        sa.Column("route_id", sa.String(length=128), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _when("cancelled_at"),
        *_staff("trip_cancellation", "cancelled_by"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("done_at", nullable=True),
        sa.Column("rebooked", sa.Integer(), nullable=False),
        sa.Column("refunded", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "source in ('operator', 'feed', 'realtime')", name=op.f("ck_trip_cancellation_source")
        ),
        sa.CheckConstraint(
            "status in ('pending', 'done')", name=op.f("ck_trip_cancellation_status")
        ),
        sa.PrimaryKeyConstraint("trip_instance", name=op.f("pk_trip_cancellation")),
    )
    op.create_index(
        op.f("ix_trip_cancellation_service_date"), "trip_cancellation", ["service_date"]
    )
    op.create_table(
        "reaccommodation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("cancelled_instance", sa.String(length=160), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("new_booking_id", sa.Integer(), nullable=True),
        sa.Column("delay_minutes", sa.Integer(), nullable=True),
        sa.Column("refund_amount", sa.Integer(), nullable=True),
        _when("created_at"),
        sa.CheckConstraint(
            "outcome in ('rebooked', 'refunded')", name=op.f("ck_reaccommodation_outcome")
        ),
        sa.CheckConstraint(
            "(outcome = 'rebooked') = (new_booking_id IS NOT NULL)",
            name=op.f("ck_reaccommodation_new_booking"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_reaccommodation_booking_id_booking")
        ),
        sa.ForeignKeyConstraint(
            ["new_booking_id"],
            ["booking.id"],
            name=op.f("fk_reaccommodation_new_booking_id_booking"),
        ),
        sa.ForeignKeyConstraint(
            ["cancelled_instance"],
            ["trip_cancellation.trip_instance"],
            name=op.f("fk_reaccommodation_cancelled_instance_trip_cancellation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reaccommodation")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_reaccommodation_booking_id")),
    )
    op.create_index(
        op.f("ix_reaccommodation_cancelled_instance"), "reaccommodation", ["cancelled_instance"]
    )
    op.create_table(
        "webhook_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_event")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_webhook_event_dedupe_key")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_event_created_at", "webhook_event", ["created_at"])


def downgrade() -> None:
    op.drop_table("webhook_event")
    op.drop_table("reaccommodation")
    op.drop_table("trip_cancellation")
    op.drop_table("seat_map_assignment")
