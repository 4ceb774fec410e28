"""The rule bundle handed to devices: one for all devices, made again only when what it holds
changes (the active feed, the deny list, the keys, the passes, the vehicle assignments and
bookings of the service days it covers) or once a day, so that its validity keeps ahead of
devices that sync daily.

Bundles are kept in the database with the fingerprint of their inputs, so every server
process hands out the same bytes and ETag, and a device asking with ``If-None-Match`` gets
304 until something changes. A bundle's version is its creation time in epoch seconds, one
more than the previous one at least.

Service days covered: the current service day and the next one, in the agency's timezone
(the first agency's, when a feed has several). A service day runs past midnight (GTFS times
past 24:00:00), so the current one turns over at ``SERVICE_DAY_TURNOVER`` local time, not at
midnight: a bus syncing at 23:00 already has the next morning's trips, and one syncing at
00:30 still has the late trips it is running. For those two days the bundle carries

- ``vehicles``: each assigned vehicle → its trip instances, the first day's in running
  order, then the second day's (``vehicle_assignments.vehicle_trips``);
- ``manifests``: every trip instance of those days with a confirmed booking, its stops and
  which live ticket holds which seat (``rule_bundles.manifests``). A ticket sold after the
  bundle was built is still judged by its signed trip, seat and stops;
- ``trip_times``: the first departure and last arrival of each trip instance in
  ``vehicles`` (``trip_spans``), from which a bus validator tells the trip it is running.

These are fields of bundle format 1 (``fares.bundle``): ``"vehicles"`` is
``[[vehicle id, [trip instance, ...]], ...]`` by vehicle id, ``"manifests"`` the
``TripManifest`` wire forms by trip instance, ``"trip_times"`` ``[[trip instance, first
departure, last arrival], ...]`` in UTC epoch seconds. A validator on a vehicle the bundle
does not name knows no trip until its driver sets one (``faregate-agent trip set``).

A bundle's deny list holds the deny entries up to the newest one when it was made that are
still in force then; the record keeps that entry's id (``deny_through``) beside its creation
time, so the list can be told again in SQL and a device holding it sent only what changed
(``backend.services.deny_deltas``).

The fingerprint is computed on every device sync, so it reads only aggregates over indexed
rows of the covered days: the assignments' count and id sum and greatest id (rows are
replaced, never updated), and the bookings' count and greatest id (a cancellation moves the
deny list's version). A booking for another day does not change the bundle.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models import RuleBundleRecord
from backend.services import vehicle_assignments
from backend.services.reservation_store import Inventory
from backend.services.rule_bundles import (
    booked_trips,
    bookings_signal,
    build_rule_bundle,
    newest_deny_entry,
)
from backend.services.timetable import require_active_version
from backend.services.version_facts import VersionFacts
from fares.bundle import bundle_etag
from fares.keys import epoch_seconds

SERVICE_DAY_TURNOVER = timedelta(hours=4)  # local time at which the next service day begins
# Raised when bundles come to hold something new (2: trip_times), so that a server upgraded
# makes a new bundle at the next device sync rather than when its inputs next change.
BUNDLE_CONTENTS = 2


def current_bundle(session: Session, inventory: Inventory, now: datetime) -> RuleBundleRecord:
    """The bundle devices should hold now, made if the newest one is out of date."""
    facts = inventory.facts.get(session, require_active_version(session))
    days = covered_days(facts.zone(None), now)
    deny_through = newest_deny_entry(session)
    fingerprint = _fingerprint(session, inventory, facts, days, now, deny_through=deny_through)
    newest = session.scalar(
        select(RuleBundleRecord).order_by(RuleBundleRecord.version.desc()).limit(1)
    )
    if newest is not None and newest.fingerprint == fingerprint:
        return newest
    version = max(epoch_seconds(now), (newest.version + 1) if newest else 0)
    blob = build_rule_bundle(
        session,
        inventory,
        now,
        booked_trips(session, days),
        version=version,
        vehicle_trips=vehicle_assignments.vehicle_trips(session, facts, days),
        deny_through=deny_through,
    )
    record = RuleBundleRecord(
        version=version,
        fingerprint=fingerprint,
        etag=bundle_etag(blob),
        blob=blob,
        created_at=now,
        deny_through=deny_through,
    )
    session.add(record)
    try:
        session.commit()
    except IntegrityError:  # another process made one at the same moment: hand out that one
        session.rollback()
        made = session.get(RuleBundleRecord, version)
        if made is None:
            raise
        return made
    return record


def covered_days(zone: ZoneInfo, now: datetime) -> tuple[date, date]:
    """The service days a bundle made at ``now`` covers: the current one and the next."""
    current = (now.astimezone(zone) - SERVICE_DAY_TURNOVER).date()
    return current, current + timedelta(days=1)


def _fingerprint(
    session: Session,
    inventory: Inventory,
    facts: VersionFacts,
    days: tuple[date, date],
    now: datetime,
    *,
    deny_through: int,
) -> str:
    keyring = inventory.keyring.get()
    inputs = {
        "contents": BUNDLE_CONTENTS,
        "feed": facts.version,
        "deny": deny_through,
        "keys": [key.kid for key in keyring.key_set(now)],
        "signer": keyring.current(now).kid,
        "passes": sorted(inventory.passes),
        "days": [day.isoformat() for day in days],
        "vehicles": vehicle_assignments.assignments_signal(session, days),
        "bookings": bookings_signal(session, days),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
