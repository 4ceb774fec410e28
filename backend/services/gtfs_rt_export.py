"""The GTFS-Realtime TripUpdates feed trip planners read: cancelled trip instances, and how
full the trip instances opened for sale are.

Wire format, version 1 (GTFS-Realtime 2.0, protobuf ``transit_realtime.FeedMessage``, built
with ``gtfs-realtime-bindings``):

- ``header``: ``gtfs_realtime_version`` "2.0", ``incrementality`` FULL_DATASET, ``timestamp``
  the moment the message was built (POSIX seconds).
- One ``entity`` per trip instance, its ``id`` the instance's id (``TRIP@YYYY-MM-DD``, or
  ``…THH:MM:SS`` for a run of a frequency-based trip), each with a ``trip_update`` whose
  ``trip`` names the instance: ``trip_id``, ``route_id``, ``start_date`` (YYYYMMDD) and, for a
  frequency run, ``start_time`` (HH:MM:SS, may pass 24:00:00). Entities are sorted by id.
- A cancelled instance (``trip_cancellation``, whoever cancelled it) of yesterday's service
  day or later, in the network's timezone (the active feed's first agency's): ``trip``
  with ``schedule_relationship`` CANCELED and no stop time updates. Yesterday's are included
  because a service day's trips may run past midnight (GTFS times past 24:00:00).
- An instance of today's or tomorrow's service day that is opened for sale
  (``trip_inventory``), not cancelled, and still run by the active feed version with the
  stops it was opened with: ``trip`` with ``schedule_relationship`` SCHEDULED, and one
  ``stop_time_update`` per stop it has yet to leave (the last stop excepted: nothing departs
  from it) with ``stop_sequence``, ``stop_id``, ``schedule_relationship`` NO_DATA (no
  prediction of times: the timetable stands) and ``departure_occupancy_status``, the
  occupancy of the leg that starts there. An instance whose every departure is past is left
  out; so is one whose seat map is no longer configured.

Occupancy is in ``StopTimeUpdate.departure_occupancy_status`` rather than in a
``VehiclePosition``: a VehiclePosition reports a vehicle in service, while reservations are
about trips that have not started, with no vehicle to report; the spec gives TripUpdates
this field for exactly that (the expected occupancy after departing each stop, with NO_DATA
when no time is predicted), and it lets a trip planner show the occupancy of the very legs a
traveler would ride. Leg occupancy counts live claims (booked, or held and not yet expired)
on seats and unassigned places against the instance's seat map; the levels are those of
``inventory.occupancy``.

Cost: a fixed number of SQL queries whatever the number of trips (the active version, the
cancellations, the opened instances, the stops of their trips, and the claims summed per
instance and leg range by the database), plus the feed version's facts on first use.
``TripUpdatesFeed.etag`` digests the entities, not the header, so that a client may revalidate
a copy whose content has not changed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from google.protobuf import json_format
from google.transit import gtfs_realtime_pb2 as rt
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from backend.models import GTFS_TABLES, PlaceClaim, SeatClaim, TripCancellation, TripInventory
from backend.services.claim_reads import live
from backend.services.feeds import active_version_id
from backend.services.version_facts import VersionFacts, VersionFactsCache
from inventory import occupancy
from inventory.seatmaps import SeatMapCatalog
from inventory.service_days import service_time
from inventory.trip_instances import InvalidTripInstanceError, TripInstance

PROTOBUF_MEDIA_TYPE = "application/x-protobuf"
GTFS_REALTIME_VERSION = "2.0"

TRIPS = GTFS_TABLES["trips"]
ROUTES = GTFS_TABLES["routes"]
STOP_TIMES = GTFS_TABLES["stop_times"]

OCCUPANCY_STATUS: dict[str, rt.VehiclePosition.OccupancyStatus] = {
    occupancy.EMPTY: rt.VehiclePosition.EMPTY,
    occupancy.MANY_SEATS_AVAILABLE: rt.VehiclePosition.MANY_SEATS_AVAILABLE,
    occupancy.FEW_SEATS_AVAILABLE: rt.VehiclePosition.FEW_SEATS_AVAILABLE,
    occupancy.STANDING_ROOM_ONLY: rt.VehiclePosition.STANDING_ROOM_ONLY,
    occupancy.CRUSHED_STANDING_ROOM_ONLY: rt.VehiclePosition.CRUSHED_STANDING_ROOM_ONLY,
    occupancy.FULL: rt.VehiclePosition.FULL,
}


@dataclass(frozen=True)
class TripUpdatesFeed:
    """A built FeedMessage and a validator of its content (not of its header's time)."""

    message: rt.FeedMessage
    etag: str

    def to_bytes(self) -> bytes:
        """The message in protobuf's binary form, as trip planners read it."""
        data: bytes = self.message.SerializeToString()
        return data

    def to_json(self) -> str:
        """The message in protobuf's JSON mapping with the proto's field names, for people."""
        text: str = json_format.MessageToJson(
            self.message, preserving_proto_field_name=True, indent=2
        )
        return text


@dataclass(frozen=True)
class _TripStops:
    """A trip of the active version as the feed describes it: its stops in order."""

    service_id: str
    agency_id: str | None
    stops: list[tuple[int, str, int | None]] = field(default_factory=list)  # seq, stop, dep


def build_trip_updates(
    session: Session, facts_cache: VersionFactsCache, seat_maps: SeatMapCatalog, now: datetime
) -> TripUpdatesFeed:
    """The TripUpdates feed at ``now`` (see the module docstring)."""
    version = active_version_id(session)
    facts = facts_cache.get(session, version) if version is not None else None
    zone = facts.zone(None) if facts is not None else ZoneInfo("UTC")
    today = now.astimezone(zone).date()
    entities: dict[str, rt.FeedEntity] = {}
    for row in session.execute(
        select(
            TripCancellation.trip_instance,
            TripCancellation.trip_id,
            TripCancellation.route_id,
            TripCancellation.service_date,
        ).where(TripCancellation.service_date >= today - timedelta(days=1))
    ):
        entities[row.trip_instance] = _cancelled_entity(
            row.trip_instance, row.trip_id, row.route_id, row.service_date
        )
    if facts is not None:
        days = [today, today + timedelta(days=1)]
        for key, entity in _occupancy_entities(session, facts, seat_maps, days, now).items():
            entities.setdefault(key, entity)
    message = rt.FeedMessage()
    message.header.gtfs_realtime_version = GTFS_REALTIME_VERSION
    message.header.incrementality = rt.FeedHeader.FULL_DATASET
    message.entity.extend(entities[key] for key in sorted(entities))
    etag = hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()[:32]
    message.header.timestamp = int(now.timestamp())
    return TripUpdatesFeed(message, etag)


def _cancelled_entity(key: str, trip_id: str, route_id: str, service_date: date) -> rt.FeedEntity:
    try:
        instance = TripInstance.parse(key)
    except InvalidTripInstanceError:  # recorded under another form of key: trust the columns
        instance = TripInstance(trip_id, service_date)
    entity = rt.FeedEntity(id=key)
    _describe(entity.trip_update.trip, instance, route_id, rt.TripDescriptor.CANCELED)
    return entity


def _describe(
    trip: rt.TripDescriptor,
    instance: TripInstance,
    route_id: str,
    relationship: rt.TripDescriptor.ScheduleRelationship,
) -> None:
    trip.trip_id = instance.trip_id
    trip.route_id = route_id
    trip.start_date = instance.service_date.strftime("%Y%m%d")
    if instance.run_start is not None:
        trip.start_time = _gtfs_time(instance.run_start)
    trip.schedule_relationship = relationship


def _gtfs_time(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _occupancy_entities(
    session: Session,
    facts: VersionFacts,
    seat_maps: SeatMapCatalog,
    days: list[date],
    now: datetime,
) -> dict[str, rt.FeedEntity]:
    """An occupancy entity per opened instance of ``days`` that the active version runs."""
    opened = session.execute(
        select(
            TripInventory.trip_instance,
            TripInventory.route_id,
            TripInventory.seat_map,
            TripInventory.stop_ids,
        ).where(TripInventory.service_date.in_(days))
    ).all()
    if not opened:
        return {}
    trips = _active_trips(session, facts.version, days)
    seat_claims, place_claims = _claims(session, days, now)
    entities: dict[str, rt.FeedEntity] = {}
    for key, route_id, map_name, stop_ids in opened:
        try:
            instance = TripInstance.parse(key)
        except InvalidTripInstanceError:
            continue
        trip = trips.get(instance.trip_id)
        seat_map = seat_maps.get(map_name)
        shift = _run_shift(facts, instance)
        if (
            trip is None
            or seat_map is None
            or shift is None
            or [stop for _, stop, _ in trip.stops] != list(stop_ids)
            or trip.service_id not in facts.running(instance.service_date)
        ):
            continue
        legs = len(trip.stops) - 1
        loads = occupancy.leg_loads(legs, seat_claims.get(key, ()), place_claims.get(key, ()))
        seats, places = len(seat_map.seats), sum(seat_map.unassigned.values())
        zone = facts.zone(trip.agency_id)
        entity = rt.FeedEntity(id=key)
        update = entity.trip_update
        for (sequence, stop_id, departure), load in zip(trip.stops[:-1], loads, strict=True):
            if (
                departure is not None
                and service_time(instance.service_date, departure + shift, zone) <= now
            ):
                continue  # already left that stop
            stop = update.stop_time_update.add()
            stop.stop_sequence = sequence
            stop.stop_id = stop_id
            stop.schedule_relationship = rt.TripUpdate.StopTimeUpdate.NO_DATA
            level = occupancy.occupancy_level(load, seats, places)
            stop.departure_occupancy_status = OCCUPANCY_STATUS[level]
        if update.stop_time_update:
            _describe(update.trip, instance, route_id, rt.TripDescriptor.SCHEDULED)
            entities[key] = entity
    return entities


def _run_shift(facts: VersionFacts, instance: TripInstance) -> int | None:
    """Seconds the instance runs after its trip's timetable (a frequency run's offset), or
    None when the active version has no such run."""
    runs = facts.runs.get(instance.trip_id)
    if runs is None:
        return 0 if instance.run_start is None else None
    for first, start in runs:
        if start == instance.run_start:
            return start - first
    return None


def _active_trips(session: Session, version: int, days: list[date]) -> dict[str, _TripStops]:
    """The trips of the instances opened on ``days``, as the active version has them."""
    opened_trips = (
        select(TripInventory.trip_id).where(TripInventory.service_date.in_(days)).distinct()
    )
    rows = session.execute(
        select(
            STOP_TIMES.c.trip_id,
            STOP_TIMES.c.stop_sequence,
            STOP_TIMES.c.stop_id,
            STOP_TIMES.c.departure_time,
            TRIPS.c.service_id,
            ROUTES.c.agency_id,
        )
        .join(
            TRIPS,
            and_(
                TRIPS.c.feed_version_id == STOP_TIMES.c.feed_version_id,
                TRIPS.c.trip_id == STOP_TIMES.c.trip_id,
            ),
        )
        .join(
            ROUTES,
            and_(
                ROUTES.c.feed_version_id == TRIPS.c.feed_version_id,
                ROUTES.c.route_id == TRIPS.c.route_id,
            ),
        )
        .where(STOP_TIMES.c.feed_version_id == version, STOP_TIMES.c.trip_id.in_(opened_trips))
        .order_by(STOP_TIMES.c.trip_id, STOP_TIMES.c.stop_sequence)
    )
    trips: dict[str, _TripStops] = {}
    for trip_id, sequence, stop_id, departure, service_id, agency_id in rows:
        trip = trips.get(trip_id)
        if trip is None:
            trip = trips[trip_id] = _TripStops(service_id, agency_id)
        trip.stops.append((sequence, stop_id, departure))
    return trips


def _claims(
    session: Session, days: list[date], now: datetime
) -> tuple[dict[str, list[occupancy.LegClaim]], dict[str, list[occupancy.LegClaim]]]:
    """Live seat and place claims on the instances of ``days``, summed by the database per
    instance and leg range: (board, alight, seats or places) by instance."""
    found: list[dict[str, list[occupancy.LegClaim]]] = []
    for model, amount in ((SeatClaim, func.count()), (PlaceClaim, func.sum(PlaceClaim.places))):
        rows = session.execute(
            select(model.trip_instance, model.board, model.alight, amount)
            .join(TripInventory, TripInventory.trip_instance == model.trip_instance)
            .where(TripInventory.service_date.in_(days), live(model.expires_at, now))
            .group_by(model.trip_instance, model.board, model.alight)
        )
        by_instance: dict[str, list[occupancy.LegClaim]] = defaultdict(list)
        for key, board, alight, count in rows:
            by_instance[key].append((board, alight, int(count)))
        found.append(by_instance)
    return found[0], found[1]
