"""Staff sign-in to the web console: sessions, TOTP secrets, recovery codes, failed sign-ins.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def _user(table: str, *, primary: bool = False) -> list[Any]:
    """A ``user_id`` column naming a staff user, deleted with the user."""
    return [
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_user.id"],
            name=op.f(f"fk_{table}_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        *([sa.PrimaryKeyConstraint("user_id", name=op.f(f"pk_{table}"))] if primary else []),
    ]


def upgrade() -> None:
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        *_user("staff_session"),
        sa.Column("second_factor_due", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("last_seen_at"),
        _when("expires_at"),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_session")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_staff_session_token_digest")),
    )
    op.create_index(op.f("ix_staff_session_user_id"), "staff_session", ["user_id"])
    op.create_index(op.f("ix_staff_session_expires_at"), "staff_session", ["expires_at"])
    op.create_table(
        "staff_two_factor",
        *_user("staff_two_factor", primary=True),
        sa.Column("secret", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("confirmed_at", nullable=True),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "staff_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        *_user("staff_recovery_code"),
        sa.Column("code_hash", sa.String(length=255), nullable=False),
        _when("created_at"),
        _when("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_code")),
    )
    op.create_index(op.f("ix_staff_recovery_code_user_id"), "staff_recovery_code", ["user_id"])
    op.create_table(
        "login_failure",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        _when("failed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_login_failure_email_failed_at", "login_failure", ["email", "failed_at"])
    op.create_index("ix_login_failure_address_failed_at", "login_failure", ["address", "failed_at"])
    op.create_index("ix_login_failure_failed_at", "login_failure", ["failed_at"])


def downgrade() -> None:
    op.drop_table("login_failure")
    op.drop_table("staff_recovery_code")
    op.drop_table("staff_two_factor")
    op.drop_table("staff_session")
