"""The operator console in headless Chromium: signing in (admins with a second factor), the
dashboard's charts, a feed with errors refused and a good one published, trips with their
load factors, and devices provisioned with a QR code."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect

from backend.clock import utc_now
from backend.db import Database
from backend.models import Device, Tap
from backend.services import accounts, devices, feeds, two_factor
from tests.browser.conftest import DESKTOP, PHONE, shoot
from tests.harness.feeds import sample_feed_copy
from tests.harness.reservations import book_through_api
from tests.harness.todays_feed import AGENCY_ZONE, agency_today, feed_running_around, next_city_run

PASSWORD = "a long enough password"
OpenContext = Callable[..., tuple[BrowserContext, Page]]


@pytest.fixture
def today() -> date:
    return agency_today(utc_now())


@pytest.fixture
def network(database: Database, tmp_path: Path, today: date) -> int:
    """The sample network, running around today, published."""
    feed = feed_running_around(tmp_path / "published", today)
    result = feeds.import_feed(
        database, feed, filename="sample.zip", now=utc_now(), today=today, publish=True
    )
    return result.version.id


def make_staff(database: Database, email: str, role: str, *, second_factor: bool) -> str | None:
    """A staff account; its TOTP secret when it signs in with a second factor."""
    with database.sessions() as session:
        user = accounts.create_user(session, email, PASSWORD, role, now=utc_now())
        if not second_factor:
            return None
        secret = two_factor.begin_enrolment(session, user.id, now=utc_now())
        earlier = pyotp.TOTP(secret).at(utc_now() - timedelta(seconds=30))
        two_factor.confirm_enrolment(session, user.id, earlier, now=utc_now())
        return secret


def sign_in(page: Page, email: str, secret: str | None = None, *, screenshot: str = "") -> None:
    page.goto("/console/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    if screenshot:
        shoot(page, screenshot)
    page.get_by_role("button", name="Sign in").click()
    if secret is not None:
        expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
        page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()  # the dashboard's charts too


def go(page: Page, section: str) -> None:
    """Open a section of the console from the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=section).click()
    page.wait_for_load_state()


def zipped(folder: Path, name: str) -> Path:
    return Path(shutil.make_archive(str(folder.parent / name), "zip", folder))


def add_taps(database: Database, day: date) -> None:
    """Taps on one gate through the day: many allowed, a few denied."""
    with database.sessions() as session:
        devices.create_device(
            session,
            "gate-main",
            "gate_entry",
            stop_id="STAGECOACH",
            vehicle_id=None,
            description="Main hall",
            now=utc_now(),
        )
        start = datetime.combine(day, datetime.min.time(), AGENCY_ZONE)
        for n in range(60):
            at = start + timedelta(hours=6 + n % 14, minutes=n)
            session.add(
                Tap(
                    device_id="gate-main",
                    sequence=n + 1,
                    nonce=secrets.token_hex(16),
                    tapped_at=at,
                    received_at=utc_now(),
                    media_kind="qr_text",
                    fingerprint=secrets.token_hex(32),
                    allowed=n % 9 != 0,
                    reason=None if n % 9 else "expired",
                )
            )
        session.commit()


def add_fleet(database: Database) -> None:
    """Devices as their syncs left them: one fine, one offline for hours, one never used."""
    now = utc_now()
    with database.sessions() as session:
        for device_id, place, note in (
            ("gate-central-01", "STAGECOACH", "Central station, south entrance"),
            ("gate-airport-02", "BEATTY_AIRPORT", "Airport, arrivals hall"),
        ):
            _, token = devices.create_device(
                session,
                device_id,
                "gate_entry",
                stop_id=place,
                vehicle_id=None,
                description=note,
                now=now - timedelta(days=30),
            )
            devices.provision(session, token, now - timedelta(days=29, hours=1))
        devices.create_device(
            session, "bus-17", "bus", stop_id=None, vehicle_id="17", description="", now=now
        )
        central = session.get(Device, "gate-central-01")
        airport = session.get(Device, "gate-airport-02")
        assert central is not None
        assert airport is not None
        central.last_sync_at, central.clock_skew_ms, central.backlog = now, 180, 0
        airport.last_sync_at, airport.clock_skew_ms, airport.backlog = (
            now - timedelta(hours=3),
            -7300,
            1420,
        )
        session.commit()


def test_an_admin_signs_in_with_a_code_and_reads_the_dashboard_charts(
    open_context: OpenContext, app: Flask, database: Database, network: int, today: date
) -> None:
    del network
    secret = make_staff(database, "ops@example.org", "admin", second_factor=True)
    run = next_city_run(utc_now())
    book_through_api(app.test_client(), run, "STAGECOACH", "NADAV", "Ada")
    run_day = date.fromisoformat(run.partition("@")[2][:10])
    add_taps(database, run_day)
    _, page = open_context(DESKTOP)

    sign_in(page, "ops@example.org", secret, screenshot="console-login")
    if run_day != today:  # late in the evening the next run is tomorrow's: show that day
        page.goto(f"/console/?day={run_day.isoformat()}")

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator(".chart img")).to_have_count(3)  # bookings, load factor, taps
    for chart in page.locator(".chart img").all():
        expect(chart).to_be_visible()
        assert chart.evaluate("image => image.complete && image.naturalWidth > 0")
    bookings = page.get_by_role("region", name="Bookings per day, figures")
    booked_on = bookings.locator("tbody tr").filter(has_text=f"{today:%a} {today.day} {today:%b}")
    expect(booked_on.locator("td").last).to_have_text("1")
    taps = page.get_by_role("region", name="Taps per hour, figures")
    expect(taps.locator("tbody tr")).to_have_count(24)
    routes = page.get_by_role("region", name="Load factor per route, figures")
    expect(routes.locator("tbody tr").first).to_contain_text("40 City")
    shoot(page, "console-dashboard")

    go(page, "Seat maps")
    airport = page.get_by_role("row", name="10 Airport - Bullfrog")
    expect(airport).to_contain_text("regional-60")
    airport.get_by_label("Seat map for 10 Airport - Bullfrog").select_option("coach-49")
    airport.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("is now sold on coach-49")
    expect(page.get_by_role("row", name="10 Airport - Bullfrog")).to_contain_text("console")
    shoot(page, "console-seat-maps")

    go(page, "Messaging")
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    page.get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", name="Outbox", exact=True)).to_be_visible()


def test_the_dashboard_is_usable_on_a_phone(
    open_context: OpenContext, database: Database, network: int
) -> None:
    del network
    make_staff(database, "help@example.org", "support", second_factor=False)
    _, page = open_context(PHONE)
    sign_in(page, "help@example.org")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing but the tables' own boxes scrolls sideways
    shoot(page, "console-dashboard-phone")


def test_a_feed_with_errors_cannot_be_published_and_a_good_one_can(
    open_context: OpenContext, app: Flask, database: Database, tmp_path: Path, today: date
) -> None:
    make_staff(database, "planner@example.org", "planner", second_factor=False)
    broken = sample_feed_copy(
        tmp_path / "broken",
        stop_times=(
            "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
            "STBA,6:00:00,6:00:00,STAGECOACH,1\n"
            "STBA,6:20:00,6:20:00,NOWHERE,2\n"
        ),
    )
    good = feed_running_around(tmp_path / "good", today)
    _, page = open_context(DESKTOP)
    sign_in(page, "planner@example.org")

    go(page, "Feeds")
    page.get_by_label("GTFS zip file").set_input_files(zipped(broken, "broken"))
    page.get_by_role("button", name="Upload and validate").click()

    expect(page.get_by_role("alert")).to_contain_text("cannot be published")
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()
    notices = page.locator("table.notices")
    expect(notices).to_contain_text("foreign_key_violation")
    expect(notices).to_contain_text("NOWHERE")
    page.get_by_role("link", name="Code").click()
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Code")
    shoot(page, "console-feed-report")

    go(page, "Feeds")
    page.get_by_label("GTFS zip file").set_input_files(zipped(good, "good"))
    page.get_by_role("button", name="Upload and validate").click()
    expect(page.get_by_role("status").first).to_contain_text("passed validation")
    page.get_by_role("button", name="Publish").click()

    expect(page.get_by_role("status").first).to_contain_text("is now the active timetable")
    expect(page.locator(".page-head .badge")).to_have_text("Active")
    published = int(page.url.rsplit("/", 1)[1])
    with database.sessions() as session:
        assert feeds.active_version_id(session) == published

    run = next_city_run(utc_now())
    book_through_api(app.test_client(), run, "STAGECOACH", "EMSI", "Ada", "Bo", "Cy")
    go(page, "Trips")
    page.get_by_label("Day", exact=True).fill(run.partition("@")[2][:10])
    page.get_by_label("Route", exact=True).select_option(label="40 City")
    page.get_by_label("Only trips with seats sold").check()
    page.get_by_role("button", name="Show").click()
    row = page.locator("tr", has=page.get_by_text(run.partition("@")[0])).filter(
        has=page.locator("meter[value='0.061']")
    )
    expect(row).to_have_count(1)  # 3 of 49 seats on every leg
    shoot(page, "console-trips")

    row.get_by_role("link", name="Cancel…").click()
    expect(page.get_by_label("Trip instance")).to_have_value(run)
    page.get_by_label("Reason").fill("Road closed by flooding")
    page.get_by_role("button", name="Cancel the trip and rebook its travelers").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"{run} is cancelled: 1 booking(s) rebooked, 0 refunded."
    )
    expect(page.locator("tbody tr")).to_contain_text("rebooked")
    shoot(page, "console-disruption")


def test_a_planner_provisions_a_device_and_sees_its_qr_code(
    open_context: OpenContext, database: Database, network: int
) -> None:
    del network
    make_staff(database, "planner@example.org", "planner", second_factor=False)
    add_fleet(database)
    _, page = open_context(DESKTOP)
    sign_in(page, "planner@example.org")

    go(page, "Devices")
    page.get_by_label("Device id").fill("gate-central-03")
    page.get_by_label("Kind").select_option("gate_entry")
    expect(page.get_by_label("Vehicle id (buses)")).to_be_hidden()
    page.get_by_label("Stop id (gates)").fill("STAGECOACH")
    page.get_by_label("Note").fill("Central station, north entrance")
    shoot(page, "console-devices")
    page.get_by_role("button", name="Provision device").click()

    expect(
        page.get_by_role("heading", name="Provisioning token for gate-central-03")
    ).to_be_visible()
    qr = page.get_by_role("img", name="QR code of the provisioning token for gate-central-03")
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    token = page.locator("#token").inner_text()
    assert token.startswith("fgp_")
    shoot(page, "console-device-token")

    with database.sessions() as session:
        device, _ = devices.provision(session, token, utc_now())
    assert device.id == "gate-central-03"

    page.get_by_role("link", name="Back to devices").click()
    page.get_by_role("row", name="bus-17").get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke bus-17?")).to_be_visible()
    page.get_by_role("button", name="Revoke bus-17").click()
    expect(page.get_by_role("row", name="bus-17")).to_contain_text("Revoked")
    expect(page.get_by_role("row", name="gate-airport-02")).to_contain_text("no sync for 3 h")


def test_an_admin_without_a_second_factor_sets_it_up_before_anything_else(
    open_context: OpenContext, database: Database
) -> None:
    make_staff(database, "new-admin@example.org", "admin", second_factor=False)
    _, page = open_context(DESKTOP)
    sign_in(page, "new-admin@example.org")

    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    page.goto("/console/staff")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    qr = page.get_by_role("img", name="QR code holding your two-factor secret for Faregate")
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    shoot(page, "console-enrol-two-factor")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    shoot(page, "console-recovery-codes")
    page.get_by_role("link", name="I have saved them — continue").click()
    page.wait_for_load_state()
    go(page, "Staff")
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name="new-admin@example.org")).to_contain_text("On")
    shoot(page, "console-staff")
