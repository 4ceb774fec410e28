"""Cancelled trip instances: recording a cancellation, whoever makes it, and re-accommodating
its bookings.

A trip instance is cancelled by an operator (API, console, ``faregate trips cancel``), by a
published timetable that no longer runs it (``dropped_by_active_feed``, checked by the job
runner), or by a GTFS-Realtime TripUpdates feed marking it CANCELED (``gtfs_rt_import``).
Recording it (one ``trip_cancellation`` row, whatever the source says afterwards) stops sales
at once: holds and confirmations on it are refused with 409 ``trip_cancelled``, in the same
statements that write them.

Then its confirmed bookings are re-accommodated: ``displaced`` reads them and the alternatives,
``inventory.reaccommodation`` places as many travelers as it can (parties whole, in their
class, earliest arrival), and ``rebooking`` carries out each booking's outcome in a transaction
of its own, telling the traveler. A seat sold meanwhile on an alternative makes the bookings
left be solved again (``ATTEMPTS`` rounds). The cancellation is ``done`` once no confirmed
booking of the instance is left without an outcome; the job runner resumes any that is not
(a crash, a booking confirmed in the instant of the cancellation), found by
``cancellation_views``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.errors import ConflictError, NotFoundError, ServiceError
from backend.models import Booking, Reaccommodation, TripCancellation, TripInventory
from backend.services import displaced, rebooking, webhook_events
from backend.services.feeds import active_version_id
from backend.services.reservation_store import Inventory, resolve
from backend.services.trip_lookup import ResolvedInstance
from backend.services.write_sessions import writer
from backend.settings import Settings
from inventory.reaccommodation import Rules, reaccommodate

log = logging.getLogger(__name__)

SOURCES = ("operator", "feed", "realtime")
ATTEMPTS = 3
MAX_REASON = 500


@dataclass(frozen=True)
class Policy:
    """How far re-accommodation may move travelers, and how long it may think."""

    earliest_minutes: int = 0  # arriving up to this much earlier than booked
    latest_minutes: int = 240  # ... or this much later
    time_limit_s: float = 5.0

    def rules(self) -> Rules:
        """The model's rules for this policy."""
        return Rules(earliest_min=-self.earliest_minutes, latest_min=self.latest_minutes)


@dataclass
class Report:
    """What a cancellation did: its bookings' outcomes, and whether any is left to do."""

    trip_instance: str
    recorded: bool  # this call recorded the cancellation (False: it was already)
    outcomes: list[rebooking.Outcome] = field(default_factory=list)
    left: int = 0

    @property
    def rebooked(self) -> int:
        """Bookings moved to another trip by this call."""
        return sum(o.outcome == "rebooked" for o in self.outcomes)

    @property
    def refunded(self) -> int:
        """Bookings refunded by this call."""
        return sum(o.outcome == "refunded" for o in self.outcomes)


def cancel(
    inventory: Inventory,
    trip_instance: str,
    *,
    source: str,
    reason: str,
    now: datetime,
    policy: Policy,
    staff_id: int | None = None,
) -> Report:
    """Cancel a trip instance of the active timetable and re-accommodate its bookings.

    404 ``trip_not_found`` / ``trip_not_running`` for an instance the timetable does not run;
    400 ``invalid_source`` or ``invalid_reason``. Cancelling again is harmless: the bookings
    not yet done are done, and the first reason stays.
    """
    with writer(inventory) as session:
        resolved = resolve(session, inventory, trip_instance)
        recorded = record(
            session, resolved, source=source, reason=reason, now=now, staff_id=staff_id
        )
        session.commit()
    report = process(inventory, resolved.key, now=now, policy=policy)
    report.recorded = recorded
    return report


def cancel_instances(
    inventory: Inventory,
    instances: Sequence[tuple[str, str]],
    *,
    source: str,
    now: datetime,
    policy: Policy,
) -> list[Report]:
    """Cancel each (trip instance, reason) of ``instances``; an instance the active timetable
    does not run is logged and skipped."""
    reports = []
    for trip_instance, reason in instances:
        try:
            reports.append(
                cancel(
                    inventory, trip_instance, source=source, reason=reason, now=now, policy=policy
                )
            )
        except NotFoundError as error:
            log.warning("%s not cancelled: [%s] %s", trip_instance, error.code, error.message)
    return reports


def record(
    session: Session,
    resolved: ResolvedInstance,
    *,
    source: str,
    reason: str,
    now: datetime,
    staff_id: int | None = None,
) -> bool:
    """Record the cancellation (the caller commits); whether it is new."""
    if source not in SOURCES:
        raise ServiceError("invalid_source", f"a cancellation comes from one of {SOURCES}")
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise ServiceError(
            "invalid_reason", f"give a reason of 1 to {MAX_REASON} characters, for the travelers"
        )
    dialect = session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {
        "trip_instance": resolved.key,
        "trip_id": resolved.trip.trip_id,
        "route_id": resolved.trip.route_id,
        "service_date": resolved.instance.service_date,
        "source": source,
        "reason": reason,
        "cancelled_at": now,
        "cancelled_by": staff_id,
        "status": "pending",
        "rebooked": 0,
        "refunded": 0,
    }
    added = session.scalar(
        upsert(TripCancellation)
        .values(values)
        .on_conflict_do_nothing()
        .returning(TripCancellation.trip_instance)
    )
    if added is not None:
        webhook_events.record(
            session,
            "trip.cancelled",
            {
                "trip_instance": resolved.key,
                "trip_id": resolved.trip.trip_id,
                "route_id": resolved.trip.route_id,
                "service_date": resolved.instance.service_date.isoformat(),
                "source": source,
                "reason": reason,
            },
            now,
            dedupe_key=f"trip.cancelled:{resolved.key}",
        )
    return added is not None


def process(inventory: Inventory, trip_instance: str, *, now: datetime, policy: Policy) -> Report:
    """Re-accommodate the cancelled instance's bookings that have no outcome yet."""
    report = Report(trip_instance, recorded=False)
    for _ in range(ATTEMPTS):
        with inventory.database.sessions() as session:
            left = displaced.displaced_bookings(session, inventory, trip_instance)
            candidates = displaced.alternatives(session, inventory, trip_instance, left, now)
        if not left:
            break
        solved = reaccommodate(
            [d.request for d in left],
            [c.alternative for c in candidates],
            policy.rules(),
            time_limit_s=policy.time_limit_s,
        )
        targets = {c.alternative.trip_instance: c.resolved for c in candidates}
        lost_race = False
        for booking, placement in zip(left, solved.placements, strict=True):
            try:
                with writer(inventory) as session:
                    if placement.trip_instance is None:
                        outcome = rebooking.refund(
                            session, booking.booking_id, cancelled=trip_instance, now=now
                        )
                    else:
                        outcome = rebooking.rebook(
                            session,
                            inventory,
                            booking.booking_id,
                            placement,
                            targets[placement.trip_instance],
                            cancelled=trip_instance,
                            now=now,
                        )
                    session.commit()
            except ConflictError as lost:
                if lost.code not in ("seat_taken", "sold_out"):
                    raise
                lost_race = True  # sold meanwhile: solved again with what is left
                continue
            if outcome.outcome != "skipped":
                report.outcomes.append(outcome)
        if not lost_race:
            break
    report.left = _finish(inventory, trip_instance, now)
    return report


def _finish(inventory: Inventory, trip_instance: str, now: datetime) -> int:
    """Count the instance's outcomes; mark it done when no booking is left; how many are."""
    with writer(inventory) as session:
        cancellation = session.get(TripCancellation, trip_instance, with_for_update=True)
        if cancellation is None:
            raise NotFoundError("cancellation_not_found", f"{trip_instance} is not cancelled")
        left = len(displaced.displaced_bookings(session, inventory, trip_instance))
        counts = dict(
            session.execute(
                select(Reaccommodation.outcome, func.count())
                .where(Reaccommodation.cancelled_instance == trip_instance)
                .group_by(Reaccommodation.outcome)
            ).all()
        )
        cancellation.rebooked = counts.get("rebooked", 0)
        cancellation.refunded = counts.get("refunded", 0)
        if not left and cancellation.status != "done":
            cancellation.status, cancellation.done_at = "done", now
            webhook_events.record(
                session,
                "trip.reaccommodated",
                {
                    "trip_instance": trip_instance,
                    "rebooked": cancellation.rebooked,
                    "refunded": cancellation.refunded,
                },
                now,
                dedupe_key=f"trip.reaccommodated:{trip_instance}",
            )
        session.commit()
        return left


def dropped_by_active_feed(inventory: Inventory, *, since: date, now: datetime) -> list[str]:
    """Record as cancelled (source ``feed``) every instance from ``since`` on with confirmed
    bookings that the active timetable no longer runs; the instances newly recorded."""
    newly = []
    with writer(inventory) as session:
        version = active_version_id(session)
        if version is None:
            return []
        booked = select(Booking.trip_instance).where(Booking.status == "confirmed")
        cancelled = select(TripCancellation.trip_instance)
        opened_rows = session.scalars(
            select(TripInventory).where(
                TripInventory.service_date >= since,
                TripInventory.trip_instance.in_(booked),
                TripInventory.trip_instance.not_in(cancelled),
            )
        ).all()
        for opened in opened_rows:
            try:
                resolve(session, inventory, opened.trip_instance, version=version)
            except ServiceError:
                gone = _as_resolved(session, inventory, opened)
                if gone is not None and record(
                    session,
                    gone,
                    source="feed",
                    reason=f"not in the timetable published as version {version}",
                    now=now,
                ):
                    newly.append(opened.trip_instance)
        session.commit()
    return newly


def _as_resolved(
    session: Session, inventory: Inventory, opened: TripInventory
) -> ResolvedInstance | None:
    """The instance as the timetable it was opened in knew it."""
    try:
        return resolve(session, inventory, opened.trip_instance, version=opened.feed_version_id)
    except ServiceError:
        return None


def policy_for(settings: Settings) -> Policy:
    """The re-accommodation policy ``settings`` give."""
    return Policy(
        earliest_minutes=settings.reaccommodation_earliest_minutes,
        latest_minutes=settings.reaccommodation_latest_minutes,
        time_limit_s=settings.reaccommodation_time_limit_s,
    )
