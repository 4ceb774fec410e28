"""Messaging: e-mail waiting in the outbox, webhook endpoints, and each event's delivery.

``OutboxMessage`` rows are written in the transaction of what they announce and sent by SMTP
afterwards (``backend.services.outbox``); a message is retried with backoff until it is sent or
given up as ``failed``, so none is lost when the mail server is away.

A ``WebhookEndpoint`` is an operator's subscription of a URL to some event types; each
``WebhookEvent`` it subscribes to gets one ``WebhookDelivery`` row for it (unique on the pair),
which records the attempts until the endpoint answers 2xx or the delivery is given up
(``backend.services.webhooks``).

The booking event scanner finds bookings made or cancelled lately by time, outside the
booking path; the two indexes it reads are declared here, beside their reader (the one on
``cancelled_at`` holds cancelled bookings only, so making a booking does not write it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.models.reservations import Booking


class OutboxMessage(Base):
    """One message to send (an e-mail), with where its sending has got."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # email
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, failed
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status in ('pending', 'sent', 'failed')", name="status"),
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )


class WebhookEndpoint(Base):
    """A URL that receives the events of some types, signed with its own secret."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool]
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(200))


class WebhookDelivery(Base):
    """One event's delivery to one endpoint: its attempts and how the last one went."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_event.id"))
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered, failed
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        CheckConstraint("status in ('pending', 'delivered', 'failed')", name="status"),
        Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )


Index("ix_booking_created_at", Booking.created_at)
Index(
    "ix_booking_cancelled_at",
    Booking.cancelled_at,
    postgresql_where=Booking.cancelled_at.is_not(None),
    sqlite_where=Booking.cancelled_at.is_not(None),
)
