"""The day's vehicle assignments: which block, or which trip instances, a vehicle runs.

An assignment names a GTFS ``block_id`` (the vehicle runs every trip of the block running
that service day, in departure order) or an explicit ordered list of trip instances
(``TRIPID@YYYY-MM-DD`` of that service day), never both. A changed assignment is stored as
a new row (the old one deleted), and ids are never reused, so the id count and sum over a
range of days change whenever any assignment in it does: the device bundle's fingerprint
relies on that.

The bundle also reads the reserved trip instances of the service days it covers, so this
module adds an index on ``trip_inventory.service_date`` (migration 0007).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.models.reservations import TripInventory


class VehicleAssignment(Base):
    """What one vehicle runs on one service day."""

    __tablename__ = "vehicle_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[date]
    vehicle_id: Mapped[str] = mapped_column(String(128))
    block_id: Mapped[str | None] = mapped_column(Text)
    trips: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    assigned_at: Mapped[datetime]
    assigned_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    __table_args__ = (
        CheckConstraint("(block_id IS NULL) <> (trips IS NULL)", name="one_source"),
        UniqueConstraint("service_date", "vehicle_id"),
        {"sqlite_autoincrement": True},
    )


# The device bundle's manifests and fingerprint look up trip instances by service day.
Index("ix_trip_inventory_service_date", TripInventory.service_date)
