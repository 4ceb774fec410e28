"""Reading a GTFS-Realtime feed over HTTP from a real local server: the body, refusals past
the time and size limits, unreachable servers; and the job that polls the configured feed and
cancels the trips it cancels, through the cancellation service."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from google.transit import gtfs_realtime_pb2 as rt
from sqlalchemy import select

from backend.db import Database
from backend.jobs import add_jobs, poll_realtime_trip_updates, realtime_feed_for
from backend.models import TripCancellation
from backend.services.gtfs_rt_import import (
    REASON,
    RealtimeFeedError,
    RealtimeTripUpdates,
    fetch_feed,
)
from backend.services.reservation_store import Inventory
from backend.settings import Settings
from tests.integration.traveler.world import publish_todays_feed

LIMIT = 1000
TIMEOUT_S = 0.5


class FeedServer:
    """What the local server answers on /feed, and the requests it saw."""

    def __init__(self) -> None:
        self.body = b""
        self.requests: list[dict[str, str]] = []


def _handler(state: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args

        def do_GET(self) -> None:
            state.requests.append(dict(self.headers.items()))
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
                getattr(self, "_" + self.path.strip("/").replace("-", "_"), self._missing)()

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _feed(self) -> None:
            self._send(state.body)

        def _slow(self) -> None:
            time.sleep(TIMEOUT_S * 4)
            self._send(state.body)

        def _drip(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):  # a byte every TIMEOUT_S / 5: never silent for TIMEOUT_S
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(TIMEOUT_S / 5)

        def _big(self) -> None:
            self._send(b"x" * (LIMIT + 1))

        def _big_unsized(self) -> None:
            self.send_response(200)
            self.end_headers()  # no Content-Length: the body ends when the connection closes
            self.wfile.write(b"x" * (LIMIT * 5))
            self.close_connection = True

        def _missing(self) -> None:
            self.send_error(404)

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, FeedServer]]:
    """A real HTTP server on 127.0.0.1 (a free port) and what it serves."""
    state = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def feed_bytes(*cancelled: tuple[str, str], timestamp: int = 1_700_000_000) -> bytes:
    """A FeedMessage cancelling (trip_id, start_date) pairs, and a SCHEDULED update."""
    message = rt.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.timestamp = timestamp
    for trip_id, start_date in cancelled:
        entity = message.entity.add(id=f"{trip_id}-{start_date}")
        entity.trip_update.trip.trip_id = trip_id
        entity.trip_update.trip.start_date = start_date
        entity.trip_update.trip.schedule_relationship = rt.TripDescriptor.CANCELED
    running = message.entity.add(id="running")
    running.trip_update.trip.trip_id = "AB1"
    data: bytes = message.SerializeToString()
    return data


def test_the_feed_is_fetched_whole(server: tuple[str, FeedServer]) -> None:
    url, state = server
    state.body = feed_bytes(("AB1", "20240305"))
    assert fetch_feed(f"{url}/feed", timeout_s=TIMEOUT_S, max_bytes=LIMIT) == state.body
    assert "application/x-protobuf" in state.requests[0]["Accept"]


def test_a_server_that_does_not_answer_in_time_is_abandoned(
    server: tuple[str, FeedServer],
) -> None:
    url, _ = server
    started = time.monotonic()
    with pytest.raises(RealtimeFeedError) as raised:
        fetch_feed(f"{url}/slow", timeout_s=TIMEOUT_S, max_bytes=LIMIT)
    assert raised.value.code == "realtime_feed_timeout"
    assert time.monotonic() - started < TIMEOUT_S * 3


def test_a_body_dripping_in_past_the_timeout_is_abandoned(server: tuple[str, FeedServer]) -> None:
    url, _ = server
    started = time.monotonic()
    with pytest.raises(RealtimeFeedError) as raised:
        fetch_feed(f"{url}/drip", timeout_s=TIMEOUT_S, max_bytes=LIMIT)
    assert raised.value.code == "realtime_feed_timeout"
    assert time.monotonic() - started < TIMEOUT_S * 3


@pytest.mark.parametrize("path", ["/big", "/big-unsized"])
def test_a_body_over_the_size_limit_is_refused(server: tuple[str, FeedServer], path: str) -> None:
    url, _ = server
    with pytest.raises(RealtimeFeedError) as raised:
        fetch_feed(f"{url}{path}", timeout_s=TIMEOUT_S * 4, max_bytes=LIMIT)
    assert raised.value.code == "realtime_feed_too_large"
    assert f"more than {LIMIT} bytes" in raised.value.message


def test_an_http_error_is_reported_with_its_status(server: tuple[str, FeedServer]) -> None:
    url, _ = server
    with pytest.raises(RealtimeFeedError) as raised:
        fetch_feed(f"{url}/nowhere", timeout_s=TIMEOUT_S, max_bytes=LIMIT)
    assert raised.value.code == "realtime_feed_unreachable"
    assert "HTTP 404" in raised.value.message


def test_a_closed_port_or_another_scheme_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for url in (f"http://127.0.0.1:{port}/feed", "file:///etc/hostname"):
        with pytest.raises(RealtimeFeedError) as raised:
            fetch_feed(url, timeout_s=TIMEOUT_S, max_bytes=LIMIT)
        assert raised.value.code == "realtime_feed_unreachable"


# --- the job -------------------------------------------------------------------------------


@pytest.fixture
def published(app: Flask, database: Database, tmp_path: Path) -> tuple[Inventory, date]:
    """The app's reservation context, and tomorrow (agency time) in the published feed."""
    travel_day = publish_todays_feed(database, tmp_path)
    inventory: Inventory = app.extensions["faregate.inventory"]
    return inventory, travel_day


def test_the_job_cancels_what_the_feed_cancels_once_per_feed_timestamp(
    server: tuple[str, FeedServer],
    published: tuple[Inventory, date],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, state = server
    inventory, day = published
    state.body = feed_bytes(("AB1", f"{day:%Y%m%d}"), ("GHOST", f"{day:%Y%m%d}"))
    feed = RealtimeTripUpdates(f"{url}/feed", inventory, timeout_s=TIMEOUT_S, max_bytes=LIMIT)
    now = datetime.now(UTC)
    with caplog.at_level(logging.INFO, logger="backend.services.gtfs_rt_import"):
        assert feed.poll(now) == 1
        assert feed.poll(now) == 0  # the same feed again: not processed again
    assert cancellations_recorded(inventory) == [
        (f"AB1@{day.isoformat()}", "AB1", "AB", day, "realtime", REASON)
    ]
    assert "'GHOST' is not in the active timetable" in caplog.text
    assert "timestamp 2023-11-14T22:13:20+00:00, 1 cancelled trip instance(s), 1 new" in caplog.text
    assert "not newer than the last processed" in caplog.text
    assert feed.last_timestamp == 1_700_000_000
    assert feed.last_success == now

    state.body = feed_bytes(("AB1", f"{day:%Y%m%d}"), timestamp=1_700_000_060)
    assert feed.poll(now) == 0  # newer, but AB1 is cancelled already
    assert feed.last_timestamp == 1_700_000_060
    assert len(cancellations_recorded(inventory)) == 1


def cancellations_recorded(inventory: Inventory) -> list[tuple[object, ...]]:
    with inventory.database.sessions() as session:
        rows = session.execute(
            select(
                TripCancellation.trip_instance,
                TripCancellation.trip_id,
                TripCancellation.route_id,
                TripCancellation.service_date,
                TripCancellation.source,
                TripCancellation.reason,
            )
        )
        return [tuple(row) for row in rows]


def test_the_job_logs_a_feed_it_cannot_read_and_carries_on(
    server: tuple[str, FeedServer],
    published: tuple[Inventory, date],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, state = server
    inventory, _ = published
    state.body = b"<html>Service Unavailable</html>"
    feed = RealtimeTripUpdates(f"{url}/feed", inventory, timeout_s=TIMEOUT_S, max_bytes=LIMIT)
    with caplog.at_level(logging.WARNING, logger="backend.jobs"):
        assert poll_realtime_trip_updates(feed) == 0
        feed.url = f"{url}/slow"
        assert poll_realtime_trip_updates(feed) == 0
    assert "[invalid_realtime_feed]" in caplog.text
    assert "[realtime_feed_timeout]" in caplog.text
    assert feed.last_success is None


def test_the_job_is_registered_only_when_a_feed_url_is_set(app: Flask, settings: Settings) -> None:
    inventory: Inventory = app.extensions["faregate.inventory"]
    assert realtime_feed_for(settings, inventory) is None
    configured = settings.replace(
        realtime_trip_updates_url="https://feeds.example.org/trip-updates.pb",
        realtime_poll_seconds=30,
    )
    feed = realtime_feed_for(configured, inventory)
    assert feed is not None
    scheduler = BackgroundScheduler(timezone="UTC")
    add_jobs(scheduler, inventory, realtime=feed)
    job = scheduler.get_job("poll_realtime_trip_updates")
    assert job is not None
    assert job.trigger.interval.total_seconds() == 30
    assert job.args == (feed,)
    bare = BackgroundScheduler(timezone="UTC")
    add_jobs(bare, inventory)
    assert bare.get_job("poll_realtime_trip_updates") is None
