"""The fare quote API over published feeds: Fares v1 (sample feed) and Fares v2 (Zakroczym)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from backend.db import Database
from backend.services import feeds
from backend.services.fare_data import load_fare_tables
from backend.services.timetable import require_active_version
from fares.fare_tables import FareTables
from tests.harness.feeds import SAMPLE_FEED, ZAKROCZYM_FEED
from tests.unit.fares.fare_feeds import sample_feed_1_tables, zakroczym_tables

# Trip 10-1 of Zakroczym runs on weekdays: Urząd Miejski (113) and Czarna (100) are in area 1
# Zakroczym, Chrzanowskiego 02 (117-2) in area 2 Modlin-Twierdza, Urząd Miasta 01 (121) in
# area 3 Nowy Dwór Mazowiecki.
ZAKROCZYM_TRIP = "10-1@2025-11-12"


def _publish(database: Database, feed: Path, today: date) -> None:
    result = feeds.import_feed(
        database,
        feed,
        filename=feed.name,
        now=datetime(2026, 1, 1, tzinfo=UTC),
        today=today,
        publish=True,
    )
    assert result.published, result.report.summary()


def _quote(client: FlaskClient, *legs: tuple[str, str, str], **extra: str) -> Any:
    query: list[tuple[str, str]] = []
    for trip, start, end in legs:
        query += [("trip_instance", trip), ("from", start), ("to", end)]
    query += list(extra.items())
    return client.get("/api/v1/fares/quote", query_string=query)


@pytest.fixture
def sample(database: Database) -> None:
    _publish(database, SAMPLE_FEED, date(2008, 6, 1))


@pytest.fixture
def zakroczym(database: Database) -> None:
    _publish(database, ZAKROCZYM_FEED, date(2025, 11, 11))


def test_v1_fare_of_one_leg_follows_its_route(client: FlaskClient, sample: None) -> None:
    body = _quote(client, ("AB1@2008-06-02", "BEATTY_AIRPORT", "BULLFROG")).json
    assert body["total"] == {"amount": 125, "currency": "USD", "text": "1.25 USD"}
    assert body["legs"][0]["fare_product_id"] == "p"
    assert "p" in body["legs"][0]["explanation"]
    airport = _quote(client, ("AAMV1@2008-06-07", "BEATTY_AIRPORT", "AMV")).json
    assert airport["total"]["amount"] == 525


def test_v1_fare_without_transfers_pays_each_leg(client: FlaskClient, sample: None) -> None:
    body = _quote(
        client,
        ("AB1@2008-06-02", "BEATTY_AIRPORT", "BULLFROG"),
        ("BFC1@2008-06-02", "BULLFROG", "FUR_CREEK_RES"),
    ).json
    assert body["total"]["amount"] == 250
    assert [leg["price"]["amount"] for leg in body["legs"]] == [125, 125]


def test_v2_fares_between_areas_of_zakroczym(client: FlaskClient, zakroczym: None) -> None:
    cases = {("113", "117-2"): 400, ("113", "121"): 500, ("100", "113"): 0, ("117-2", "121"): 400}
    for (start, end), amount in cases.items():
        body = _quote(client, (ZAKROCZYM_TRIP, start, end)).json
        assert body["total"] == {
            "amount": amount,
            "currency": "PLN",
            "text": f"{amount // 100}.{amount % 100:02d} PLN",
        }, (start, end, body)
    explained = _quote(client, (ZAKROCZYM_TRIP, "113", "117-2")).json["legs"][0]
    assert explained["fare_product_id"] == "single_ride_zones12_normal"
    assert "flr_12" in explained["explanation"]


def test_v2_rider_category_without_a_single_ride_product_has_no_fare(
    client: FlaskClient, zakroczym: None
) -> None:
    response = _quote(client, (ZAKROCZYM_TRIP, "113", "117-2"), rider_category="2")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "no_fare"
    default = _quote(client, (ZAKROCZYM_TRIP, "113", "117-2"), rider_category="0").json
    assert default["total"]["amount"] == 400


def test_bad_journeys_are_refused_with_codes(client: FlaskClient, sample: None) -> None:
    backwards = _quote(client, ("AB1@2008-06-02", "BULLFROG", "BEATTY_AIRPORT"))
    assert backwards.status_code == 400
    assert backwards.json["error"]["code"] == "invalid_leg_range"
    missing = _quote(client, ("NOPE@2008-06-02", "BULLFROG", "BEATTY_AIRPORT"))
    assert missing.json["error"]["code"] == "trip_not_found"
    uneven = client.get(
        "/api/v1/fares/quote",
        query_string=[("trip_instance", "AB1@2008-06-02"), ("from", "BEATTY_AIRPORT")],
    )
    assert uneven.status_code == 422


@pytest.mark.parametrize(
    ("feed", "read_from_files"),
    [(SAMPLE_FEED, sample_feed_1_tables), (ZAKROCZYM_FEED, zakroczym_tables)],
    ids=["sample-feed-1", "zakroczym"],
)
def test_fare_tables_read_back_from_the_database_are_those_of_the_files(
    database: Database, feed: Path, read_from_files: Callable[[], FareTables]
) -> None:
    _publish(database, feed, date(2025, 11, 11) if feed == ZAKROCZYM_FEED else date(2008, 6, 1))
    with database.sessions() as session:
        version = require_active_version(session)
        stored = load_fare_tables(session, version)
    # Zakroczym's fare_leg_rules has no rule_priority column, so an empty field there means
    # "any value no other rule names", not "any value": the stored feed must say so too.
    assert stored == read_from_files()
