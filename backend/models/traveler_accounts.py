"""Travelers' optional accounts and their signed-in browser sessions.

An account is an e-mail address (stored lower case, unique) and an Argon2id password hash;
bookings point at the account they belong to (``booking.traveler_account_id``). A session is
named by a random token kept in the browser's signed session cookie; only its SHA-256 digest
is stored, so a copy of the table opens no session. Deleting an account (its erasure) deletes
its sessions and leaves its bookings with no account.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base


class TravelerAccount(Base):
    """A traveler who signed up, to find their bookings under My trips."""

    __tablename__ = "traveler_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class TravelerSession(Base):
    """A traveler signed in in one browser, until ``expires_at`` or signing out."""

    __tablename__ = "traveler_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("traveler_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
