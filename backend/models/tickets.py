"""Tickets and the deny list.

A *ticket* is the right to travel that a signed credential carries: one per passenger of a
booking (a reserved seat, or a place of a class, on a leg range of a trip instance) or one per
period pass bought. The row holds every field of the credential and the id of the key that
signs it, so the credential's bytes can be made again at any time and come out the same
(Ed25519 signatures are deterministic). A cancelled booking's tickets are revoked: each
revocation appends an entry to the deny list. Entries are only ever appended, under the
deny-list writers' lock (``backend.services.tickets``), so their ids grow in commit order: a
reader that sees entry N sees every entry before it, and the entries up to N still in force
at a moment are exactly what a rule bundle built then holds, which lets the server send a
validator only what changed since its bundle (``backend.services.deny_deltas``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base


class Ticket(Base):
    """A right to travel, signed into a credential on demand."""

    __tablename__ = "ticket"

    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # base64url, no padding
    kind: Mapped[str] = mapped_column(String(16))  # reserved, period
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking.id", ondelete="CASCADE"), index=True
    )
    passenger_position: Mapped[int | None]
    product_id: Mapped[str] = mapped_column(String(128))
    rider_category_id: Mapped[str | None] = mapped_column(String(128))
    trip_instance: Mapped[str | None] = mapped_column(String(160))
    seat: Mapped[str | None] = mapped_column(String(40))
    board_stop_id: Mapped[str | None] = mapped_column(String(128))
    alight_stop_id: Mapped[str | None] = mapped_column(String(128))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    kid: Mapped[int]
    issued_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("kind in ('reserved', 'period')", name="kind"),
        CheckConstraint("valid_until > valid_from", name="validity"),
    )


class DenyEntry(Base):
    """One credential or account medium put on the deny list; ``id`` orders the list."""

    __tablename__ = "deny_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # ticket, media
    value: Mapped[str] = mapped_column(String(128), unique=True)
    reason: Mapped[str] = mapped_column(String(40))
    added_at: Mapped[datetime]
    # A ticket past its validity needs no denying: entries may then be dropped from the list.
    expires_at: Mapped[datetime | None] = mapped_column(index=True)

    __table_args__ = (CheckConstraint("kind in ('ticket', 'media')", name="kind"),)
