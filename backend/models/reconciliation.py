"""What the end-of-day reconciliation makes of uploaded taps: passback flags, journeys of
account-based media with their legs and charges, daily charges after caps, and its runs.

Everything here is derived from the ``tap`` table and can be made again: reconciling a travel
day replaces that day's journeys, legs and charges, keeps the passback flags that still hold
(and their flag time), and records the run. Amounts are integer minor units of ``currency``.
A tap belongs to at most one journey (``reconciled_tap``'s key), so no tap is charged twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base

JOURNEY_STATUSES = ("complete", "incomplete")
RIDE_KINDS = ("gate", "bus")
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class PassbackFlag(Base):
    """One credential let in by two devices within the passback window (the later tap named
    second); one flag per later tap at most."""

    __tablename__ = "passback_flag"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    first_tap_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("tap.id"))
    second_tap_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("tap.id"), unique=True)
    travel_day: Mapped[date] = mapped_column(index=True)
    gap_ms: Mapped[int] = mapped_column(BigInteger)
    window_s: Mapped[int]
    flagged_at: Mapped[datetime]


class Journey(Base):
    """A journey of one account medium: legs joined by the fare transfer rules, or one
    incomplete ride; its fare before caps and the charge after them."""

    __tablename__ = "journey"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    travel_day: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    first_tap_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("tap.id"), unique=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    currency: Mapped[str] = mapped_column(String(3))
    fare_minor: Mapped[int] = mapped_column(BigInteger)
    charged_minor: Mapped[int] = mapped_column(BigInteger)
    limited_by: Mapped[str | None] = mapped_column(String(8))
    explanation: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status in ('complete', 'incomplete')", name="status"),
        CheckConstraint("charged_minor >= 0 AND charged_minor <= fare_minor", name="charged"),
        Index("ix_journey_fingerprint_travel_day", "fingerprint", "travel_day"),
        Index("ix_journey_travel_day", "travel_day"),
    )


class JourneyLeg(Base):
    """One ride of a journey: a gate entry (and exit) or a bus boarding, where it went, and
    the fare the engine gave it (None where the journey was charged the maximum fare)."""

    __tablename__ = "journey_leg"

    journey_id: Mapped[int] = mapped_column(
        BIG_ID, ForeignKey("journey.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8))
    entry_tap_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("tap.id"))
    exit_tap_id: Mapped[int | None] = mapped_column(BIG_ID, ForeignKey("tap.id"))
    trip_instance: Mapped[str | None] = mapped_column(String(160))
    route_id: Mapped[str | None] = mapped_column(String(128))
    from_stop_id: Mapped[str | None] = mapped_column(String(128))
    to_stop_id: Mapped[str | None] = mapped_column(String(128))
    entered_at: Mapped[datetime]
    exited_at: Mapped[datetime | None]
    fare_product_id: Mapped[str | None] = mapped_column(String(128))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    explanation: Mapped[str] = mapped_column(Text)

    __table_args__ = (CheckConstraint("kind in ('gate', 'bus')", name="kind"),)


class ReconciledTap(Base):
    """A tap taken into a journey, so that no other journey or day takes it again."""

    __tablename__ = "reconciled_tap"

    tap_id: Mapped[int] = mapped_column(BIG_ID, ForeignKey("tap.id"), primary_key=True)
    journey_id: Mapped[int] = mapped_column(
        BIG_ID, ForeignKey("journey.id", ondelete="CASCADE"), index=True
    )
    travel_day: Mapped[date] = mapped_column(index=True)


class DailyCharge(Base):
    """What one account medium is charged for a travel day, after daily and weekly caps."""

    __tablename__ = "daily_charge"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    travel_day: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    rider_category_id: Mapped[str] = mapped_column(String(128))
    fare_media_id: Mapped[str] = mapped_column(String(128))
    journeys: Mapped[int]
    fare_minor: Mapped[int] = mapped_column(BigInteger)
    charged_minor: Mapped[int] = mapped_column(BigInteger)
    explanation: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_daily_charge_travel_day", "travel_day"),)


class ReconciliationRun(Base):
    """The last reconciliation of a travel day and how many allowed taps it saw, so that a
    day whose window has gained taps since (a device that was offline) is run again."""

    __tablename__ = "reconciliation_run"

    travel_day: Mapped[date] = mapped_column(primary_key=True)
    reconciled_at: Mapped[datetime]
    taps_seen: Mapped[int]
    journeys: Mapped[int]
    incomplete: Mapped[int]
    flags: Mapped[int]
