"""Reading another system's GTFS-Realtime TripUpdates feed: the trips it cancels are cancelled
here, so that their bookings are re-accommodated or refunded.

The job runner polls ``realtime_trip_updates_url`` every ``realtime_poll_seconds``
(``backend.jobs``; off when the URL is empty):

1. **Fetch** (``fetch_feed``): one GET over http(s), refused past ``MAX_FEED_BYTES`` (by its
   Content-Length, or as soon as the body grows past it) and abandoned when the server is
   silent for ``FETCH_TIMEOUT_S`` or the body is still coming after it (so a read lasts about
   twice that at worst). Any failure is a ``ServiceError`` with a stable code, logged by the
   job, and the next poll tries again.
2. **Parse** (``parse_feed``): a ``transit_realtime.FeedMessage`` (``gtfs-realtime-bindings``);
   anything else, garbage included, is ``invalid_realtime_feed``. A feed whose header
   timestamp is not newer than the last one processed is not processed again.
3. **Resolve** (``cancelled_instances``, pure): every ``trip_update`` whose
   ``trip.schedule_relationship`` is CANCELED (or DELETED: cancelled and not to be shown) and
   that names a ``trip_id`` becomes a trip instance of the *active* feed version:

   - the service date is ``trip.start_date`` (YYYYMMDD); without one, the current service
     day (today in the timezone of the trip's agency);
   - a frequency-based trip needs ``trip.start_time`` naming one of its runs; for other
     trips ``start_time`` is not needed and not checked;
   - a trip the active version does not have, or does not run on that date, an unreadable
     date or time, or an update without ``trip_id`` is logged and skipped.

   Updates of every other relationship (SCHEDULED, ADDED, ...) change nothing here, nor do
   deleted entities (``is_deleted``) or updates of stops only.
4. **Cancel**: the instances not cancelled yet (a feed keeps naming a cancelled trip while
   it is cancelled), each with ``REASON`` (travelers read it), go to
   ``backend.services.cancellations.cancel_instances`` with ``source="realtime"``, which
   records the cancellation and re-accommodates the bookings; the job runner's
   ``resume_cancellations`` finishes any it could not.

The last successful poll, the feed's timestamp and every error are logged.
"""

from __future__ import annotations

import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.client import HTTPException
from urllib.parse import urlsplit

from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2 as rt
from sqlalchemy import and_, select

from backend.db import Executor
from backend.errors import ServiceError
from backend.models import GTFS_TABLES, TripCancellation
from backend.services import cancellations
from backend.services.feeds import active_version_id
from backend.services.reservation_store import Inventory
from backend.services.version_facts import VersionFacts
from inventory.trip_instances import TripInstance

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 10.0
MAX_FEED_BYTES = 32 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
TRIP_BATCH = 500  # ids per query when looking the feed's trips and instances up
REASON = "Cancelled in the operator's live service updates."
CANCELLING = frozenset({rt.TripDescriptor.CANCELED, rt.TripDescriptor.DELETED})
ACCEPT = "application/x-protobuf, application/octet-stream;q=0.9, */*;q=0.1"
USER_AGENT = "faregate-realtime-reader"
_GTFS_TIME = re.compile(r"(\d{1,3}):([0-5]\d):([0-5]\d)")
_GTFS_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")

TRIPS = GTFS_TABLES["trips"]
ROUTES = GTFS_TABLES["routes"]


class RealtimeFeedError(ServiceError):
    """A realtime feed that could not be fetched or read."""

    status = 502


@dataclass(frozen=True)
class TripRef:
    """What resolving needs of a trip of the active version."""

    route_id: str
    service_id: str
    agency_id: str | None = None


@dataclass(frozen=True)
class ActiveTimetable:
    """The active version's facts, and the trips of it a feed names (by trip_id)."""

    facts: VersionFacts
    trips: Mapping[str, TripRef]


def fetch_feed(
    url: str, *, timeout_s: float = FETCH_TIMEOUT_S, max_bytes: int = MAX_FEED_BYTES
) -> bytes:
    """The body of a GET of ``url`` (http or https), within ``timeout_s`` and ``max_bytes``."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise RealtimeFeedError("realtime_feed_unreachable", f"{url!r} is not an http(s) URL")
    request = urllib.request.Request(url, headers={"Accept": ACCEPT, "User-Agent": USER_AGENT})  # noqa: S310 - scheme checked above
    deadline = time.monotonic() + timeout_s
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - scheme checked above
            length = response.headers.get("Content-Length", "")
            if length.strip().isdigit() and int(length) > max_bytes:
                raise _too_large(url, max_bytes)
            body = bytearray()
            while chunk := response.read1(CHUNK_BYTES):
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(url, max_bytes)
                if time.monotonic() > deadline:
                    raise _timed_out(url, timeout_s)
            return bytes(body)
    except urllib.error.HTTPError as exc:
        exc.close()  # the error is the response: let its connection go
        raise RealtimeFeedError(
            "realtime_feed_unreachable", f"{url} answered HTTP {exc.code}"
        ) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _timed_out(url, timeout_s) from exc
        raise RealtimeFeedError(
            "realtime_feed_unreachable", f"{url} cannot be reached: {exc.reason}"
        ) from exc
    except TimeoutError as exc:
        raise _timed_out(url, timeout_s) from exc
    except (OSError, HTTPException) as exc:
        raise RealtimeFeedError(
            "realtime_feed_unreachable", f"{url} failed: {exc.__class__.__name__}: {exc}"
        ) from exc


def _too_large(url: str, max_bytes: int) -> RealtimeFeedError:
    return RealtimeFeedError(
        "realtime_feed_too_large", f"{url} sent more than {max_bytes} bytes; not read"
    )


def _timed_out(url: str, timeout_s: float) -> RealtimeFeedError:
    return RealtimeFeedError(
        "realtime_feed_timeout", f"{url} did not send its feed within {timeout_s:g} s"
    )


def parse_feed(data: bytes) -> rt.FeedMessage:
    """``data`` as a FeedMessage; ``invalid_realtime_feed`` when it is not one."""
    message = rt.FeedMessage()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise RealtimeFeedError(
            "invalid_realtime_feed", f"not a GTFS-Realtime FeedMessage ({len(data)} bytes)"
        ) from exc
    if not message.IsInitialized():
        missing = ", ".join(message.FindInitializationErrors())
        raise RealtimeFeedError(
            "invalid_realtime_feed", f"not a GTFS-Realtime FeedMessage: {missing} missing"
        )
    return message


def cancelled_trip_ids(message: rt.FeedMessage) -> set[str]:
    """The trip ids of the updates in ``message`` that cancel a trip."""
    return {update.trip.trip_id for _, update in _cancelling(message) if update.trip.trip_id}


def cancelled_instances(
    feed: bytes | rt.FeedMessage, timetable: ActiveTimetable, *, now: datetime
) -> list[tuple[str, str]]:
    """(trip instance id, reason) for every trip instance of the active version that ``feed``
    cancels, in feed order, each once; updates that name no such instance are logged and
    skipped (see the module docstring)."""
    message = parse_feed(feed) if isinstance(feed, bytes) else feed
    found: dict[str, str] = {}
    for entity_id, update in _cancelling(message):
        instance = _resolve(entity_id, update.trip, timetable, now)
        if instance is not None and str(instance) not in found:
            log.info("realtime feed: entity %r cancels %s", entity_id, instance)
            found[str(instance)] = REASON
    return list(found.items())


def _cancelling(message: rt.FeedMessage) -> Iterable[tuple[str, rt.TripUpdate]]:
    for entity in message.entity:
        if entity.is_deleted or not entity.HasField("trip_update"):
            continue
        update = entity.trip_update
        if update.trip.schedule_relationship in CANCELLING:
            yield entity.id, update


def _resolve(
    entity_id: str, trip: rt.TripDescriptor, timetable: ActiveTimetable, now: datetime
) -> TripInstance | None:
    """The instance ``trip`` names in the active version, or None (logged)."""
    if not trip.trip_id:
        return _skip(entity_id, "names no trip_id (a trip by route and time is not supported)")
    ref = timetable.trips.get(trip.trip_id)
    if ref is None:
        return _skip(entity_id, f"trip {trip.trip_id!r} is not in the active timetable")
    facts = timetable.facts
    if trip.start_date:
        day = _service_date(trip.start_date)
        if day is None:
            return _skip(entity_id, f"start_date {trip.start_date!r} is not a date YYYYMMDD")
    else:
        day = now.astimezone(facts.zone(ref.agency_id)).date()
    if ref.service_id not in facts.running(day):
        return _skip(entity_id, f"trip {trip.trip_id!r} does not run on {day.isoformat()}")
    return _run(entity_id, trip, facts, day)


def _service_date(text: str) -> date | None:
    match = _GTFS_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _run(
    entity_id: str, trip: rt.TripDescriptor, facts: VersionFacts, day: date
) -> TripInstance | None:
    """The instance of ``trip`` on ``day``: for a frequency-based trip, the run it names."""
    runs = facts.runs.get(trip.trip_id)
    if runs is None:
        return TripInstance(trip.trip_id, day)
    match = _GTFS_TIME.fullmatch(trip.start_time)
    if match is None:
        return _skip(
            entity_id,
            f"frequency-based trip {trip.trip_id!r} needs a start_time HH:MM:SS, "
            f"not {trip.start_time!r}",
        )
    start = int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])
    if start not in {run for _, run in runs}:
        return _skip(entity_id, f"trip {trip.trip_id!r} has no run at {trip.start_time}")
    return TripInstance(trip.trip_id, day, start)


def _skip(entity_id: str, why: str) -> TripInstance | None:
    """Log why the update of ``entity_id`` is skipped; None, the instance it names."""
    log.warning("realtime feed: cancellation in entity %r skipped: %s", entity_id, why)
    return None


def load_timetable(
    session: Executor, facts: VersionFacts, trip_ids: Iterable[str]
) -> ActiveTimetable:
    """The trips among ``trip_ids`` that the version of ``facts`` has (a query per
    ``TRIP_BATCH`` ids)."""
    wanted = sorted(set(trip_ids))
    trips: dict[str, TripRef] = {}
    for first in range(0, len(wanted), TRIP_BATCH):
        rows = session.execute(
            select(TRIPS.c.trip_id, TRIPS.c.route_id, TRIPS.c.service_id, ROUTES.c.agency_id)
            .outerjoin(
                ROUTES,
                and_(
                    ROUTES.c.feed_version_id == TRIPS.c.feed_version_id,
                    ROUTES.c.route_id == TRIPS.c.route_id,
                ),
            )
            .where(
                TRIPS.c.feed_version_id == facts.version,
                TRIPS.c.trip_id.in_(wanted[first : first + TRIP_BATCH]),
            )
        )
        for trip_id, route_id, service_id, agency_id in rows:
            trips[trip_id] = TripRef(route_id, service_id, agency_id)
    return ActiveTimetable(facts, trips)


def already_cancelled(session: Executor, keys: list[str]) -> set[str]:
    """The trip instances among ``keys`` whose cancellation is recorded already."""
    found: set[str] = set()
    for first in range(0, len(keys), TRIP_BATCH):
        found.update(
            session.execute(
                select(TripCancellation.trip_instance).where(
                    TripCancellation.trip_instance.in_(keys[first : first + TRIP_BATCH])
                )
            ).scalars()
        )
    return found


@dataclass
class RealtimeTripUpdates:
    """The configured feed, and how far reading it has got (one per job runner)."""

    url: str
    inventory: Inventory
    every_s: int = 60
    policy: cancellations.Policy = field(default_factory=cancellations.Policy)
    timeout_s: float = FETCH_TIMEOUT_S
    max_bytes: int = MAX_FEED_BYTES
    last_timestamp: int = 0  # header timestamp of the last feed processed
    last_success: datetime | None = None

    def poll(self, now: datetime) -> int:
        """Fetch the feed and cancel the trip instances it cancels; how many were not
        cancelled yet."""
        message = parse_feed(
            fetch_feed(self.url, timeout_s=self.timeout_s, max_bytes=self.max_bytes)
        )
        stamp = message.header.timestamp
        if stamp and stamp <= self.last_timestamp:
            self.last_success = now
            log.info(
                "realtime feed read at %s: timestamp %s not newer than the last processed; "
                "nothing to do",
                now.isoformat(),
                _stamp(stamp),
            )
            return 0
        with self.inventory.database.sessions() as session:
            version = active_version_id(session)
            if version is None:
                raise ServiceError("no_active_feed", "no timetable has been published yet")
            facts = self.inventory.facts.get(session, version)
            timetable = load_timetable(session, facts, cancelled_trip_ids(message))
            named = cancelled_instances(message, timetable, now=now)
            known = already_cancelled(session, [key for key, _ in named])
        instances = [(key, reason) for key, reason in named if key not in known]
        reports = cancellations.cancel_instances(
            self.inventory, instances, source="realtime", now=now, policy=self.policy
        )
        self.last_timestamp = max(self.last_timestamp, stamp)
        self.last_success = now
        log.info(
            "realtime feed read at %s: timestamp %s, %d cancelled trip instance(s), %d new; "
            "%d booking(s) rebooked, %d refunded",
            now.isoformat(),
            _stamp(stamp),
            len(named),
            len(instances),
            sum(report.rebooked for report in reports),
            sum(report.refunded for report in reports),
        )
        return len(instances)


def _stamp(stamp: int) -> str:
    return datetime.fromtimestamp(stamp, UTC).isoformat() if stamp else "none"
