"""PostgreSQL copies stop_times.txt as it is, and falls back to rows when it cannot."""

from __future__ import annotations

import csv
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from backend.db import Database
from backend.models import GTFS_TABLES
from backend.services import feeds
from tests.harness.feeds import SAMPLE_FEED, sample_feed_copy

pytestmark = pytest.mark.postgres
REFUSED = "bulk copy refused"


@pytest.fixture
def database(postgres_database: Database) -> Database:
    return postgres_database


def seconds(text: str) -> int | None:
    if not text:
        return None
    hours, minutes, secs = (int(part) for part in text.split(":"))
    return hours * 3600 + minutes * 60 + secs


def expected_stop_times(feed: Path) -> set[tuple[object, ...]]:
    with (feed / "stop_times.txt").open(encoding="utf-8-sig") as handle:
        return {
            (
                row["trip_id"],
                int(row["stop_sequence"]),
                row["stop_id"],
                seconds(row["arrival_time"]),
                seconds(row["departure_time"]),
            )
            for row in csv.DictReader(handle)
        }


def stored_stop_times(database: Database, version: int) -> set[tuple[object, ...]]:
    table = GTFS_TABLES["stop_times"]
    with database.sessions() as session:
        rows = session.execute(
            select(
                table.c.trip_id,
                table.c.stop_sequence,
                table.c.stop_id,
                table.c.arrival_time,
                table.c.departure_time,
            ).where(table.c.feed_version_id == version)
        )
        return {tuple(row) for row in rows}


def load(database: Database, feed: Path) -> feeds.ImportResult:
    return feeds.import_feed(
        database,
        feed,
        filename=feed.name,
        now=datetime(2026, 1, 1, tzinfo=UTC),
        today=date(2026, 1, 1),
    )


def test_bulk_copy_stores_exactly_the_files_rows(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    result = load(database, SAMPLE_FEED)
    assert result.version.status == "loaded"
    assert REFUSED not in caplog.text
    assert stored_stop_times(database, result.version.id) == expected_stop_times(SAMPLE_FEED)


def test_quoted_empty_values_are_empty_in_the_bulk_copy(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        (SAMPLE_FEED / "stop_times.txt")
        .read_text()
        .replace("CITY1,6:12:00,6:14:00,NADAV,3,,,,", 'CITY1,"","",NADAV,3,"",,,')
    )
    feed = sample_feed_copy(tmp_path, stop_times=text)
    caplog.set_level(logging.WARNING)
    result = load(database, feed)
    assert result.version.status == "loaded", result.report.to_dict()
    assert REFUSED not in caplog.text
    stored = stored_stop_times(database, result.version.id)
    assert ("CITY1", 3, "NADAV", None, None) in stored
    assert stored == expected_stop_times(feed)
    table = GTFS_TABLES["stop_times"]
    with database.sessions() as session:
        headsign = session.scalar(
            select(table.c.stop_headsign).where(
                table.c.feed_version_id == result.version.id,
                table.c.trip_id == "CITY1",
                table.c.stop_sequence == 3,
            )
        )
    assert headsign is None


def test_what_postgresql_refuses_is_loaded_row_by_row(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A blank line is an empty row to GTFS (a warning) but missing data to COPY.
    lines = (SAMPLE_FEED / "stop_times.txt").read_text().splitlines()
    text = "\n".join([*lines[:5], "", *lines[5:]]) + "\n"
    feed = sample_feed_copy(tmp_path, stop_times=text)
    caplog.set_level(logging.WARNING)
    result = load(database, feed)
    assert result.version.status == "loaded", result.report.to_dict()
    assert "empty_row" in {entry["code"] for entry in result.report.summary()["by_code"]}
    assert REFUSED in caplog.text
    assert stored_stop_times(database, result.version.id) == expected_stop_times(SAMPLE_FEED)


def test_a_file_with_extra_columns_goes_row_by_row(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = (SAMPLE_FEED / "stop_times.txt").read_text().splitlines()
    text = "\n".join([lines[0] + ",vehicle_note"] + [line + ",x" for line in lines[1:]])
    feed = sample_feed_copy(tmp_path, stop_times=text)
    result = load(database, feed)
    assert result.version.status == "loaded"
    assert REFUSED not in caplog.text
    assert stored_stop_times(database, result.version.id) == expected_stop_times(SAMPLE_FEED)
