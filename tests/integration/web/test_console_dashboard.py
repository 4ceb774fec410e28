"""The dashboard's figures and charts: counted per local day and hour of the network on both
databases, drawn as SVG, and the same in the charts as in the tables beside them."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend.clock import utc_now
from backend.db import Database
from backend.models import Tap
from backend.services import console_stats, devices, feeds
from tests.harness.feeds import SAMPLE_FEED
from tests.harness.reservations import book_through_api
from tests.integration.web.console_session import ConsoleSession, make_staff

ZONE = ZoneInfo("America/Los_Angeles")
FALL_BACK = date(2026, 11, 1)  # clocks go back from 02:00 to 01:00: a 25-hour day


def add_taps(database: Database, moments: list[tuple[datetime, bool]]) -> None:
    with database.sessions() as session:
        devices.create_device(
            session, "g", "gate_entry", stop_id="S", vehicle_id=None, description="", now=utc_now()
        )
        for n, (moment, allowed) in enumerate(moments, start=1):
            session.add(
                Tap(
                    device_id="g",
                    sequence=n,
                    nonce=secrets.token_hex(16),
                    tapped_at=moment,
                    received_at=utc_now(),
                    media_kind="qr_text",
                    fingerprint=secrets.token_hex(32),
                    allowed=allowed,
                )
            )
        session.commit()


def test_taps_are_counted_per_local_hour_across_a_clock_change(database: Database) -> None:
    local = datetime(2026, 11, 1, 0, 30, tzinfo=ZONE)
    add_taps(
        database,
        [
            (local, True),  # 00:30 PDT
            (datetime(2026, 11, 1, 8, 40, tzinfo=UTC), True),  # 01:40 PDT
            (datetime(2026, 11, 1, 9, 40, tzinfo=UTC), False),  # 01:40 PST, the hour again
            (datetime(2026, 11, 1, 23, 10, tzinfo=ZONE), True),
            (datetime(2026, 11, 2, 0, 10, tzinfo=ZONE), True),  # the next day
            (datetime(2026, 10, 31, 23, 59, tzinfo=ZONE), False),  # the day before
        ],
    )
    with database.sessions() as session:
        hours = console_stats.taps_per_hour(session, FALL_BACK, ZONE)
    assert len(hours) == 25
    assert [h.hour for h in hours[:4]] == [0, 1, 1, 2]
    assert (hours[0].allowed, hours[0].denied) == (1, 0)
    assert (hours[1].allowed, hours[1].denied) == (1, 1)  # the repeated hour, shown once
    assert (hours[2].allowed, hours[2].denied) == (0, 0)
    assert (hours[-1].hour, hours[-1].allowed) == (23, 1)
    assert sum(h.allowed + h.denied for h in hours) == 4


def test_bookings_are_counted_on_the_local_day_they_were_made(
    app: Flask, database: Database
) -> None:
    feeds.import_feed(
        database, SAMPLE_FEED, filename="s", now=utc_now(), today=date(2008, 6, 1), publish=True
    )
    client = app.test_client()
    for name in ("Ada", "Bo", "Cy"):
        book_through_api(client, "CITY1@2008-06-02T06:00:00", "STAGECOACH", "NADAV", name)
    today = utc_now().astimezone(ZONE).date()
    with database.sessions() as session:
        days = console_stats.bookings_per_day(session, today, ZONE)
        earlier = console_stats.bookings_per_day(session, today - timedelta(days=1), ZONE)
    assert len(days) == console_stats.BOOKING_DAYS
    assert days[-1].day == today
    assert days[-1].bookings == 3
    assert sum(day.bookings for day in days) == 3
    assert sum(day.bookings for day in earlier) == 0


@pytest.fixture
def support(client: FlaskClient, database: Database) -> ConsoleSession:
    make_staff(database, "help@example.org", "support")
    console = ConsoleSession(client)
    console.sign_in_fully("help@example.org")
    return console


def test_the_charts_are_svg_images_without_script(
    support: ConsoleSession, database: Database
) -> None:
    feeds.import_feed(
        database, SAMPLE_FEED, filename="s", now=utc_now(), today=date(2008, 6, 1), publish=True
    )
    for chart, words in (("bookings", "bookings"), ("load", "load factor"), ("taps", "allowed")):
        for size in ("", "&size=narrow"):
            answer = support.get(f"/console/charts/{chart}.svg?day=2008-06-02{size}")
            assert answer.status_code == 200
            assert answer.mimetype == "image/svg+xml"
            svg = answer.get_data(as_text=True)
            assert svg.lstrip().startswith("<?xml")
            assert "<script" not in svg
            assert words in svg
            assert answer.headers["Cache-Control"] == "private, max-age=60"
            assert support.get(f"/console/charts/{chart}.svg?day=2008-06-02{size}").data == (
                answer.data
            )


def test_the_dashboard_shows_a_days_figures_beside_its_charts(
    support: ConsoleSession, database: Database
) -> None:
    published = feeds.import_feed(
        database, SAMPLE_FEED, filename="s", now=utc_now(), today=date(2008, 6, 1), publish=True
    )
    add_taps(
        database,
        [
            (datetime(2008, 6, 2, 7, 5, tzinfo=ZONE), True),
            (datetime(2008, 6, 2, 7, 9, tzinfo=ZONE), False),
        ],
    )
    page = support.get("/console/?day=2008-06-02").get_data(as_text=True)
    assert "Monday 02 June 2008" in page
    assert "America/Los_Angeles" in page
    assert '<td>07:00</td><td class="num">1</td><td class="num">1</td>' in page
    assert "/console/charts/taps.svg?day=2008-06-02" in page
    assert f"Version {published.version.id}</a>" in page
    odd = support.get("/console/?day=yesterday")
    assert odd.status_code == 200
    assert "is not a date" in odd.get_data(as_text=True)
