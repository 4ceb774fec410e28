"""The timetable read API over the published sample feed, and the feeds API."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend.db import Database
from backend.services import feeds
from tests.harness.feeds import SAMPLE_FEED, ZAKROCZYM_FEED, sample_feed_copy

TokenMaker = Callable[..., str]


def test_read_api_answers_404_before_any_publication(client: FlaskClient) -> None:
    response = client.get("/api/v1/stops")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "no_active_feed"


def test_stop_search_by_name_with_paging(client: FlaskClient, published: int) -> None:
    page = client.get("/api/v1/stops?q=ave&limit=2").json
    assert page["total"] == 3
    assert [stop["stop_name"] for stop in page["stops"]] == [
        "Doing Ave / D Ave N (Demo)",
        "North Ave / D Ave N (Demo)",
    ]
    rest = client.get("/api/v1/stops?q=AVE&limit=2&offset=2").json["stops"]
    assert [stop["stop_id"] for stop in rest] == ["NANAA"]
    assert client.get("/api/v1/stops").json["total"] == 9
    assert client.get("/api/v1/stops/AMV").json["stop_name"] == "Amargosa Valley (Demo)"
    assert client.get("/api/v1/stops/NOPE").json["error"]["code"] == "stop_not_found"


def test_routes(client: FlaskClient, published: int) -> None:
    routes = client.get("/api/v1/routes").json
    assert [route["route_short_name"] for route in routes] == ["10", "20", "30", "40", "50"]


def test_direct_trips_with_local_times(client: FlaskClient, published: int) -> None:
    trips = client.get("/api/v1/trips/search?from=BEATTY_AIRPORT&to=BULLFROG&date=2008-06-02")
    assert trips.status_code == 200
    assert trips.json == [
        {
            "trip_instance": "AB1@2008-06-02",
            "trip_id": "AB1",
            "service_date": "2008-06-02",
            "route_id": "AB",
            "route_name": "10",
            "headsign": "to Bullfrog",
            "departure": "2008-06-02T08:00:00-07:00",
            "arrival": "2008-06-02T08:10:00-07:00",
            "board_stop_sequence": 1,
            "alight_stop_sequence": 2,
        }
    ]


def test_calendar_dates_remove_a_day_and_weekend_services_run(
    client: FlaskClient, published: int
) -> None:
    removed = client.get("/api/v1/trips/search?from=BEATTY_AIRPORT&to=BULLFROG&date=2007-06-04")
    assert removed.json == []
    weekday = client.get("/api/v1/trips/search?from=BEATTY_AIRPORT&to=AMV&date=2008-06-02")
    assert weekday.json == []
    saturday = client.get("/api/v1/trips/search?from=BEATTY_AIRPORT&to=AMV&date=2008-06-07")
    assert [trip["trip_id"] for trip in saturday.json] == ["AAMV1", "AAMV3"]


def test_frequencies_expand_into_instances(client: FlaskClient, published: int) -> None:
    runs = client.get("/api/v1/trips/search?from=STAGECOACH&to=BEATTY_AIRPORT&date=2008-06-02")
    instances = [run["trip_instance"] for run in runs.json]
    assert len(instances) == 32
    assert instances[0] == "STBA@2008-06-02T06:00:00"
    assert instances[-1] == "STBA@2008-06-02T21:30:00"
    assert runs.json[1]["departure"] == "2008-06-02T06:30:00-07:00"
    assert runs.json[1]["arrival"] == "2008-06-02T06:50:00-07:00"


def test_departures_from_a_stop(client: FlaskClient, published: int) -> None:
    response = client.get("/api/v1/stops/BULLFROG/departures?date=2008-06-02")
    # AB1 and BFC2 end at Bullfrog: arriving there is no departure.
    assert [d["trip_id"] for d in response.json] == ["BFC1", "AB2"]
    assert response.json[0]["departure"] == "2008-06-02T08:20:00-07:00"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("from=BEATTY_AIRPORT&to=BULLFROG", 422, "validation_failed"),
        ("from=BEATTY_AIRPORT&to=BULLFROG&date=2008-13-01", 422, "validation_failed"),
        ("from=NOWHERE&to=BULLFROG&date=2008-06-02", 404, "stop_not_found"),
        ("from=BULLFROG&to=BULLFROG&date=2008-06-02", 422, "same_stop"),
    ],
)
def test_bad_searches_get_codes(
    client: FlaskClient, published: int, query: str, status: int, code: str
) -> None:
    response = client.get(f"/api/v1/trips/search?{query}")
    assert response.status_code == status
    assert response.json["error"]["code"] == code


def upload(client: FlaskClient, token: str, data: bytes, publish: bool = False) -> object:
    return client.post(
        f"/api/v1/feeds?publish={'true' if publish else 'false'}",
        data={"file": (io.BytesIO(data), "feed.zip")},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )


def test_planner_uploads_lists_and_publishes_a_feed(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    planner = staff_token("planner")
    created = upload(client, planner, ZAKROCZYM_FEED.read_bytes())
    assert created.status_code == 201  # type: ignore[attr-defined]
    body = created.json  # type: ignore[attr-defined]
    assert body["status"] == "loaded"
    assert body["active"] is False
    assert body["row_counts"]["fare_products"] == 10
    headers = {"Authorization": f"Bearer {planner}"}
    listed = client.get("/api/v1/feeds", headers=headers).json
    assert [v["id"] for v in listed] == [body["id"]]
    published = client.post(f"/api/v1/feeds/{body['id']}/publish", headers=headers)
    assert published.json["active"] is True
    assert client.get("/api/v1/routes").json[0]["route_id"] == "Z1"


def test_a_broken_upload_becomes_a_draft_that_cannot_be_published(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    planner = staff_token("planner")
    draft = upload(client, planner, b"this is not a zip file", publish=True).json  # type: ignore[attr-defined]
    assert draft["status"] == "draft"
    assert draft["error_count"] >= 1
    headers = {"Authorization": f"Bearer {planner}"}
    notices = client.get(f"/api/v1/feeds/{draft['id']}/notices", headers=headers).json
    assert notices["total"] >= 1
    assert notices["notices"][0]["severity"] == "ERROR"
    refused = client.post(f"/api/v1/feeds/{draft['id']}/publish", headers=headers)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "feed_has_errors"


def test_support_cannot_upload_and_nobody_anonymous(
    client: FlaskClient, staff_token: TokenMaker
) -> None:
    refused = upload(client, staff_token("support"), ZAKROCZYM_FEED.read_bytes())
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert client.post("/api/v1/feeds").status_code == 401


def test_oversized_upload_is_413(app: Flask, staff_token: TokenMaker) -> None:
    settings = app.config["FAREGATE_SETTINGS"]
    app.config["FAREGATE_SETTINGS"] = settings.replace(feed_upload_max_mb=1)
    body = (
        b"--cut\r\n"
        b'Content-Disposition: form-data; name="file"; filename="feed.zip"\r\n'
        b"Content-Type: application/zip\r\n\r\n" + b"0" * (2 * 1024 * 1024) + b"\r\n--cut--\r\n"
    )
    response = app.test_client().post(
        "/api/v1/feeds",
        data=body,
        content_type="multipart/form-data; boundary=cut",
        headers={"Authorization": f"Bearer {staff_token('planner')}"},
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_a_station_stands_for_the_stops_inside_it(
    client: FlaskClient, database: Database, tmp_path: Path
) -> None:
    lines = (SAMPLE_FEED / "stops.txt").read_text().splitlines()
    stops = "\n".join(
        [lines[0] + ",location_type,parent_station"]
        + [
            line + (",0,BULLFROG_STN" if line.startswith("BULLFROG,") else ",,")
            for line in lines[1:]
        ]
        + ["BULLFROG_STN,Bullfrog Station,,36.88108,-116.81797,,,1,"]
    )
    feed = sample_feed_copy(tmp_path, stops=stops)
    result = feeds.import_feed(
        database,
        feed,
        filename="stations",
        now=datetime(2026, 1, 1, tzinfo=UTC),
        today=date(2026, 1, 1),
        publish=True,
    )
    assert result.report.error_count == 0, result.report.to_dict()
    trips = client.get("/api/v1/trips/search?from=BEATTY_AIRPORT&to=BULLFROG_STN&date=2008-06-02")
    assert [trip["trip_id"] for trip in trips.json] == ["AB1"]
    leaving = client.get("/api/v1/stops/BULLFROG_STN/departures?date=2008-06-02").json
    assert [d["trip_id"] for d in leaving] == ["BFC1", "AB2"]
