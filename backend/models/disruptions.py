"""Disruptions: seat-map assignments made by operators, cancelled trip instances, what became
of each of their bookings, and the event log that webhooks deliver from.

A seat-map assignment made in the console overrides the seat map files for a route or a trip;
it applies to trip instances opened for sale afterwards (an opened instance keeps the map its
claims were made on, ``TripInventory.seat_map``).

A cancelled trip instance is recorded once, whoever cancelled it (an operator, a published feed
that no longer runs it, a GTFS-Realtime feed); its bookings are then re-accommodated or
refunded, each with one ``Reaccommodation`` row, so that the work can resume after a crash
without doing a booking twice.

``WebhookEvent`` rows are written in the transaction of what they report; delivery to each
subscribed endpoint happens afterwards (``backend.services.webhooks``). ``dedupe_key``, when
set, makes an event unique (an event found by scanning, such as a booking confirmed, is logged
once however many scans see it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base


class SeatMapAssignment(Base):
    """An operator's choice of seat map for a route or a trip, over the seat map files'."""

    __tablename__ = "seat_map_assignment"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)  # route, trip
    target_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seat_map: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime]
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))

    __table_args__ = (CheckConstraint("scope in ('route', 'trip')", name="scope"),)


class TripCancellation(Base):
    """A trip instance that no longer runs, and how far its re-accommodation has got."""

    __tablename__ = "trip_cancellation"

    trip_instance: Mapped[str] = mapped_column(String(160), primary_key=True)
    trip_id: Mapped[str] = mapped_column(String(128))
    route_id: Mapped[str] = mapped_column(String(128))
    service_date: Mapped[date] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(16))  # operator, feed, realtime
    reason: Mapped[str] = mapped_column(Text)
    cancelled_at: Mapped[datetime]
    cancelled_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16))  # pending, done
    done_at: Mapped[datetime | None]
    rebooked: Mapped[int]
    refunded: Mapped[int]

    __table_args__ = (
        CheckConstraint("source in ('operator', 'feed', 'realtime')", name="source"),
        CheckConstraint("status in ('pending', 'done')", name="status"),
    )


class Reaccommodation(Base):
    """What became of one booking of a cancelled trip instance: a new booking, or a refund."""

    __tablename__ = "reaccommodation"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    cancelled_instance: Mapped[str] = mapped_column(
        ForeignKey("trip_cancellation.trip_instance"), index=True
    )
    outcome: Mapped[str] = mapped_column(String(16))  # rebooked, refunded
    new_booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    delay_minutes: Mapped[int | None]
    refund_amount: Mapped[int | None]
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("outcome in ('rebooked', 'refunded')", name="outcome"),
        CheckConstraint(
            "(outcome = 'rebooked') = (new_booking_id IS NOT NULL)", name="new_booking"
        ),
    )


class WebhookEvent(Base):
    """Something other systems hear about: a booking created or cancelled, a trip cancelled or
    re-accommodated, a support case updated."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]

    __table_args__ = ({"sqlite_autoincrement": True},)


Index("ix_webhook_event_created_at", WebhookEvent.created_at)
