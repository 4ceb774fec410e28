"""When trip instances run, as device bundles carry it: GTFS times of the service date in the
agency's timezone, past midnight, on the days the clocks change, and for frequency runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from backend.db import Database
from backend.services.timetable import require_active_version
from backend.services.trip_spans import trip_spans
from tests.harness.feeds import SAMPLE_FEED
from tests.harness.vehicles import publish_block_feed

# AB2 leaves at 23:50 and arrives at 24:40, the next morning.
LATE_AB2 = (SAMPLE_FEED / "stop_times.txt").read_text().replace(
    "AB2,12:05:00,12:05:00", "AB2,23:50:00,23:50:00").replace(
    "AB2,12:15:00,12:15:00", "AB2,24:40:00,24:40:00")  # fmt: skip


@pytest.fixture
def spans(app: Flask, database: Database, tmp_path: Path) -> dict[str, tuple[datetime, datetime]]:
    publish_block_feed(database, tmp_path, stop_times=LATE_AB2)
    asked = [
        "AB1@2026-10-31", "AB1@2026-11-01",  # Los Angeles leaves summer time on 1 November
        "AB2@2026-06-01", "CITY1@2026-06-01T16:10:00", "NOPE@2026-06-01", "AB1",
        "AB1@2026-06-01",
    ]  # fmt: skip
    with database.sessions() as session:
        facts = app.extensions["faregate.inventory"].facts.get(
            session, require_active_version(session)
        )
        return trip_spans(session, facts, asked)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_trip_runs_from_its_first_departure_to_its_last_arrival_in_agency_time(
    spans: dict[str, tuple[datetime, datetime]],
) -> None:
    # AB1 leaves BEATTY_AIRPORT at 08:00 and reaches BULLFROG at 08:10 (leaving it at 08:15).
    assert spans["AB1@2026-06-01"] == (utc("2026-06-01 15:00"), utc("2026-06-01 15:10"))
    assert spans["AB1@2026-10-31"] == (utc("2026-10-31 15:00"), utc("2026-10-31 15:10"))
    assert spans["AB1@2026-11-01"] == (utc("2026-11-01 16:00"), utc("2026-11-01 16:10"))


def test_a_trip_past_midnight_ends_the_next_morning(
    spans: dict[str, tuple[datetime, datetime]],
) -> None:
    assert spans["AB2@2026-06-01"] == (utc("2026-06-02 06:50"), utc("2026-06-02 07:40"))


def test_a_frequency_run_is_its_trip_moved_to_the_runs_start(
    spans: dict[str, tuple[datetime, datetime]],
) -> None:
    # CITY1's schedule runs 06:00-06:26; the run starting 16:10 runs 16:10-16:36.
    assert spans["CITY1@2026-06-01T16:10:00"] == (utc("2026-06-01 23:10"), utc("2026-06-01 23:36"))


def test_what_the_timetable_cannot_time_is_left_out(
    spans: dict[str, tuple[datetime, datetime]],
) -> None:
    assert not {"NOPE@2026-06-01", "AB1"} & set(spans)
