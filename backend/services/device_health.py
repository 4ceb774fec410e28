"""Whether a validator device needs an operator's attention, from what its syncs reported.

A provisioned, unrevoked device is flagged when:

- it has not synced for ``STALE_AFTER`` (agents sync every 30 s by default, so ten minutes
  is twenty missed syncs: the link or the device is down);
- its clock is more than ``SKEW_LIMIT_MS`` off the server's (ticket validity windows and
  passback are judged by the device's clock);
- it reported ``BACKLOG_LIMIT`` or more taps still waiting to be uploaded;
- it runs an older rule bundle than the newest one built (new rules, keys or deny-list
  entries have not reached it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import Device, RuleBundleRecord

STALE_AFTER = timedelta(minutes=10)
SKEW_LIMIT_MS = 5000
BACKLOG_LIMIT = 1000


@dataclass(frozen=True)
class DeviceHealth:
    """A device's state (new, active, revoked) and what is wrong with it, if anything."""

    state: str
    problems: tuple[str, ...]

    @property
    def needs_attention(self) -> bool:
        """Whether an active device has a problem."""
        return self.state == "active" and bool(self.problems)


def newest_bundle_version(session: Session) -> int | None:
    """The version of the newest rule bundle built, or None before any."""
    version: int | None = session.scalar(select(func.max(RuleBundleRecord.version)))
    return version


def health_of(device: Device, *, newest_bundle: int | None, now: datetime) -> DeviceHealth:
    """The device's state and problems at ``now``."""
    if device.revoked_at is not None:
        return DeviceHealth("revoked", ())
    if device.provisioned_at is None:
        return DeviceHealth("new", ())
    problems: list[str] = []
    if device.last_sync_at is None:
        problems.append("never synced")
    elif now - device.last_sync_at >= STALE_AFTER:
        problems.append(f"no sync for {_span(now - device.last_sync_at)}")
    if device.clock_skew_ms is not None and abs(device.clock_skew_ms) > SKEW_LIMIT_MS:
        direction = "ahead" if device.clock_skew_ms > 0 else "behind"
        problems.append(f"clock {abs(device.clock_skew_ms) / 1000:.1f} s {direction}")
    if device.backlog is not None and device.backlog >= BACKLOG_LIMIT:
        problems.append(f"{device.backlog:,} taps waiting")
    if (
        newest_bundle is not None
        and device.bundle_version is not None
        and device.bundle_version < newest_bundle
    ):
        problems.append("older rule bundle")
    return DeviceHealth("active", tuple(problems))


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"
