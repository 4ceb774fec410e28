"""When trip instances run: each one's first departure and last arrival as instants.

Device bundles carry them for the trips vehicles are assigned (``fares.bundle``
``trip_times``), so that a bus validator can tell which of its trips it is running at a given
moment. They are worked out here, where the agency's timezone is known: GTFS times count
from noon minus 12 h of the service date (so a trip past 24:00:00 ends the next morning, and
a day the clocks change is counted in real time), and a run of a frequency-based trip is its
trip's schedule moved to the run's start.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.models import GTFS_TABLES
from backend.services.version_facts import VersionFacts
from inventory.service_days import service_day_start
from inventory.trip_instances import InvalidTripInstanceError, TripInstance

STOP_TIMES = GTFS_TABLES["stop_times"]


def trip_spans(
    session: Session, facts: VersionFacts, instances: Iterable[str]
) -> dict[str, tuple[datetime, datetime]]:
    """Each trip instance of the version of ``facts`` → (first departure, last arrival), UTC;
    one the timetable has no times for is left out."""
    parsed: dict[str, TripInstance] = {}
    for text in set(instances):
        try:
            parsed[text] = TripInstance.parse(text)
        except InvalidTripInstanceError:
            continue  # not a trip instance: no times
    if not parsed:
        return {}
    bounds = _bounds(session, facts.version, {instance.trip_id for instance in parsed.values()})
    zone = facts.zone(None)  # a feed's agencies share one timezone (GTFS requires it)
    spans: dict[str, tuple[datetime, datetime]] = {}
    for text, instance in parsed.items():
        known = bounds.get(instance.trip_id)
        if known is None:
            continue
        first, last = known
        shift = 0 if instance.run_start is None else instance.run_start - first
        start = service_day_start(instance.service_date, zone)
        spans[text] = (
            start + timedelta(seconds=first + shift),
            start + timedelta(seconds=last + shift),
        )
    return spans


def _bounds(session: Session, version: int, trip_ids: set[str]) -> dict[str, tuple[int, int]]:
    """Each trip's first departure and last arrival in seconds of its service day (the
    frequency runs of ``VersionFacts`` count from the same first departure)."""
    rows = session.execute(
        select(
            STOP_TIMES.c.trip_id,
            func.min(STOP_TIMES.c.departure_time),
            func.min(STOP_TIMES.c.arrival_time),
            func.max(STOP_TIMES.c.arrival_time),
            func.max(STOP_TIMES.c.departure_time),
        )
        .where(STOP_TIMES.c.feed_version_id == version, STOP_TIMES.c.trip_id.in_(trip_ids))
        .group_by(STOP_TIMES.c.trip_id)
    )
    bounds: dict[str, tuple[int, int]] = {}
    for trip_id, first_departure, first_arrival, last_arrival, last_departure in rows:
        first = first_departure if first_departure is not None else first_arrival
        last = last_arrival if last_arrival is not None else last_departure
        if first is not None and last is not None:
            bounds[trip_id] = (first, max(first, last))
    return bounds
