"""Fares and tickets: holds and bookings priced, one ticket per traveler, the deny list.

A hold is priced when it is made (per traveler, for the default rider category) and keeps the
validity its tickets will have; confirming it copies the price to the booking's passengers and
writes one ticket per passenger in the same statement. Tickets of period passes have no
booking. The deny list is an append-only table whose ids version it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _priced() -> dict[str, tuple[sa.Column[object], ...]]:
    """The fare columns added to each reservation table (new objects on every call)."""
    return {
        "hold": (
            sa.Column("fare_product_id", sa.String(length=128), nullable=True),
            sa.Column("fare_amount", sa.Integer(), nullable=True),
            sa.Column("currency", sa.String(length=3), nullable=True),
            sa.Column("rider_category_id", sa.String(length=128), nullable=True),
            sa.Column("valid_from", UtcDateTime(timezone=True), nullable=True),
            sa.Column("valid_until", UtcDateTime(timezone=True), nullable=True),
        ),
        "booking": (
            sa.Column("total_amount", sa.Integer(), nullable=True),
            sa.Column("currency", sa.String(length=3), nullable=True),
        ),
        "booking_passenger": (
            sa.Column("rider_category_id", sa.String(length=128), nullable=True),
            sa.Column("fare_product_id", sa.String(length=128), nullable=True),
            sa.Column("fare_amount", sa.Integer(), nullable=True),
        ),
    }


def upgrade() -> None:
    op.create_table(
        "deny_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("added_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind in ('ticket', 'media')", name=op.f("ck_deny_entry_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deny_entry")),
        sa.UniqueConstraint("value", name=op.f("uq_deny_entry_value")),
    )
    op.create_table(
        "ticket",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("passenger_position", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.String(length=128), nullable=False),
        sa.Column("rider_category_id", sa.String(length=128), nullable=True),
        sa.Column("trip_instance", sa.String(length=160), nullable=True),
        sa.Column("seat", sa.String(length=40), nullable=True),
        sa.Column("board_stop_id", sa.String(length=128), nullable=True),
        sa.Column("alight_stop_id", sa.String(length=128), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("kid", sa.Integer(), nullable=False),
        sa.Column("issued_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("valid_from", UtcDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind in ('reserved', 'period')", name=op.f("ck_ticket_kind")),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_ticket_validity")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
            name=op.f("fk_ticket_booking_id_booking"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
    )
    op.create_index(op.f("ix_ticket_booking_id"), "ticket", ["booking_id"], unique=False)
    for table, columns in _priced().items():
        for column in columns:
            op.add_column(table, column)


def downgrade() -> None:
    for table, columns in _priced().items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column.name)
    op.drop_table("ticket")
    op.drop_table("deny_entry")
