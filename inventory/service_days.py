"""Service days: which services run on a date, and GTFS times as aware datetimes.

A GTFS time counts seconds from "noon minus 12 h" of the service day in the agency's
timezone, so ``25:10:00`` is the next morning and the two days a year the clocks change are
handled by counting in absolute time from that reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

ADDED, REMOVED = 1, 2


@dataclass(frozen=True)
class WeeklyService:
    """A calendar.txt row: the weekdays it runs (Monday first) between two dates inclusive."""

    weekdays: tuple[bool, bool, bool, bool, bool, bool, bool]
    start: date
    end: date

    def runs_on(self, day: date) -> bool:
        """Whether the weekly pattern covers ``day``."""
        return self.start <= day <= self.end and self.weekdays[day.weekday()]


def active_services(
    day: date,
    weekly: Mapping[str, WeeklyService],
    exceptions: Iterable[tuple[str, int]],
) -> set[str]:
    """Service ids running on ``day``, given calendar rows and that day's calendar_dates rows."""
    running = {service for service, pattern in weekly.items() if pattern.runs_on(day)}
    for service, exception_type in exceptions:
        if exception_type == ADDED:
            running.add(service)
        elif exception_type == REMOVED:
            running.discard(service)
    return running


@lru_cache(maxsize=1024)  # every booking prices a journey on one of a few days
def service_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The instant GTFS times of ``day`` count from: local noon minus 12 hours."""
    noon = datetime.combine(day, time(12), tzinfo=zone)
    return noon.astimezone(UTC) - timedelta(hours=12)


def service_time(day: date, seconds: int, zone: ZoneInfo) -> datetime:
    """The aware local datetime of a GTFS time ``seconds`` on service day ``day``."""
    return (service_day_start(day, zone) + timedelta(seconds=seconds)).astimezone(zone)


def frequency_starts(start: int, end: int, headway: int) -> range:
    """Departure times of the runs a frequencies.txt row makes (``end`` excluded)."""
    return range(start, end, headway)
