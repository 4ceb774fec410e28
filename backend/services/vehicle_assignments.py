"""The day's vehicle assignments: which trip instances each vehicle runs on a service day.

Planners assign a vehicle, for one service date, either a GTFS block (the vehicle runs every
trip of the block that runs that day, in departure order; a frequency-based trip counts once
per run) or an explicit ordered list of trip instances of that day. Both are checked against
the active timetable when given: an unknown block or trip, or one that does not run that
day, is refused with 422 and a code, and nothing changes.

A block is resolved again against the active timetable whenever it is read, so publishing a
new feed version re-times it; an explicit list is kept as given. Assigning a vehicle again
replaces its assignment for that day: the old row is deleted and a new one written (see
``backend.models.vehicles`` for why). The same block may be given to two vehicles, as when a
replacement bus takes over part of a day. Device bundles carry the assignments of the days
they cover (``backend.services.device_bundles``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import ConflictError, NotFoundError, ServiceError
from backend.models import GTFS_TABLES, VehicleAssignment
from backend.services import trip_lookup
from backend.services.timetable import require_active_version
from backend.services.trip_lookup import TripStopsCache
from backend.services.version_facts import VersionFacts, VersionFactsCache
from inventory.trip_instances import TripInstance

TRIPS = GTFS_TABLES["trips"]
STOP_TIMES = GTFS_TABLES["stop_times"]
MAX_TRIPS = 200  # trip instances in one explicit assignment
_VEHICLE_ID = re.compile(r"[^\x00-\x1f\x7f/]{1,128}")
_SERVICE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class TimetableCaches:
    """The timetable facts assignments are checked and resolved with."""

    facts: VersionFactsCache
    trips: TripStopsCache

    def active_facts(self, session: Session) -> VersionFacts:
        """The facts of the active feed version; 404 ``no_active_feed`` before any."""
        return self.facts.get(session, require_active_version(session))


@dataclass(frozen=True)
class Assignment:
    """An assignment as shown to operators: its trip instances in the order they run."""

    service_date: date
    vehicle_id: str
    block_id: str | None
    trips: tuple[str, ...]
    assigned_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The operator API's form."""
        return {
            "service_date": self.service_date.isoformat(),
            "vehicle_id": self.vehicle_id,
            "block_id": self.block_id,
            "trips": list(self.trips),
            "assigned_at": self.assigned_at.isoformat(),
        }


def parse_service_date(text: str) -> date:
    """``text`` as a YYYY-MM-DD service date; 400 ``invalid_service_date`` otherwise."""
    try:
        if _SERVICE_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ServiceError("invalid_service_date", f"{text!r} is not a YYYY-MM-DD date")


def assign(
    session: Session,
    caches: TimetableCaches,
    service_date: date,
    vehicle_id: str,
    *,
    block_id: str | None = None,
    trips: Sequence[str] | None = None,
    now: datetime,
    assigned_by: int | None = None,
) -> Assignment:
    """Give ``vehicle_id`` a block or a list of trip instances on ``service_date``, replacing
    what it had that day; 422 with a code when the timetable does not have them that day."""
    _check_vehicle(vehicle_id)
    facts = caches.active_facts(session)
    if (block_id is None) == (trips is None):
        raise ServiceError("block_or_trips", "give either block_id or trips", status=422)
    if block_id is not None:
        resolved = _block_or_refusal(session, facts, service_date, block_id)
        stored = None
    else:
        resolved = stored = _checked_trips(session, facts, caches.trips, service_date, trips or ())
    session.execute(
        delete(VehicleAssignment).where(
            VehicleAssignment.service_date == service_date,
            VehicleAssignment.vehicle_id == vehicle_id,
        )
    )
    row = VehicleAssignment(
        service_date=service_date,
        vehicle_id=vehicle_id,
        block_id=block_id,
        trips=stored,
        assigned_at=now,
        assigned_by=assigned_by,
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError as exc:  # another assignment of this vehicle and day won the race
        session.rollback()
        raise ConflictError(
            "assignment_changed", "the assignment was changed at the same moment; try again"
        ) from exc
    return Assignment(service_date, vehicle_id, block_id, tuple(resolved), now)


def unassign(session: Session, service_date: date, vehicle_id: str) -> None:
    """Remove the vehicle's assignment for the day; 404 ``assignment_not_found``."""
    removed = session.execute(
        delete(VehicleAssignment).where(
            VehicleAssignment.service_date == service_date,
            VehicleAssignment.vehicle_id == vehicle_id,
        )
    )
    if not removed.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        raise _not_found(service_date, vehicle_id)
    session.commit()


def find(
    session: Session, caches: TimetableCaches, service_date: date, vehicle_id: str
) -> Assignment:
    """One vehicle's assignment for the day; 404 ``assignment_not_found``."""
    found = assignments_on(session, caches, service_date, vehicle_id=vehicle_id)
    if not found:
        raise _not_found(service_date, vehicle_id)
    return found[0]


def assignments_on(
    session: Session, caches: TimetableCaches, service_date: date, *, vehicle_id: str | None = None
) -> list[Assignment]:
    """Every assignment of the day (or only ``vehicle_id``'s), by vehicle id."""
    query = select(VehicleAssignment).where(VehicleAssignment.service_date == service_date)
    if vehicle_id is not None:
        query = query.where(VehicleAssignment.vehicle_id == vehicle_id)
    rows = list(session.scalars(query.order_by(VehicleAssignment.vehicle_id)))
    wanted = _blocks(rows)
    blocks = (
        block_trips(session, caches.active_facts(session), service_date, wanted) if wanted else {}
    )
    return [
        Assignment(
            row.service_date,
            row.vehicle_id,
            row.block_id,
            tuple(blocks.get(row.block_id, ()) if row.block_id is not None else row.trips or ()),
            row.assigned_at,
        )
        for row in rows
    ]


def vehicle_trips(
    session: Session, facts: VersionFacts, days: Sequence[date]
) -> dict[str, list[str]]:
    """Each vehicle assigned on any of ``days`` → its trip instances of those days, day by
    day in running order (a block no longer in the timetable runs nothing)."""
    rows = session.scalars(
        select(VehicleAssignment)
        .where(VehicleAssignment.service_date.in_(days))
        .order_by(VehicleAssignment.service_date, VehicleAssignment.vehicle_id)
    ).all()
    by_day: dict[date, list[VehicleAssignment]] = defaultdict(list)
    for row in rows:
        by_day[row.service_date].append(row)
    result: dict[str, list[str]] = {}
    for day in sorted(by_day):
        blocks = block_trips(session, facts, day, _blocks(by_day[day]))
        for row in by_day[day]:
            listed = blocks.get(row.block_id, []) if row.block_id is not None else row.trips
            result.setdefault(row.vehicle_id, []).extend(listed or ())
    return result


def assignments_signal(session: Session, days: Sequence[date]) -> tuple[int, int, int]:
    """(count, greatest id, sum of ids) of the assignments of ``days``: rows are never
    updated and ids never reused, so any change to those days changes it."""
    count, greatest, total = session.execute(
        select(
            func.count(VehicleAssignment.id),
            func.max(VehicleAssignment.id),
            func.sum(VehicleAssignment.id),
        ).where(VehicleAssignment.service_date.in_(days))
    ).one()
    return int(count), int(greatest or 0), int(total or 0)


def block_trips(
    session: Session, facts: VersionFacts, day: date, block_ids: Iterable[str]
) -> dict[str, list[str]]:
    """The trip instances of each block that run on ``day``, in departure order (blocks with
    none running are left out)."""
    wanted = set(block_ids)
    if not wanted:
        return {}
    running = facts.running(day)
    trips = [
        (trip_id, block_id)
        for trip_id, block_id, service_id in session.execute(
            select(TRIPS.c.trip_id, TRIPS.c.block_id, TRIPS.c.service_id).where(
                TRIPS.c.feed_version_id == facts.version, TRIPS.c.block_id.in_(wanted)
            )
        )
        if service_id in running
    ]
    if not trips:
        return {}
    firsts = dict(
        session.execute(
            select(STOP_TIMES.c.trip_id, func.min(STOP_TIMES.c.departure_time))
            .where(STOP_TIMES.c.feed_version_id == facts.version)
            .where(STOP_TIMES.c.trip_id.in_({trip_id for trip_id, _ in trips}))
            .group_by(STOP_TIMES.c.trip_id)
        ).all()
    )
    timed: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for trip_id, block_id in trips:
        runs = facts.runs.get(trip_id)
        starts = [start for _, start in runs] if runs else [None]
        for start in starts:
            departs = start if start is not None else firsts.get(trip_id)
            instance = str(TripInstance(trip_id, day, start))
            timed[block_id].append((departs if departs is not None else 0, instance))
    return {block: [name for _, name in sorted(found)] for block, found in timed.items()}


def _block_or_refusal(
    session: Session, facts: VersionFacts, service_date: date, block_id: str
) -> list[str]:
    found = block_trips(session, facts, service_date, [block_id]).get(block_id)
    if found:
        return found
    known = session.scalar(
        select(TRIPS.c.trip_id)
        .where(TRIPS.c.feed_version_id == facts.version, TRIPS.c.block_id == block_id)
        .limit(1)
    )
    if known is None:
        raise ServiceError("block_not_found", f"no block {block_id} in the timetable", status=422)
    raise ServiceError(
        "block_not_running",
        f"no trip of block {block_id} runs on {service_date.isoformat()}",
        status=422,
    )


def _checked_trips(
    session: Session,
    facts: VersionFacts,
    cache: TripStopsCache,
    service_date: date,
    trips: Sequence[str],
) -> list[str]:
    """The trip instances in canonical form, each running on ``service_date``."""
    if not 1 <= len(trips) <= MAX_TRIPS:
        raise ServiceError("invalid_trips", f"give 1 to {MAX_TRIPS} trip instances", status=422)
    names: list[str] = []
    for text in trips:
        try:
            resolved = trip_lookup.resolve(session, facts, cache, text)
        except ServiceError as exc:  # the trip is named in the body: unprocessable, not absent
            raise ServiceError(exc.code, exc.message, status=422) from exc
        if resolved.instance.service_date != service_date:
            raise ServiceError(
                "trip_on_other_day",
                f"{text} runs on another service date than {service_date.isoformat()}",
                status=422,
            )
        if resolved.key in names:
            raise ServiceError("duplicate_trip", f"{text} is listed twice", status=422)
        names.append(resolved.key)
    return names


def _check_vehicle(vehicle_id: str) -> None:
    if not _VEHICLE_ID.fullmatch(vehicle_id):
        raise ServiceError(
            "invalid_vehicle_id", "a vehicle id is 1-128 characters, without / or control ones"
        )


def _blocks(rows: Iterable[VehicleAssignment]) -> set[str]:
    return {row.block_id for row in rows if row.block_id is not None}


def _not_found(service_date: date, vehicle_id: str) -> NotFoundError:
    return NotFoundError(
        "assignment_not_found",
        f"vehicle {vehicle_id} has no assignment on {service_date.isoformat()}",
    )
