"""The audit log of staff actions (``audit_event``), which also records travelers' personal
data being exported and erased.

Actors are copied into each row (id, e-mail, role at the time) rather than referenced by a
foreign key: the log outlives the accounts it names and must not block changing them. Erasure
itself needs no table: an erased address is replaced by a placeholder derived from its hash
(``backend.services.personal_data``), and the audit row keeps that hash.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("occurred_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sa.String(length=254), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=True),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("target", sa.JSON(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.CheckConstraint("via in ('console', 'api', 'cli')", name=op.f("ck_audit_event_via")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_audit_event_occurred_at"), "audit_event", ["occurred_at"])
    op.create_index(
        "ix_audit_event_actor_email_occurred_at", "audit_event", ["actor_email", "occurred_at"]
    )
    op.create_index("ix_audit_event_action_occurred_at", "audit_event", ["action", "occurred_at"])


def downgrade() -> None:
    op.drop_table("audit_event")
