"""Importing feeds on both databases: real feeds load intact, bad ones change no data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.db import Database
from backend.errors import ConflictError, NotFoundError
from backend.models import GTFS_TABLES, ActiveFeed, FeedNotice, FeedVersion
from backend.services import feeds
from tests.harness.feeds import SAMPLE_FEED, ZAKROCZYM_FEED, data_rows, sample_feed_copy

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
TODAY = date(2026, 1, 15)


def load(database: Database, path: Path, **options: object) -> feeds.ImportResult:
    return feeds.import_feed(
        database,
        path,
        filename=path.name,
        now=NOW,
        today=TODAY,
        **options,  # type: ignore[arg-type]
    )


def table_counts(database: Database) -> dict[str, int]:
    with database.sessions() as session:
        counts = {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in GTFS_TABLES.items()
        }
        counts["versions"] = session.scalar(select(func.count()).select_from(FeedVersion)) or 0
        counts["active"] = session.scalar(select(ActiveFeed.feed_version_id)) or 0
    return counts


def test_sample_feed_loads_every_row_and_publishes(database: Database) -> None:
    result = load(database, SAMPLE_FEED, publish=True)
    assert result.report.error_count == 0
    assert result.published
    version = result.version
    assert version.status == "loaded"
    for text in SAMPLE_FEED.glob("*.txt"):
        if text.name != "SOURCE.txt":
            assert version.row_counts.get(text.stem, 0) == data_rows(text), text.name
    with database.sessions() as session:
        assert feeds.active_version_id(session) == version.id
        codes = {row.code for row in feeds.notices(session, version.id)[0]}
    assert "expired_calendar" in codes


def test_zakroczym_fares_v2_tables_are_stored_intact(database: Database) -> None:
    result = load(database, ZAKROCZYM_FEED)
    assert result.report.error_count == 0
    assert result.version.row_counts["stop_times"] == 1018
    products = GTFS_TABLES["fare_products"]
    with database.sessions() as session:
        rows = session.execute(
            select(products.c.rider_category_id, products.c.amount, products.c.currency)
            .where(products.c.feed_version_id == result.version.id)
            .where(products.c.fare_product_id == "monthly_discount")
            .order_by(products.c.rider_category_id)
        ).all()
        names = session.scalars(select(GTFS_TABLES["stops"].c.stop_name)).all()
    assert len(rows) == 3
    assert len({row.rider_category_id for row in rows}) == 3
    assert all(row.currency == "PLN" and "." in row.amount for row in rows)
    assert "Zaręby-Pętla" in names
    assert result.version.row_counts["fare_products"] == 10


def test_a_feed_with_errors_is_kept_only_as_a_draft_and_changes_no_data(
    database: Database, tmp_path: Path
) -> None:
    load(database, SAMPLE_FEED, publish=True)
    before = table_counts(database)
    bad = sample_feed_copy(
        tmp_path,
        stop_times="trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "AB1,8:00:00,8:00:00,NOWHERE,1\nAB1,8:10:00,8:15:00,BULLFROG,2\n",
    )
    result = load(database, bad, publish=True)
    assert result.version.status == "draft"
    assert not result.published
    assert result.version.error_count >= 1
    after = table_counts(database)
    assert after.pop("versions") == before.pop("versions") + 1
    assert after == before
    with database.sessions() as session:
        stored = session.scalars(
            select(FeedNotice).where(FeedNotice.feed_version_id == result.version.id)
        ).all()
        assert any(n.code == "foreign_key_violation" and n.value == "NOWHERE" for n in stored)
        with pytest.raises(ConflictError) as refused:
            feeds.publish(session, result.version.id, now=NOW)
        assert refused.value.code == "feed_has_errors"


# stop_times is copied as it is on PostgreSQL; fare_products and fare_leg_rules row by row.
@pytest.mark.parametrize("at", ["stop_times", "fare_products", "fare_leg_rules"])
def test_an_import_interrupted_part_way_leaves_nothing(database: Database, at: str) -> None:
    before = table_counts(database)

    def interrupt(table: str, rows: int) -> None:
        if table == at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load(database, ZAKROCZYM_FEED, progress=interrupt)
    assert table_counts(database) == before


def test_publishing_switches_the_active_version_and_keeps_the_old_one(
    database: Database,
) -> None:
    first = load(database, SAMPLE_FEED, publish=True).version
    second = load(database, ZAKROCZYM_FEED).version
    with database.sessions() as session:
        assert feeds.active_version_id(session) == first.id
        feeds.publish(session, second.id, now=NOW)
        assert feeds.active_version_id(session) == second.id
        assert [v.id for v in feeds.list_versions(session)] == [second.id, first.id]
        with pytest.raises(NotFoundError):
            feeds.publish(session, 999, now=NOW)
    counts = table_counts(database)
    assert counts["stop_times"] == 28 + 1018
