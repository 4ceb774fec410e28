"""Payments of bookings made through the traveler pages.

One row per checked-out hold (a hold becomes at most one booking, found by ``booking.hold_id``):
which provider takes the money, how much, the provider's reference, and where the payment
stands. A payment is written *before* its hold is confirmed, so a booking made through the
pages never exists without one:

- ``authorized``: the provider accepted it; captured (``paid``) once the booking exists;
- ``pending``: owed at the counter (pay-at-the-counter bookings), until staff mark it paid;
- ``paid``: the money is in; the booking's tickets are issued in the same transaction;
- ``void``: nothing was taken (the hold ran out, or an unpaid booking was cancelled);
- ``refunded`` / ``refund_due``: a paid booking was cancelled; the money went back, or is to
  be handed back at the counter.

Amounts are integer minor units of ``currency`` (null for a journey the fares do not price,
whose amount is 0).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base

PAYMENT_STATUSES = ("authorized", "pending", "paid", "void", "refunded", "refund_due")
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class Payment(Base):
    """What a checked-out hold costs, who takes the money, and where that stands."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    hold_id: Mapped[str] = mapped_column(ForeignKey("hold.id"), unique=True)
    provider: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    amount: Mapped[int]
    currency: Mapped[str | None] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    received_by: Mapped[str | None] = mapped_column(String(254))  # staff at the counter
    receipt: Mapped[str | None] = mapped_column(String(64))  # the counter's receipt number

    __table_args__ = (
        CheckConstraint(
            "status in ('authorized', 'pending', 'paid', 'void', 'refunded', 'refund_due')",
            name="status",
        ),
        CheckConstraint("amount >= 0", name="amount"),
    )
