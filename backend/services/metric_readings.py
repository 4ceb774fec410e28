"""What ``/metrics`` reads from the database when it is scraped: the live holds, and what each
validator device last reported.

Two queries per scrape, whatever the traffic: nothing here runs on a request's path. A device
is listed once provisioned and until revoked; one that never synced has no lag to report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Device, Hold


@dataclass(frozen=True)
class DeviceSync:
    """A device's last sync and the backlog it reported then (None: not reported)."""

    device_id: str
    last_sync_at: datetime | None
    backlog: int | None

    def lag_seconds(self, now: datetime) -> float | None:
        """Seconds since the last sync at ``now``; None before the first."""
        if self.last_sync_at is None:
            return None
        return max(0.0, (now - self.last_sync_at).total_seconds())


@dataclass(frozen=True)
class MetricReadings:
    """The gauges read at one scrape."""

    live_holds: int
    held_places: int
    devices: tuple[DeviceSync, ...]


def read_metrics(session: Session, now: datetime) -> MetricReadings:
    """The holds live at ``now`` (held and not expired) and the active devices' syncs."""
    holds, places = session.execute(
        select(func.count(), func.coalesce(func.sum(Hold.party), 0)).where(
            Hold.status == "held", Hold.expires_at > now
        )
    ).one()
    rows = session.execute(
        select(Device.id, Device.last_sync_at, Device.backlog)
        .where(Device.provisioned_at.is_not(None), Device.revoked_at.is_(None))
        .order_by(Device.id)
    ).all()
    devices = tuple(DeviceSync(row.id, row.last_sync_at, row.backlog) for row in rows)
    return MetricReadings(int(holds), int(places), devices)
