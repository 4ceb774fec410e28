"""Staff sign-in to the web console: sessions, two-factor secrets, recovery codes and the
failed sign-ins that rate-limit it (and travelers' sign-in, counted apart).

A staff session is named by a random token kept in the signed session cookie; only its
SHA-256 digest is stored, so a copy of the table opens no session. A recovery code is stored
as an Argon2id hash and marked used once. Failed sign-ins are rows (one per failure) so that
every server process counts the same ones (``backend.services.login_throttle``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base


class StaffSession(Base):
    """A signed-in staff member in one browser; ``second_factor_due`` until the code is given."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    second_factor_due: Mapped[bool]
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the absolute end
    address: Mapped[str] = mapped_column(String(64))


class StaffTwoFactor(Base):
    """A staff member's TOTP secret (RFC 6238); unconfirmed while enrolment is under way."""

    __tablename__ = "staff_two_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    # The last 30-second time step whose code was accepted: a code is good once.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """A one-time code that stands in for a TOTP code; stored as an Argon2id hash."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginFailure(Base):
    """One failed or in-flight sign-in attempt, by email and by client address, at the
    console (``realm`` staff) or on the traveler pages (traveler)."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    realm: Mapped[str] = mapped_column(String(16), server_default="staff")
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_login_failure_email_failed_at", "email", "failed_at"),
        Index("ix_login_failure_address_failed_at", "address", "failed_at"),
        Index("ix_login_failure_failed_at", "failed_at"),
        {"sqlite_autoincrement": True},  # ids only grow: attempts are ranked by id
    )
