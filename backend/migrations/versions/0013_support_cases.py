"""Support cases: cases, their notes, and refunds given on them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    op.create_table(
        "support_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("media_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("tap_id", BIG_ID, nullable=True),
        sa.Column("travel_day", sa.Date(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("dedupe_key", sa.String(length=80), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        _when("due_at"),
        _when("resolved_at", nullable=True),
        sa.CheckConstraint(
            _in(
                "kind",
                (
                    "gate_did_not_open",
                    "charged_twice",
                    "refund",
                    "lost_card",
                    "disruption",
                    "other",
                ),
            ),
            name=op.f("ck_support_case_kind"),
        ),
        sa.CheckConstraint(
            _in("status", ("new", "open", "waiting_on_traveler", "resolved", "closed")),
            name=op.f("ck_support_case_status"),
        ),
        sa.CheckConstraint(
            _in("priority", ("low", "normal", "high", "urgent")),
            name=op.f("ck_support_case_priority"),
        ),
        sa.CheckConstraint(
            _in("source", ("traveler", "staff", "system")), name=op.f("ck_support_case_source")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_support_case_booking_id_booking")
        ),
        sa.ForeignKeyConstraint(
            ["tap_id"], ["tap.id"], name=op.f("fk_support_case_tap_id_tap"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["staff_user.id"],
            name=op.f("fk_support_case_assignee_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_case")),
        sa.UniqueConstraint("reference", name=op.f("uq_support_case_reference")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_support_case_dedupe_key")),
    )
    op.create_index(op.f("ix_support_case_booking_id"), "support_case", ["booking_id"])
    op.create_index(
        op.f("ix_support_case_media_fingerprint"), "support_case", ["media_fingerprint"]
    )
    op.create_index(op.f("ix_support_case_assignee_id"), "support_case", ["assignee_id"])
    op.create_index("ix_support_case_status_due_at", "support_case", ["status", "due_at"])
    op.create_table(
        "support_case_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_kind", sa.String(length=8), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        _when("created_at"),
        sa.CheckConstraint(
            _in("author_kind", ("traveler", "staff", "system")),
            name=op.f("ck_support_case_note_author_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["support_case.id"],
            name=op.f("fk_support_case_note_case_id_support_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["staff_user.id"],
            name=op.f("fk_support_case_note_author_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_case_note")),
    )
    op.create_index(op.f("ix_support_case_note_case_id"), "support_case_note", ["case_id"])
    op.create_table(
        "support_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("travel_day", sa.Date(), nullable=False),
        sa.Column("journey_first_tap_id", BIG_ID, nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _when("created_at"),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_support_refund_amount")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["support_case.id"],
            name=op.f("fk_support_refund_case_id_support_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["journey_first_tap_id"],
            ["tap.id"],
            name=op.f("fk_support_refund_journey_first_tap_id_tap"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_refund")),
        sa.UniqueConstraint(
            "journey_first_tap_id", name=op.f("uq_support_refund_journey_first_tap_id")
        ),
    )
    op.create_index(op.f("ix_support_refund_case_id"), "support_refund", ["case_id"])


def downgrade() -> None:
    op.drop_table("support_refund")
    op.drop_table("support_case_note")
    op.drop_table("support_case")
