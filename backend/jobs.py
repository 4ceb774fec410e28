"""Periodic jobs, run by APScheduler in the job runner process (``faregate jobs``).

The web workers never run jobs: ``faregate serve`` starts one job runner beside gunicorn, and
a deployment may run it as a service of its own. With several servers on one PostgreSQL, only
the leading runner runs the jobs, and a survivor takes over when it dies
(``backend.leadership``). Jobs:

- ``sweep_expired_holds`` (every ``SWEEP_INTERVAL_S``): ends holds past their expiry and frees
  what they held. Readers already ignore expired claims, so this is housekeeping: it keeps
  the claim tables small and gives unassigned places back to their legs.
- ``reconcile_taps`` (every ``RECONCILE_CHECK_S``): reconciles each travel day once its
  ``reconcile_at`` time has come, and again when taps of it arrive late (an offline device);
  see ``backend.services.reconciliation``. Every server may run it: an advisory lock on
  PostgreSQL lets one reconcile while the others skip and log it. Checking often rather than
  firing once a day means a runner that was down at ``reconcile_at`` catches up when it starts.
- ``purge_idempotency_records`` (every ``PURGE_INTERVAL_S``): forgets Idempotency-Keys older
  than ``write_sessions.IDEMPOTENCY_KEPT`` (a day).
- ``poll_realtime_trip_updates`` (every ``realtime_poll_seconds``, only when
  ``realtime_trip_updates_url`` is set): reads that GTFS-Realtime TripUpdates feed and cancels
  the trip instances it cancels (``backend.services.gtfs_rt_import``); a feed that cannot be
  fetched or read is logged and read again at the next run.
- ``send_outbox`` (every ``OUTBOX_INTERVAL_S``): sends the e-mail that is due through the mail
  server (``backend.services.outbox``); with no ``smtp_host`` it leaves the mail queued.
- ``deliver_webhooks`` (every ``WEBHOOK_INTERVAL_S``): logs the bookings made and cancelled
  lately as events, gives each new event a delivery per subscribed endpoint, and POSTs the
  deliveries that are due (``backend.services.webhooks``). Its first run looks back a day, to
  cover the time the runner was stopped; later runs look back ten minutes.
- ``resume_cancellations`` (every ``CANCELLATIONS_INTERVAL_S``): when the published timetable
  changed, cancels the booked trip instances it no longer runs; then re-accommodates the
  bookings of cancelled trips still to do (``backend.services.cancellations``), whoever
  cancelled them and whatever stopped the work before.

A mail server or an endpoint that fails only makes its messages wait for their next attempt;
a database that cannot be reached is logged and tried again at the next run.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.exc import SQLAlchemyError

from backend.clock import utc_now
from backend.db import Database
from backend.errors import ServiceError
from backend.leadership import CHECK_S, Leadership
from backend.metrics import timed_job
from backend.services import (
    cancellation_views,
    cancellations,
    outbox,
    webhook_booking_events,
    webhooks,
    write_sessions,
)
from backend.services.fare_data import FareTablesCache
from backend.services.feeds import active_version_id
from backend.services.gtfs_rt_import import RealtimeTripUpdates
from backend.services.hold_lifecycle import sweep_expired
from backend.services.outbox import SmtpSettings
from backend.services.pass_products import load_pass_products
from backend.services.reconciliation import DayReport, Reconciler, reconcile_due
from backend.services.reservation_store import Inventory
from backend.services.signing_keys import KeyringFile
from backend.services.trip_lookup import TripStopsCache
from backend.services.version_facts import VersionFactsCache
from backend.settings import Settings
from inventory.seatmap_files import load_seat_maps

log = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 60
PURGE_INTERVAL_S = 3600
RECONCILE_CHECK_S = 600
OUTBOX_INTERVAL_S = 5
OUTBOX_BATCH = 50
WEBHOOK_INTERVAL_S = 5
WEBHOOK_BATCH = 50
CANCELLATIONS_INTERVAL_S = 30


def inventory_for(settings: Settings, database: Database) -> Inventory:
    """The reservation services' context for ``settings``."""
    return Inventory(
        database=database,
        seat_maps=load_seat_maps(Path(settings.seatmap_dir)),
        facts=VersionFactsCache(),
        trips=TripStopsCache(),
        fares=FareTablesCache(),
        keyring=KeyringFile(Path(settings.signing_keys_file)),
        passes=load_pass_products(Path(settings.period_passes_file)),
        hold_duration=timedelta(minutes=settings.hold_minutes),
        lock_timeout_ms=settings.lock_timeout_ms,
    )


def sweep_expired_holds(inventory: Inventory) -> int:
    """End the holds that have expired; how many."""
    ended = sweep_expired(inventory, utc_now())
    if ended:
        log.info("ended %d expired hold(s)", ended)
    return ended


def purge_idempotency_records(inventory: Inventory) -> int:
    """Forget the Idempotency-Keys older than a day; how many."""
    purged = write_sessions.purge_idempotency_records(inventory, utc_now())
    if purged:
        log.info("forgot %d idempotency key(s) older than a day", purged)
    return purged


def poll_realtime_trip_updates(feed: RealtimeTripUpdates) -> int:
    """Cancel the trip instances the realtime feed cancels; how many it named."""
    try:
        return feed.poll(utc_now())
    except ServiceError as error:  # unreachable, too large, not a feed, nothing published
        log.warning("realtime trip updates not read: [%s] %s", error.code, error.message)
        return 0


def realtime_feed_for(settings: Settings, inventory: Inventory) -> RealtimeTripUpdates | None:
    """The realtime feed ``settings`` name, or None when none is configured."""
    if not settings.realtime_trip_updates_url:
        return None
    return RealtimeTripUpdates(
        settings.realtime_trip_updates_url,
        inventory,
        every_s=settings.realtime_poll_seconds,
        policy=cancellations.policy_for(settings),
    )


def reconcile_taps(reconciler: Reconciler) -> list[DayReport]:
    """Reconcile the travel days that are due or have late taps."""
    try:
        return reconcile_due(reconciler, utc_now())
    except ServiceError as error:  # e.g. no feed published yet: try again at the next check
        log.warning("tap reconciliation not run: [%s] %s", error.code, error.message)
        return []


@dataclasses.dataclass
class Messaging:
    """What the outbox and webhook jobs work with, and whether the webhook job has caught up
    with what happened while the runner was stopped."""

    database: Database
    smtp: SmtpSettings
    caught_up: bool = False


def send_outbox(messaging: Messaging) -> outbox.SendReport:
    """Send the e-mail that is due."""
    try:
        return outbox.send_due(messaging.database, messaging.smtp, utc_now(), limit=OUTBOX_BATCH)
    except SQLAlchemyError as error:
        log.warning("outbox not sent: the database failed: %s", _first_line(error))
        return outbox.SendReport()


def deliver_webhooks(messaging: Messaging) -> webhooks.DeliveryReport:
    """Log recent booking events, fan new events out to their endpoints, deliver what is due."""
    now = utc_now()
    lookback = webhooks.RECENT_EVENTS if messaging.caught_up else webhooks.CATCH_UP_EVENTS
    try:
        with messaging.database.writer_sessions() as session:
            logged = webhook_booking_events.record_booking_events(session, now, lookback)
            fanned = webhooks.fan_out(session, now, lookback)
            session.commit()
        messaging.caught_up = True
        if logged or fanned:
            log.info("webhooks: %d booking event(s) logged, %d delivery(ies) new", logged, fanned)
        return webhooks.deliver_due(messaging.database, now, limit=WEBHOOK_BATCH)
    except SQLAlchemyError as error:
        log.warning("webhooks not delivered: the database failed: %s", _first_line(error))
        return webhooks.DeliveryReport()


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


@dataclasses.dataclass
class Disruptions:
    """What the cancellation job works with, and the timetable it last looked for dropped
    trips in."""

    inventory: Inventory
    policy: cancellations.Policy
    checked_version: int | None = None


def resume_cancellations(disruptions: Disruptions) -> int:
    """Cancel the booked trips a newly published timetable dropped, and re-accommodate the
    bookings of cancelled trips that are still to do; how many cancellations were worked on."""
    now = utc_now()
    inventory = disruptions.inventory
    since = cancellation_views.looking_back_from(now)
    try:
        with inventory.database.sessions() as session:
            version = active_version_id(session)
        if version is not None and version != disruptions.checked_version:
            dropped = cancellations.dropped_by_active_feed(inventory, since=since, now=now)
            if dropped:
                log.warning("the published timetable drops booked trips: %s", ", ".join(dropped))
            disruptions.checked_version = version
        with inventory.database.sessions() as session:
            todo = cancellation_views.unfinished(session, since)
        for trip_instance in todo:
            report = cancellations.process(
                inventory, trip_instance, now=now, policy=disruptions.policy
            )
            log.info(
                "cancelled %s: %d booking(s) rebooked, %d refunded, %d left",
                trip_instance, report.rebooked, report.refunded, report.left,
            )  # fmt: skip
        return len(todo)
    except (ServiceError, SQLAlchemyError) as error:
        log.warning("cancellations not worked on: %s", _first_line(error))
        return 0


def add_jobs(
    scheduler: BaseScheduler,
    inventory: Inventory,
    reconciler: Reconciler | None = None,
    *,
    messaging: Messaging | None = None,
    realtime: RealtimeTripUpdates | None = None,
    disruptions: Disruptions | None = None,
) -> None:
    """Register every periodic job on ``scheduler``."""
    if reconciler is not None:
        _every(scheduler, RECONCILE_CHECK_S, reconcile_taps, reconciler)
    if messaging is not None:
        _every(scheduler, OUTBOX_INTERVAL_S, send_outbox, messaging)
        _every(scheduler, WEBHOOK_INTERVAL_S, deliver_webhooks, messaging)
    _every(scheduler, SWEEP_INTERVAL_S, sweep_expired_holds, inventory)
    _every(scheduler, PURGE_INTERVAL_S, purge_idempotency_records, inventory)
    if realtime is not None:
        _every(scheduler, realtime.every_s, poll_realtime_trip_updates, realtime)
    if disruptions is not None:
        _every(scheduler, CANCELLATIONS_INTERVAL_S, resume_cancellations, disruptions)


def _every(
    scheduler: BaseScheduler, seconds: int, job: Callable[[Any], Any], argument: Any
) -> None:
    """Run ``job(argument)`` at once and then every ``seconds``, one run at a time (runs
    missed while one was going are run once), under the job's own name; each run is counted
    and timed (``faregate_job_runs_total``, ``faregate_job_duration_seconds``)."""
    scheduler.add_job(
        _database_tolerant(timed_job(job)),
        "interval",
        seconds=seconds,
        args=[argument],
        id=job.__name__,
        max_instances=1,
        coalesce=True,
        next_run_time=utc_now(),
    )


def _database_tolerant(job: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``job``, logging a database that cannot be reached in one line (the run counts as an
    error) rather than letting the scheduler print a traceback at every run of a failover."""

    @functools.wraps(job)
    def run(argument: Any) -> Any:
        try:
            return job(argument)
        except SQLAlchemyError as error:
            log.warning("%s not run: the database failed: %s", job.__name__, _first_line(error))
            return None

    return run


def run_jobs(settings: Settings, stop: threading.Event | None = None) -> None:
    """Run the jobs in the foreground, while this runner leads, until ``stop`` is set or the
    process is told to stop (SIGTERM, SIGINT).

    A runner that does not lead waits and takes over when the leader goes
    (``backend.leadership``); one that loses the database connection holding leadership stops
    its jobs and competes again. Each time it starts leading, the jobs start afresh: the
    webhook job catches up on what happened meanwhile, the cancellation job looks at the
    published timetable again.
    """
    stop = stop or _stop_on_signals()
    database = Database(settings.database_url, connect_timeout_s=settings.db_connect_timeout_s)
    leadership = Leadership(settings.database_url, connect_timeout_s=settings.db_connect_timeout_s)
    try:
        while leadership.wait_to_lead(stop):
            scheduler = _leader_scheduler(settings, database)
            log.info(
                "%s leads: running %s",
                leadership.name, ", ".join(job.id for job in scheduler.get_jobs()),
            )  # fmt: skip
            scheduler.start()
            while not stop.wait(CHECK_S) and leadership.still_leading():
                pass
            scheduler.shutdown(wait=True)
            if not stop.is_set():
                log.warning("%s no longer leads; its jobs stopped", leadership.name)
    finally:
        leadership.close()
        database.dispose()


def _leader_scheduler(settings: Settings, database: Database) -> BackgroundScheduler:
    """A scheduler holding every job, not yet started."""
    scheduler = BackgroundScheduler(timezone="UTC")
    inventory = inventory_for(settings, database)
    caches = (inventory.facts, inventory.trips, inventory.fares)
    add_jobs(
        scheduler,
        inventory,
        Reconciler.from_settings(settings, database, caches),
        messaging=Messaging(database, SmtpSettings.from_settings(settings)),
        realtime=realtime_feed_for(settings, inventory),
        disruptions=Disruptions(inventory, cancellations.policy_for(settings)),
    )
    return scheduler


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so that the runner stops between jobs."""
    stop = threading.Event()

    def _handle(_signal: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _handle)
    signal.signal(signal.SIGINT, _handle)
    return stop
