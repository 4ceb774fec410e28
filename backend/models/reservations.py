"""Seat inventory: trip instances opened for sale, holds, claims on seats and places, bookings.

A *claim* is what stops a second sale. A seat claim covers one seat of a trip instance over
the leg range [board, alight); a place claim covers ``places`` unassigned places of a class
over a leg range, counted on per-leg capacity rows. A claim belongs to a hold; while the hold
is only held the claim carries the hold's expiry, and confirming the hold into a booking clears
it, making the claim permanent. Claims whose expiry has passed count for nothing, whether or
not a sweep has deleted them yet.

The database is the guard against selling a seat-leg twice: on PostgreSQL an exclusion
constraint over (trip instance, seat, int4range(board, alight)) and a CHECK on each leg's
capacity row; on SQLite a trigger refuses overlapping seat claims and the same CHECK holds
(migration 0004).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base


class TripInventory(Base):
    """A trip instance opened for sale: the timetable facts its claims are measured against."""

    __tablename__ = "trip_inventory"

    trip_instance: Mapped[str] = mapped_column(String(160), primary_key=True)
    feed_version_id: Mapped[int]
    trip_id: Mapped[str] = mapped_column(String(128))
    service_date: Mapped[date]
    route_id: Mapped[str] = mapped_column(String(128))
    seat_map: Mapped[str] = mapped_column(String(80))
    stop_ids: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class LegCapacity(Base):
    """Unassigned places of one class on one leg of a trip instance, and how many are used."""

    __tablename__ = "leg_capacity"

    trip_instance: Mapped[str] = mapped_column(
        ForeignKey("trip_inventory.trip_instance", ondelete="CASCADE"), primary_key=True
    )
    seat_class: Mapped[str] = mapped_column(String(40), primary_key=True)
    leg: Mapped[int] = mapped_column(primary_key=True)
    capacity: Mapped[int]
    used: Mapped[int]

    __table_args__ = (CheckConstraint("used >= 0 AND used <= capacity", name="within_capacity"),)


class Hold(Base):
    """Seats or places kept for a traveler until ``expires_at``, then confirmed or let go."""

    __tablename__ = "hold"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    trip_instance: Mapped[str] = mapped_column(
        ForeignKey("trip_inventory.trip_instance", ondelete="CASCADE"), index=True
    )
    board: Mapped[int]
    alight: Mapped[int]
    board_stop_id: Mapped[str] = mapped_column(String(128))
    alight_stop_id: Mapped[str] = mapped_column(String(128))
    seat_class: Mapped[str | None] = mapped_column(String(40))
    party: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # held, confirmed, released, expired
    assignment: Mapped[str | None] = mapped_column(String(16))  # how seats were chosen
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    # Priced when held, for the default rider category: the product and price per traveler
    # (None when the fares have no product for the journey), and the tickets' validity.
    fare_product_id: Mapped[str | None] = mapped_column(String(128))
    fare_amount: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    rider_category_id: Mapped[str | None] = mapped_column(String(128))
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("status in ('held', 'confirmed', 'released', 'expired')", name="status"),
        CheckConstraint("board >= 0 AND alight > board", name="legs"),
        CheckConstraint("party >= 1", name="party"),
    )


class SeatClaim(Base):
    """One seat of a trip instance over [board, alight), for a hold."""

    __tablename__ = "seat_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    hold_id: Mapped[str] = mapped_column(ForeignKey("hold.id", ondelete="CASCADE"), index=True)
    trip_instance: Mapped[str] = mapped_column(String(160))
    seat: Mapped[str] = mapped_column(String(40))
    board: Mapped[int]
    alight: Mapped[int]
    expires_at: Mapped[datetime | None]  # None once booked

    __table_args__ = (
        CheckConstraint("board >= 0 AND alight > board", name="legs"),
        Index("ix_seat_claim_trip_instance_seat", "trip_instance", "seat"),
    )


class PlaceClaim(Base):
    """Unassigned places of a class over [board, alight), for a hold."""

    __tablename__ = "place_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    hold_id: Mapped[str] = mapped_column(ForeignKey("hold.id", ondelete="CASCADE"), index=True)
    trip_instance: Mapped[str] = mapped_column(String(160), index=True)
    seat_class: Mapped[str] = mapped_column(String(40))
    board: Mapped[int]
    alight: Mapped[int]
    places: Mapped[int]
    expires_at: Mapped[datetime | None]  # None once booked

    __table_args__ = (
        CheckConstraint("board >= 0 AND alight > board", name="legs"),
        CheckConstraint("places >= 1", name="places"),
    )


class Booking(Base):
    """A confirmed hold, found by its reference."""

    __tablename__ = "booking"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    hold_id: Mapped[str] = mapped_column(ForeignKey("hold.id"), unique=True)
    trip_instance: Mapped[str] = mapped_column(String(160), index=True)
    status: Mapped[str] = mapped_column(String(16))  # confirmed, cancelled
    contact_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    total_amount: Mapped[int | None]  # minor units of ``currency``; None when unpriced
    currency: Mapped[str | None] = mapped_column(String(3))
    # The traveler account it belongs to: booked while signed in, or added to My trips.
    # Erasing the account clears it first (no ON DELETE action: SQLite could not reflect one
    # declared in ADD COLUMN).
    traveler_account_id: Mapped[int | None] = mapped_column(ForeignKey("traveler_account.id"))

    __table_args__ = (
        CheckConstraint("status in ('confirmed', 'cancelled')", name="status"),
        # Only bookings with an account are indexed: guest bookings add no index entry.
        Index(
            "ix_booking_traveler_account_id",
            "traveler_account_id",
            postgresql_where=text("traveler_account_id IS NOT NULL"),
            sqlite_where=text("traveler_account_id IS NOT NULL"),
        ),
    )


class BookingPassenger(Base):
    """One traveler of a booking, with the seat (or class of place) they travel in."""

    __tablename__ = "booking_passenger"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    seat: Mapped[str | None] = mapped_column(String(40))
    seat_class: Mapped[str] = mapped_column(String(40))
    rider_category_id: Mapped[str | None] = mapped_column(String(128))
    fare_product_id: Mapped[str | None] = mapped_column(String(128))
    fare_amount: Mapped[int | None]


class IdempotencyRecord(Base):
    """The response given to a POST carrying an ``Idempotency-Key``, replayed on a retry."""

    __tablename__ = "idempotency_record"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)  # e.g. "POST /holds"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)
