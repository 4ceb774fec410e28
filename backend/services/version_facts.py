"""What the timetable reader needs of a feed version besides stop_times, loaded once.

A loaded feed version never changes, so its timezones, calendars and frequency runs can be
kept in memory after the first request that needs them (a few per process, least recently
used first out), which leaves a direct-trip search with a handful of indexed queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from backend.db import Executor
from backend.models import GTFS_TABLES
from backend.services.loaded_cache import LoadedCache
from inventory.service_days import WeeklyService, active_services, frequency_starts

AGENCY = GTFS_TABLES["agency"]
CALENDAR = GTFS_TABLES["calendar"]
CALENDAR_DATES = GTFS_TABLES["calendar_dates"]
FREQUENCIES = GTFS_TABLES["frequencies"]
STOP_TIMES = GTFS_TABLES["stop_times"]
MAX_REMEMBERED_DAYS = 1024
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class VersionFacts:
    """Timezones by agency, service calendars and frequency runs of one feed version."""

    version: int
    zones: dict[str | None, ZoneInfo]
    weekly: dict[str, WeeklyService]
    exceptions: dict[date, list[tuple[str, int]]]
    runs: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # Worked out once per day asked about: every hold and quote asks for its trip's day.
    _running: dict[date, frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def running(self, day: date) -> frozenset[str]:
        """Service ids that run on ``day``."""
        found = self._running.get(day)
        if found is None:
            found = frozenset(active_services(day, self.weekly, self.exceptions.get(day, [])))
            if len(self._running) >= MAX_REMEMBERED_DAYS:
                self._running.clear()  # requests may name any day: keep the memory bounded
            self._running[day] = found  # a race computes the same set twice, harmlessly
        return found

    def zone(self, agency_id: str | None) -> ZoneInfo:
        """The timezone of ``agency_id`` (of the only agency when the feed names none)."""
        return self.zones.get(agency_id) or next(iter(self.zones.values()))


def load_facts(session: Executor, version: int) -> VersionFacts:
    """Read a version's timezones, calendars and frequencies."""
    agencies = session.execute(
        select(AGENCY.c.agency_id, AGENCY.c.agency_timezone).where(
            AGENCY.c.feed_version_id == version
        )
    ).all()
    zones: dict[str | None, ZoneInfo] = {row[0]: ZoneInfo(row[1]) for row in agencies}
    if len(agencies) == 1:
        zones[None] = zones[agencies[0][0]]
    weekly = {
        row.service_id: WeeklyService(
            tuple(bool(getattr(row, name)) for name in WEEKDAYS),  # type: ignore[arg-type]
            row.start_date,
            row.end_date,
        )
        for row in session.execute(select(CALENDAR).where(CALENDAR.c.feed_version_id == version))
    }
    exceptions: dict[date, list[tuple[str, int]]] = defaultdict(list)
    for row in session.execute(
        select(CALENDAR_DATES).where(CALENDAR_DATES.c.feed_version_id == version)
    ):
        exceptions[row.date].append((row.service_id, row.exception_type))
    return VersionFacts(version, zones, weekly, dict(exceptions), _frequency_runs(session, version))


def _frequency_runs(session: Executor, version: int) -> dict[str, list[tuple[int, int]]]:
    """For frequency-based trips: (first scheduled departure, run start) of every run."""
    rows = session.execute(select(FREQUENCIES).where(FREQUENCIES.c.feed_version_id == version))
    rows = rows.all()  # type: ignore[assignment]
    if not rows:
        return {}
    firsts = dict(
        session.execute(
            select(STOP_TIMES.c.trip_id, func.min(STOP_TIMES.c.departure_time))
            .where(STOP_TIMES.c.feed_version_id == version)
            .where(STOP_TIMES.c.trip_id.in_({row.trip_id for row in rows}))
            .group_by(STOP_TIMES.c.trip_id)
        ).all()
    )
    runs: dict[str, list[tuple[int, int]]] = {}
    for row in rows:
        for start in frequency_starts(row.start_time, row.end_time, row.headway_secs):
            runs.setdefault(row.trip_id, []).append((firsts[row.trip_id], start))
    return runs


class VersionFactsCache(LoadedCache[int, VersionFacts]):
    """The facts of the few most recently used versions; safe across threads."""

    def __init__(self, size: int = 4) -> None:
        super().__init__(load_facts, size)
