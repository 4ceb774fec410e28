"""End-of-day reconciliation of validator taps: passback flags, journeys, caps, charges.

A *travel day* is counted as the caps file says (``caps_file``: its timezone and the local
time a travel day starts; without the file, 04:00 in the active feed's agency timezone).
Reconciling a travel day, in one transaction:

1. flags passback across devices among every credential's allowed taps of the day
   (``reconciliation_rides``; windows are the rule bundle's ``PASSBACK_S``);
2. pairs each account medium's allowed taps into rides (entries of the day, exits up to
   ``max_journey_minutes`` later), leaving out taps a journey of another day took;
3. places the rides on the active timetable (``reconciliation_places``), joins them into
   journeys by the fare transfer rules and prices them with the fare engine, the feed's
   default rider category and ``account_fare_media_id`` (``reconciliation_pricing``);
4. charges the journeys under the daily and weekly caps (``reconciliation_charges``);
5. replaces the day's journeys and charges, and records the run with the number of allowed
   taps it saw, so a later run can tell that late taps (an offline device) arrived.

Running a day twice gives the same journeys, charges and flags. A day that cannot be
reconciled fails whole with a coded ``ServiceError`` and leaves the last run's results:
``no_active_feed``, or ``caps_mixed_currencies`` when the caps file's currency is not the
fares'. Leadership: on PostgreSQL the
transaction first takes a transaction-level advisory lock with ``pg_try_advisory_xact_lock``;
a server that cannot take it skips (and logs) instead of waiting, so when several servers
run the job only one reconciles at a time. On SQLite the transaction holds the database's
write lock (``BEGIN IMMEDIATE``), which serializes runners the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from itertools import groupby
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.db import Database
from backend.models import ReconciliationRun
from backend.services import reconciliation_store as store
from backend.services.fare_data import FareTablesCache
from backend.services.reconciliation_day import DayWork, ReconcileConfig
from backend.services.rule_bundles import PASSBACK_S
from backend.services.timetable import require_active_version
from backend.services.trip_lookup import TripStopsCache
from backend.services.version_facts import VersionFactsCache
from backend.settings import Settings, SettingsError, parse_time_of_day
from fares.cap_policy import CapConfigError, CapPolicy

log = logging.getLogger(__name__)

LEADER_LOCK = (0x46470002, 1)  # (class, key): a class of its own beside the seat-claim locks
LOOKBACK_DAYS = 8  # a device may decide offline for a week; its taps can arrive this late
DEFAULT_DAY_START = time(4, 0)
PASSBACK_LOOKBACK = timedelta(seconds=max(PASSBACK_S.values(), default=0))


class Outcome(StrEnum):
    """What one attempt to reconcile a day did."""

    RECONCILED = "reconciled"
    UP_TO_DATE = "up_to_date"
    SKIPPED_LOCKED = "skipped_locked"


@dataclass(frozen=True)
class DayReport:
    """The outcome of reconciling one travel day, with what the run made."""

    travel_day: date
    outcome: Outcome
    taps: int = 0
    journeys: int = 0
    incomplete: int = 0
    flags: int = 0


@dataclass(frozen=True)
class Reconciler:
    """What reconciliation needs: the database, the caches of feed data, the settings."""

    database: Database
    facts: VersionFactsCache
    trips: TripStopsCache
    fares: FareTablesCache
    config: ReconcileConfig
    reconcile_at: time

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        database: Database,
        caches: tuple[VersionFactsCache, TripStopsCache, FareTablesCache] | None = None,
    ) -> Reconciler:
        """A reconciler for ``settings``; a bad caps file is a ``SettingsError``."""
        facts, trips, fares = caches or (VersionFactsCache(), TripStopsCache(), FareTablesCache())
        config = ReconcileConfig(
            caps=load_caps(Path(settings.caps_file)),
            fare_media_id=settings.account_fare_media_id,
            max_journey=timedelta(minutes=settings.max_journey_minutes),
            max_fare_minor=settings.max_fare_minor,
        )
        reconcile_at = parse_time_of_day(settings.reconcile_at) or time(5, 0)
        return cls(database, facts, trips, fares, config, reconcile_at)


def load_caps(path: Path) -> CapPolicy | None:
    """The caps file at ``path`` (None when there is none)."""
    if not path.is_file():
        return None
    try:
        return CapPolicy.from_toml(path.read_text(encoding="utf-8"))
    except (CapConfigError, OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"caps file {path}: {error}") from error


def travel_calendar(reconciler: Reconciler, session: Session) -> CapPolicy:
    """The caps policy, or no caps with travel days from 04:00 in the feed's timezone."""
    if reconciler.config.caps is not None:
        return reconciler.config.caps
    facts = reconciler.facts.get(session, require_active_version(session))
    return CapPolicy(facts.zone(None), DEFAULT_DAY_START, 0, {})


def day_bounds(policy: CapPolicy, day: date) -> tuple[datetime, datetime]:
    """When a travel day starts and ends, as aware instants."""
    start = datetime.combine(day, policy.day_starts_at, tzinfo=policy.timezone)
    end = datetime.combine(day + timedelta(days=1), policy.day_starts_at, tzinfo=policy.timezone)
    return start, end


def reconcile_day(
    reconciler: Reconciler, day: date, now: datetime, *, only_if_stale: bool = False
) -> DayReport:
    """Reconcile travel day ``day``; with ``only_if_stale``, only when it was never reconciled,
    gained taps since, or an earlier day of its week was reconciled after it. See the module
    docstring."""
    with reconciler.database.writer_sessions() as session:
        if not take_leader_lock(session):
            log.info("reconciliation of %s skipped: another server is reconciling", day)
            return DayReport(day, Outcome.SKIPPED_LOCKED)
        policy = travel_calendar(reconciler, session)
        start, end = day_bounds(policy, day)
        window = (start - PASSBACK_LOOKBACK, end + reconciler.config.max_journey)
        if only_if_stale and _up_to_date(session, day, policy.week_of(day), window):
            return DayReport(day, Outcome.UP_TO_DATE)
        version = require_active_version(session)
        work = DayWork(
            session=session,
            day=day,
            bounds=(start, end),
            policy=policy,
            config=reconciler.config,
            facts=reconciler.facts.get(session, version),
            trips=reconciler.trips,
            tables=reconciler.fares.get(session, version),
        )
        taken = store.taken_by_other_days(session, day, *window)
        taps = 0
        for group in _by_medium(store.allowed_taps(session, *window)):
            taps += len(group)
            work.add_medium(group, taken)
        journeys, incomplete, flags = work.write(now)
        store.record_run(session, ReconciliationRun(
            travel_day=day, reconciled_at=now, taps_seen=taps, journeys=journeys,
            incomplete=incomplete, flags=flags,
        ))  # fmt: skip
        session.commit()
    report = DayReport(day, Outcome.RECONCILED, taps, journeys, incomplete, flags)
    log.info(
        "reconciled travel day %s: %d taps, %d journeys (%d incomplete), %d passback flags",
        day, report.taps, report.journeys, report.incomplete, report.flags,
    )  # fmt: skip
    return report


def _by_medium(taps: Iterable[store.StoredTap]) -> Iterator[list[store.StoredTap]]:
    for _, group in groupby(taps, key=lambda tap: tap.fact.fingerprint):
        yield list(group)


def _up_to_date(
    session: Session, day: date, week_start: date, window: tuple[datetime, datetime]
) -> bool:
    """Whether the day's last run saw every allowed tap its window holds now, and came after
    the last run of every earlier day of its travel week (whose charges its weekly caps
    count)."""
    run = session.get(ReconciliationRun, day)
    if run is None or run.taps_seen != store.count_allowed_taps(session, *window):
        return False
    return not store.later_week_run(session, week_start, day, run.reconciled_at)


def take_leader_lock(session: Session) -> bool:
    """Take the reconciliation lock for the session's transaction; False when another
    transaction holds it (PostgreSQL). SQLite's writer sessions already hold the write lock."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = session.execute(
        text("SELECT pg_try_advisory_xact_lock(:lock_class, :key)"),
        {"lock_class": LEADER_LOCK[0], "key": LEADER_LOCK[1]},
    ).scalar_one()
    return bool(taken)


def due_days(policy: CapPolicy, reconcile_at: time, now: datetime) -> list[date]:
    """The travel days of the last ``LOOKBACK_DAYS`` whose reconciliation time has come: the
    first ``reconcile_at`` after the day's end."""
    today = policy.travel_day(now)
    days = [today - timedelta(days=back) for back in range(LOOKBACK_DAYS, 0, -1)]
    after = 1 if reconcile_at >= policy.day_starts_at else 2
    return [
        day
        for day in days
        if now >= datetime.combine(day + timedelta(days=after), reconcile_at, policy.timezone)
    ]


def reconcile_due(reconciler: Reconciler, now: datetime) -> list[DayReport]:
    """Reconcile, oldest first, every due day that was never reconciled, has taps its last
    run did not see, or was reconciled before an earlier day of its travel week was (weekly
    caps carry over). Stops at the first day another server is reconciling."""
    with reconciler.database.sessions() as session:
        policy = travel_calendar(reconciler, session)
    reports: list[DayReport] = []
    for day in due_days(policy, reconciler.reconcile_at, now):
        report = reconcile_day(reconciler, day, now, only_if_stale=True)
        reports.append(report)
        if report.outcome is Outcome.SKIPPED_LOCKED:
            break
    return reports
