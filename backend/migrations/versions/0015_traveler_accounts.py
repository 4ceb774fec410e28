"""Travelers' optional accounts: ``traveler_account``, their browser sessions
(``traveler_session``), the account a booking belongs to, and failed sign-ins counted per realm.

``booking.traveler_account_id`` is nullable (guest bookings have none); its index covers only
the bookings that have an account, so the guest bookings of a rush add no index entry. The
column is added in place: SQLite takes the foreign key inline in ``ADD COLUMN`` (rebuilding the
booking table would drop it, and with it, through their cascades, every passenger and ticket),
and PostgreSQL adds it as a named constraint. It has no ON DELETE action, as SQLite does not
report one declared inline: erasing an account clears its bookings' column before deleting it.

``login_failure.realm`` tells staff sign-ins from travelers' (rows from before are staff's), so
that neither can lock or unlock the other.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

WITH_ACCOUNT = "traveler_account_id IS NOT NULL"


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "traveler_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_traveler_account")),
        sa.UniqueConstraint("email", name=op.f("uq_traveler_account_email")),
    )
    op.create_table(
        "traveler_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["traveler_account.id"],
            name=op.f("fk_traveler_session_account_id_traveler_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_traveler_session")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_traveler_session_token_digest")),
    )
    op.create_index(op.f("ix_traveler_session_account_id"), "traveler_session", ["account_id"])
    op.create_index(op.f("ix_traveler_session_expires_at"), "traveler_session", ["expires_at"])
    op.add_column(
        "booking",
        sa.Column(
            "traveler_account_id",
            sa.Integer(),
            sa.ForeignKey(
                "traveler_account.id",
                name=op.f("fk_booking_traveler_account_id_traveler_account"),
            ),
            nullable=True,
        ),
        inline_references=op.get_bind().dialect.name == "sqlite",
    )
    op.create_index(
        "ix_booking_traveler_account_id",
        "booking",
        ["traveler_account_id"],
        postgresql_where=sa.text(WITH_ACCOUNT),
        sqlite_where=sa.text(WITH_ACCOUNT),
    )
    op.add_column(
        "login_failure",
        sa.Column("realm", sa.String(length=16), nullable=False, server_default="staff"),
    )


def downgrade() -> None:
    with op.batch_alter_table("login_failure") as batch:
        batch.drop_column("realm")
    op.drop_index("ix_booking_traveler_account_id", table_name="booking")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_column("booking", "traveler_account_id")  # SQLite drops its inline reference
    else:
        op.drop_constraint(
            op.f("fk_booking_traveler_account_id_traveler_account"), "booking", type_="foreignkey"
        )
        op.drop_column("booking", "traveler_account_id")
    op.drop_table("traveler_session")
    op.drop_table("traveler_account")
