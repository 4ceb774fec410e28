"""End-of-day reconciliation on real databases: taps uploaded through the device API become
passback flags, journeys (complete, incomplete, joined by transfers) and capped charges.

The network, fares and caps are those of ``reconciliation_world``; every amount below is
worked out by hand from them (PLN minor units).
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from backend.db import Database
from backend.jobs import add_jobs, inventory_for, reconcile_taps
from backend.models import DailyCharge, Journey, JourneyLeg, PassbackFlag, Tap
from backend.services.reconciliation import (
    DayReport,
    Outcome,
    Reconciler,
    reconcile_day,
    reconcile_due,
)
from backend.settings import Settings
from tests.integration.reconciliation.world import (
    TUESDAY,
    WEDNESDAY,
    Validators,
    card,
    local,
)

A, B, C, D = card("04aa0001"), card("04bb0002"), card("04cc0003"), card("04dd0004")
QR = secrets.token_hex(32)  # a signed ticket's fingerprint: flagged, never priced
NOW = datetime(2026, 6, 3, 4, 0, tzinfo=UTC)  # 06:00 on Wednesday in Warsaw


@pytest.fixture
def reconciler(settings: Settings, database: Database) -> Reconciler:
    return Reconciler.from_settings(settings, database)


def tuesday_taps(taps: Validators) -> None:
    """Card A rides rail then bus, leaves one entry open and rides back late at night; B
    rides a bus and boards another with no trip known; C is let in twice at Central; a
    ticket (QR) is let in twice by two gates."""
    day, next_day = TUESDAY, WEDNESDAY
    taps.tap("cen-in", local(day, "07:00"), QR, kind="qr_text")
    taps.tap("cen-in-2", local(day, "07:01"), QR, kind="qr_text")
    taps.tap("cen-in", local(day, "07:10"), QR, kind="qr_text")
    taps.tap("cen-in", local(day, "08:00"), A)
    taps.tap("air-out", local(day, "08:24"), A)
    taps.tap("bus-1", local(day, "08:50"), A, trip="BUS1@2026-06-02")
    taps.tap("park-in", local(day, "09:30"), A, allowed=False)
    taps.tap("cen-in", local(day, "10:00:00"), C)
    taps.tap("cen-in-2", local(day, "10:00:30"), C)
    taps.tap("park-out", local(day, "10:15"), C)
    taps.tap("park-in", local(day, "12:00"), A)
    taps.tap("air-in", local(day, "17:00"), A)
    taps.tap("cen-out", local(day, "17:26"), A)
    taps.tap("bus-1", local(day, "18:05"), B, trip="BUS2@2026-06-02")
    taps.tap("bus-1", local(day, "18:40"), B)
    taps.tap("cen-in", local(next_day, "03:50"), A)  # before 04:00: still Tuesday's travel
    taps.tap("park-out", local(next_day, "04:10"), A)
    taps.tap("park-in", local(next_day, "04:20"), A)  # Wednesday's travel
    taps.tap("cen-out", local(next_day, "04:35"), A)


def journeys(database: Database, day: date) -> list[tuple[Any, ...]]:
    """(medium, status, fare, charged, limited by, leg kinds, products, amounts) by start."""
    with database.sessions() as session:
        rows = session.scalars(
            select(Journey).where(Journey.travel_day == day).order_by(Journey.started_at)
        ).all()
        legs = {
            row.id: session.scalars(
                select(JourneyLeg)
                .where(JourneyLeg.journey_id == row.id)
                .order_by(JourneyLeg.position)
            ).all()
            for row in rows
        }
    return [
        (
            row.fingerprint,
            row.status,
            row.fare_minor,
            row.charged_minor,
            row.limited_by,
            [(leg.kind, leg.from_stop_id, leg.to_stop_id) for leg in legs[row.id]],
            [(leg.fare_product_id, leg.amount_minor) for leg in legs[row.id]],
        )
        for row in rows
    ]


def charges(database: Database, day: date) -> dict[str, tuple[int, int, int]]:
    with database.sessions() as session:
        rows = session.scalars(select(DailyCharge).where(DailyCharge.travel_day == day)).all()
    return {row.fingerprint: (row.journeys, row.fare_minor, row.charged_minor) for row in rows}


def flags(database: Database) -> list[tuple[Any, ...]]:
    with database.sessions() as session:
        tap_times = dict(session.execute(select(Tap.id, Tap.tapped_at)).all())
        rows = session.scalars(select(PassbackFlag).order_by(PassbackFlag.second_tap_id)).all()
    return [
        (
            row.fingerprint,
            tap_times[row.first_tap_id],
            tap_times[row.second_tap_id],
            row.gap_ms,
            row.window_s,
            row.id,
            row.flagged_at,
        )
        for row in rows
    ]


TUESDAY_JOURNEYS = [
    # 08:00 Central → Airport by rail (two areas, 5.00), then the bus from Market (where it
    # was at 08:50) to Hill, 50 minutes after the rail departure: free by the transfer rule.
    (A, "complete", 500, 500, None,
     [("gate", "CEN", "AIR"), ("bus", "MARKET", "HILL")], [("rail_2", 500), ("bus_ride", 0)]),
    # C was let in at two gates of Central and left at Park: one ride, one area, 3.00.
    (C, "complete", 300, 300, None, [("gate", "CEN", "PARK")], [("rail_1", 300)]),
    # An entry at Park followed by an entry at Airport: no exit, the maximum fare, 5.00,
    # of which the daily cap (8.00) leaves 3.00.
    (A, "incomplete", 500, 300, "daily", [("gate", "PARK", None)], [(None, None)]),
    (A, "complete", 500, 0, "daily", [("gate", "AIR", "CEN")], [("rail_2", 500)]),
    # The 18:00 bus had left the Park bus stop at 18:05: a bus ride to the end, 2.00.
    (B, "complete", 200, 200, None, [("bus", "PARK_BUS", "HILL")], [("bus_ride", 200)]),
    # A boarding with no trip instance: where it went is unknown, the maximum fare.
    (B, "incomplete", 500, 500, None, [("bus", None, None)], [(None, None)]),
    # 03:50 on Wednesday is still Tuesday's travel day: one area, 3.00, over the daily cap.
    (A, "complete", 300, 0, "daily", [("gate", "CEN", "PARK")], [("rail_1", 300)]),
]  # fmt: skip


def test_a_travel_day_becomes_flags_journeys_and_capped_charges(
    validators: Validators, reconciler: Reconciler, database: Database
) -> None:
    tuesday_taps(validators)

    report = reconcile_day(reconciler, TUESDAY, NOW)

    # 18 allowed taps in the day's window (with Wednesday's first four hours); one denied.
    assert report == DayReport(TUESDAY, Outcome.RECONCILED, 18, 7, 2, 2)
    assert journeys(database, TUESDAY) == TUESDAY_JOURNEYS
    assert charges(database, TUESDAY) == {A: (4, 1800, 800), B: (2, 700, 700), C: (1, 300, 300)}
    assert [flag[:5] for flag in flags(database)] == [
        (QR, local(TUESDAY, "07:00"), local(TUESDAY, "07:01"), 60_000, 120),
        (C, local(TUESDAY, "10:00:00"), local(TUESDAY, "10:00:30"), 30_000, 120),
    ]


def test_the_next_day_leaves_taps_earlier_journeys_took_and_counts_the_weekly_cap(
    validators: Validators, reconciler: Reconciler, database: Database
) -> None:
    tuesday_taps(validators)
    reconcile_day(reconciler, TUESDAY, NOW)

    report = reconcile_day(reconciler, WEDNESDAY, NOW)

    # The 04:10 exit ended Tuesday's last journey; Wednesday's one ride is 3.00, of which the
    # weekly cap (10.00, 8.00 spent on Tuesday) leaves 2.00.
    assert (report.taps, report.journeys, report.flags) == (3, 1, 0)
    assert journeys(database, WEDNESDAY) == [
        (A, "complete", 300, 200, "weekly", [("gate", "PARK", "CEN")], [("rail_1", 300)])
    ]
    assert charges(database, WEDNESDAY) == {A: (1, 300, 200)}


def test_reconciling_a_day_again_changes_nothing(
    validators: Validators, reconciler: Reconciler, database: Database
) -> None:
    tuesday_taps(validators)
    first = reconcile_day(reconciler, TUESDAY, NOW)
    made = (journeys(database, TUESDAY), charges(database, TUESDAY), flags(database))

    again = reconcile_day(reconciler, TUESDAY, datetime(2026, 6, 4, tzinfo=UTC))

    assert again == first
    assert (journeys(database, TUESDAY), charges(database, TUESDAY), flags(database)) == made


def test_the_job_reconciles_due_days_once_and_again_when_late_taps_arrive(
    validators: Validators, reconciler: Reconciler, database: Database
) -> None:
    tuesday_taps(validators)

    first = reconcile_due(reconciler, NOW)
    second = reconcile_due(reconciler, NOW)
    # A validator that was offline uploads Tuesday's taps of card D on Thursday.
    validators.tap("park-in", local(TUESDAY, "14:00"), D)
    validators.tap("cen-out", local(TUESDAY, "14:20"), D)
    third = reconcile_due(reconciler, NOW)

    week = [date(2026, 5, 26 + n) for n in range(6)] + [date(2026, 6, 1), TUESDAY]
    assert [report.travel_day for report in first] == week  # Wednesday is not over
    assert {report.outcome for report in first} == {Outcome.RECONCILED}
    assert {report.outcome for report in second} == {Outcome.UP_TO_DATE}
    assert [report.outcome for report in third] == [Outcome.UP_TO_DATE] * 7 + [Outcome.RECONCILED]
    assert third[-1].journeys == 8
    assert charges(database, TUESDAY)[D] == (1, 300, 300)


def test_reconciling_an_earlier_day_of_the_week_again_makes_later_days_due_again(
    validators: Validators, reconciler: Reconciler, database: Database
) -> None:
    tuesday_taps(validators)
    thursday = datetime(2026, 6, 4, 4, 0, tzinfo=UTC)  # 06:00 on Thursday in Warsaw
    reconcile_due(reconciler, thursday)
    assert charges(database, WEDNESDAY) == {A: (1, 300, 200)}
    # A late ride of Tuesday changes no charge (Tuesday was capped already), but Wednesday's
    # weekly cap must be worked out again after Tuesday.
    validators.tap("park-in", local(TUESDAY, "15:00"), A)
    validators.tap("park-out", local(TUESDAY, "15:10"), A)

    later = datetime(2026, 6, 4, 5, 0, tzinfo=UTC)
    reports = {report.travel_day: report.outcome for report in reconcile_due(reconciler, later)}

    assert (reports[TUESDAY], reports[WEDNESDAY]) == (Outcome.RECONCILED, Outcome.RECONCILED)
    assert charges(database, TUESDAY)[A] == (5, 2100, 800)
    assert charges(database, WEDNESDAY) == {A: (1, 300, 200)}


def test_the_job_runner_schedules_reconciliation_and_waits_for_a_published_feed(
    reconciler: Reconciler, settings: Settings, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, inventory_for(settings, database), reconciler)

    assert {job.id for job in scheduler.get_jobs()} == {
        "sweep_expired_holds",
        "reconcile_taps",
        "purge_idempotency_records",
    }
    assert reconcile_taps(reconciler) == []  # nothing published yet: tried again later
    assert "[no_active_feed]" in caplog.text
