"""Payments of bookings made through the traveler pages: provider, status, amount, reference.

One row per checked-out hold, written before the hold is confirmed (``backend.models.payments``
describes the statuses).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "payment",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("hold_id", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("paid_at", nullable=True),
        _when("ended_at", nullable=True),
        sa.Column("received_by", sa.String(length=254), nullable=True),
        sa.Column("receipt", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status in ('authorized', 'pending', 'paid', 'void', 'refunded', 'refund_due')",
            name=op.f("ck_payment_status"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_payment_amount")),
        sa.ForeignKeyConstraint(["hold_id"], ["hold.id"], name=op.f("fk_payment_hold_id_hold")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_payment_hold_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_payment_reference")),
    )
    op.create_index(op.f("ix_payment_status"), "payment", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_payment_status"), table_name="payment")
    op.drop_table("payment")
