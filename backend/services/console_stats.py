"""The operator dashboard's figures: bookings per day, load factor per route, taps per hour.

Days and hours are the network's local ones (the active feed's agency timezone). On
PostgreSQL the database counts per local day or hour; on SQLite, the embedded database of
small sites, the times of the range are read and counted here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Booking, Tap
from backend.services.trip_loads import TripLoad

BOOKING_DAYS = 14


@dataclass(frozen=True)
class DayCount:
    """Bookings made on one local day."""

    day: date
    bookings: int


@dataclass(frozen=True)
class RouteLoad:
    """A route's trip instances of one day together: booked seat-legs ÷ seat-legs offered."""

    route_id: str
    route_name: str
    trips: int
    seat_legs_sold: int
    seat_legs: int

    @property
    def load_factor(self) -> float:
        """The route's load factor (0 when it offers no seats)."""
        return self.seat_legs_sold / self.seat_legs if self.seat_legs else 0.0


@dataclass(frozen=True)
class HourTaps:
    """Taps in one local hour of a day, allowed and denied."""

    hour: int
    allowed: int
    denied: int


def local_range(day: date, zone: ZoneInfo, days: int = 1) -> tuple[datetime, datetime]:
    """The UTC instants at which local ``day`` starts and ``days`` later ends."""
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=days), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)  # in UTC, where time runs evenly


def bookings_per_day(
    session: Session, last_day: date, zone: ZoneInfo, days: int = BOOKING_DAYS
) -> list[DayCount]:
    """Bookings made on each of the ``days`` local days ending with ``last_day``."""
    first_day = last_day - timedelta(days=days - 1)
    start, end = local_range(first_day, zone, days)
    counts = _local_counts(session, Booking.created_at, (start, end), zone, unit="day")
    shown = [first_day + timedelta(days=n) for n in range(days)]
    return [DayCount(day, counts.get((day, None), 0)) for day in shown]


def revenue_on(session: Session, day: date, zone: ZoneInfo) -> list[tuple[str, int]]:
    """The totals of bookings made on local ``day`` and still confirmed, by currency."""
    start, end = local_range(day, zone)
    rows = session.execute(
        select(Booking.currency, func.sum(Booking.total_amount))
        .where(Booking.created_at >= start, Booking.created_at < end)
        .where(Booking.status == "confirmed", Booking.currency.is_not(None))
        .group_by(Booking.currency)
        .order_by(Booking.currency)
    )
    return [(str(currency), int(total or 0)) for currency, total in rows]


def taps_per_hour(session: Session, day: date, zone: ZoneInfo) -> list[HourTaps]:
    """Taps of each local hour of ``day`` (23 or 25 hours on days the clocks change)."""
    start, end = local_range(day, zone)
    counts = _local_counts(
        session, Tap.tapped_at, (start, end), zone, unit="hour", split=Tap.allowed
    )
    hours = int((end - start).total_seconds() // 3600)
    result = []
    for n in range(hours):
        local = (start + timedelta(hours=n)).astimezone(zone).replace(tzinfo=None)
        key = local.replace(minute=0, second=0, microsecond=0)
        # The hour repeated when the clocks go back is counted once, at its first showing.
        allowed, denied = counts.pop((key, True), 0), counts.pop((key, False), 0)
        result.append(HourTaps(local.hour, allowed, denied))
    return result


def load_by_route(loads: Sequence[TripLoad]) -> list[RouteLoad]:
    """The day's load factor per route, of routes with seats, fullest first."""
    totals: dict[str, list[Any]] = {}
    for load in loads:
        if not load.seat_legs:
            continue
        entry = totals.setdefault(load.route_id, [load.route_name, 0, 0, 0])
        entry[1] += 1
        entry[2] += load.seat_legs_sold
        entry[3] += load.seat_legs
    routes = [RouteLoad(route_id, *values) for route_id, values in totals.items()]
    return sorted(routes, key=lambda route: (-route.load_factor, route.route_name))


def _local_counts(
    session: Session,
    column: Any,
    between: tuple[datetime, datetime],
    zone: ZoneInfo,
    *,
    unit: str,
    split: Any = None,
) -> Counter[tuple[Any, Any]]:
    """Rows with ``column`` in [start, end) per local ``unit`` ("day" or "hour") and ``split``.

    Keys are (local date, split value) for days, (naive local datetime of the hour, split
    value) for hours; the split value is None without ``split``.
    """
    where = (column >= between[0], column < between[1])
    extra = [split] if split is not None else []
    counts: Counter[tuple[Any, Any]] = Counter()
    if session.get_bind().dialect.name == "postgresql":
        bucket = func.date_trunc(unit, func.timezone(zone.key, column))
        rows = session.execute(
            select(bucket, *extra, func.count()).where(*where).group_by(bucket, *extra)
        )
        for row in rows:
            key = row[0].date() if unit == "day" else row[0]
            counts[(key, row[1] if extra else None)] += row[-1]
        return counts
    for row in session.execute(select(column, *extra).where(*where)):
        local = row[0].astimezone(zone).replace(tzinfo=None)
        key = local.date() if unit == "day" else local.replace(minute=0, second=0, microsecond=0)
        counts[(key, row[1] if extra else None)] += 1
    return counts
