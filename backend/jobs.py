"""Periodic jobs, run by APScheduler in the job runner process (``faregate jobs``).

The web workers never run jobs: ``faregate serve`` starts one job runner beside gunicorn, and
a deployment may run it as a service of its own. Jobs:

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
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from backend.clock import utc_now
from backend.db import Database
from backend.errors import ServiceError
from backend.services import write_sessions
from backend.services.fare_data import FareTablesCache
from backend.services.hold_lifecycle import sweep_expired
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


def reconcile_taps(reconciler: Reconciler) -> list[DayReport]:
    """Reconcile the travel days that are due or have late taps."""
    try:
        return reconcile_due(reconciler, utc_now())
    except ServiceError as error:  # e.g. no feed published yet: try again at the next check
        log.warning("tap reconciliation not run: [%s] %s", error.code, error.message)
        return []


def add_jobs(
    scheduler: BaseScheduler, inventory: Inventory, reconciler: Reconciler | None = None
) -> None:
    """Register every periodic job on ``scheduler``."""
    if reconciler is not None:
        _every(scheduler, RECONCILE_CHECK_S, reconcile_taps, reconciler)
    _every(scheduler, SWEEP_INTERVAL_S, sweep_expired_holds, inventory)
    _every(scheduler, PURGE_INTERVAL_S, purge_idempotency_records, inventory)


def _every(
    scheduler: BaseScheduler, seconds: int, job: Callable[[Any], Any], argument: Any
) -> None:
    """Run ``job(argument)`` at once and then every ``seconds``, one run at a time (runs
    missed while one was going are run once), under the job's own name."""
    scheduler.add_job(
        job,
        "interval",
        seconds=seconds,
        args=[argument],
        id=job.__name__,
        max_instances=1,
        coalesce=True,
        next_run_time=utc_now(),
    )


def run_jobs(settings: Settings) -> None:
    """Run the scheduler in the foreground until interrupted."""
    database = Database(settings.database_url, connect_timeout_s=settings.db_connect_timeout_s)
    scheduler = BlockingScheduler(timezone="UTC")
    inventory = inventory_for(settings, database)
    caches = (inventory.facts, inventory.trips, inventory.fares)
    add_jobs(scheduler, inventory, Reconciler.from_settings(settings, database, caches))
    log.info("job runner started: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        database.dispose()
