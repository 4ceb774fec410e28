"""The traveler pages in headless Chromium, on a copy of the sample feed that runs around
today (the pages book by the wall clock): a booking from search to QR codes, two browsers
racing for the last seat, a hold running out, a booking found again and cancelled, and a
traveler with an account finding their booking under My trips."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect

from backend.db import Database
from backend.services import checkout, feeds, reservations
from backend.services.checkout import Checkout
from backend.services.payments import offered_providers
from backend.services.reservation_store import Inventory
from backend.services.reservations import HoldRequest
from backend.settings import Settings
from backend.web.traveler import search
from tests.browser.conftest import DESKTOP, shoot
from tests.harness.feeds import ROOT
from tests.harness.reservations import SEAT_MAP
from tests.harness.todays_feed import agency_today, feed_running_around

AIRPORT, BULLFROG = "Nye County Airport (Demo)", "Bullfrog (Demo)"
OpenContext = Callable[..., tuple[BrowserContext, Page]]


def _settings(database_url: str, signing_keys_file: str, tmp_path: Path, maps: Path) -> Settings:
    return Settings(
        database_url=database_url,
        log_level="WARNING",
        signing_keys_file=signing_keys_file,
        seatmap_dir=str(maps),
        session_secret_file=str(tmp_path / "session-secret"),
    )


@pytest.fixture
def seat_maps(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The shipped seat maps (a regional car on the airport line), or with the parameter
    ``minibus`` the eight-seat test minibus on every trip."""
    if getattr(request, "param", "shipped") == "shipped":
        return ROOT / "config" / "seatmaps"
    maps = tmp_path / "seatmaps"
    maps.mkdir()
    (maps / "minibus.toml").write_text(SEAT_MAP)
    return maps


@pytest.fixture
def settings(
    database_url: str, signing_keys_file: str, tmp_path: Path, seat_maps: Path
) -> Settings:
    return _settings(database_url, signing_keys_file, tmp_path, seat_maps)


minibus = pytest.mark.parametrize("seat_maps", ["minibus"], indirect=True)


@pytest.fixture
def travel_day(database: Database, tmp_path: Path) -> date:
    """Publish the feed running around today; tomorrow, when every airport trip is ahead."""
    now = datetime.now(UTC)
    today = agency_today(now)
    feed = feed_running_around(tmp_path, today)
    feeds.import_feed(database, feed, filename="today", now=now, today=today, publish=True)
    return today + timedelta(days=1)


@pytest.fixture
def inventory(app: Flask, travel_day: date) -> Inventory:
    del travel_day
    found: Inventory = app.extensions["faregate.inventory"]
    return found


def _airport_run(day: date) -> str:
    return f"AB1@{day.isoformat()}"


def _search(page: Page, day: date) -> None:
    page.goto("/")
    page.get_by_label("From").fill(AIRPORT)
    page.get_by_label("To", exact=True).fill(BULLFROG)
    page.get_by_label("Date").fill(day.isoformat())


def _seat(page: Page, label: str) -> None:
    page.locator(f"label[for='seat-{label}']").click()


def _shoot_scrolled_down(page: Page, name: str) -> None:
    """A full-page screenshot taken from the page's end, so that the seat map's sticky bar
    is drawn where it rests rather than over the map."""
    page.mouse.move(0, 0)  # no seat drawn hovered
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    shoot(page, name)


def test_a_traveler_books_two_seats_and_sees_their_qr_codes(page: Page, travel_day: date) -> None:
    _search(page, travel_day)
    shoot(page, "traveler-search")
    page.get_by_role("button", name="Search trips").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Bullfrog (Demo)")
    first = page.locator(".trip").first
    expect(first).to_contain_text("08:00")
    expect(first).to_contain_text("1.25 USD")
    expect(first).to_contain_text("seats left")
    shoot(page, "traveler-trips")
    first.get_by_role("link", name=re.compile("Choose seats")).click()

    expect(page.get_by_role("heading", name="Choose your seats")).to_be_visible()
    expect(page.locator("#seat-6A")).to_be_enabled()
    _seat(page, "6A")
    _seat(page, "6B")
    expect(page.locator("[data-seat-count]")).to_have_text("2 seats selected: 6A, 6B")
    _shoot_scrolled_down(page, "traveler-seat-map")
    page.get_by_role("button", name="Hold selected seats").click()

    expect(page.get_by_role("heading", name="Your details and payment")).to_be_visible()
    expect(page.locator("[data-countdown-clock]")).to_have_text(re.compile(r"^\d+:\d\d$"))
    page.get_by_label("Traveler 1 · seat 6A").fill("Ada Lovelace")
    page.get_by_label("Traveler 2 · seat 6B").fill("Charles Babbage")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_role("radio", name=re.compile("^Test payment")).check()
    shoot(page, "traveler-checkout")
    page.get_by_role("button", name="Confirm booking").click()

    reference = page.locator("[data-booking-reference]")
    expect(reference).to_have_text(re.compile(r"^[A-Z2-9]{8}$"))
    codes = page.locator("img.qr")
    expect(codes).to_have_count(2)
    for index in range(2):
        code = codes.nth(index)
        code.scroll_into_view_if_needed()
        expect(code).to_have_js_property("complete", value=True)
        assert code.evaluate("image => image.naturalWidth") > 0
    expect(page.locator(".ticket").first).to_contain_text("Ada Lovelace")
    expect(page.locator(".ticket").nth(1)).to_contain_text("6B")
    shoot(page, "traveler-ticket")


def test_a_traveler_signs_up_books_a_seat_and_finds_it_under_my_trips(
    page: Page, travel_day: date
) -> None:
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Create one").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Password again").fill("correct horse battery")
    shoot(page, "traveler-sign-up")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My trips")
    expect(page.get_by_text("No coming trips.")).to_be_visible()

    _search(page, travel_day)
    page.get_by_role("button", name="Search trips").click()
    page.locator(".trip").first.get_by_role("link", name=re.compile("Choose seats")).click()
    _seat(page, "6A")
    page.get_by_role("button", name="Hold selected seats").click()
    expect(page.get_by_label("Email address")).to_have_value("ada@example.org")
    expect(page.get_by_text("Signed in as ada@example.org")).to_be_visible()
    page.get_by_label("Traveler 1 · seat 6A").fill("Ada Lovelace")
    page.get_by_role("radio", name=re.compile("^Test payment")).check()
    shoot(page, "traveler-checkout-signed-in")
    page.get_by_role("button", name="Confirm booking").click()
    reference = page.locator("[data-booking-reference]")
    expect(reference).to_have_text(re.compile(r"^[A-Z2-9]{8}$"))
    booked = reference.inner_text()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My trips").click()
    coming = page.get_by_role("list", name="Coming trips")
    expect(coming.get_by_role("listitem")).to_have_count(1)
    expect(coming).to_contain_text(booked)
    expect(coming).to_contain_text(f"{AIRPORT} to {BULLFROG}")
    expect(coming).to_contain_text("08:00")
    expect(coming).to_contain_text("Confirmed")
    shoot(page, "traveler-my-trips")
    coming.get_by_role("link").click()
    expect(page.locator("[data-booking-reference]")).to_have_text(booked)
    expect(page.locator("img.qr")).to_have_count(1)


def test_stop_names_are_suggested_from_the_stops_search_in_a_large_timetable(
    page: Page, travel_day: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    del travel_day
    monkeypatch.setattr(search, "SUGGESTED_STOPS", 3)  # the sample's 9 stops count as many
    page.goto("/")
    expect(page.locator("#stop-names option")).to_have_count(0)
    page.get_by_label("From").press_sequentially("bullf")
    suggested = page.locator("#stops-for-f-from option")
    expect(suggested).to_have_count(1)
    expect(suggested).to_have_attribute("value", BULLFROG)


def _fill_all_but_one(inventory: Inventory, day: date) -> None:
    """Hold seven of the minibus's eight seats, leaving 2D."""
    taken = ("1A", "1B", "1C", "1D", "2A", "2B", "2C")
    request = HoldRequest(_airport_run(day), "BEATTY_AIRPORT", "BULLFROG", seats=taken)
    reservations.create_hold(inventory, request, datetime.now(UTC))


@minibus
def test_two_browsers_race_for_the_last_seat_and_exactly_one_wins(
    open_context: OpenContext, inventory: Inventory, travel_day: date
) -> None:
    _fill_all_but_one(inventory, travel_day)
    seat_map = f"/trips/{_airport_run(travel_day)}/seats?from=BEATTY_AIRPORT&to=BULLFROG"
    pages = [open_context()[1] for _ in range(2)]
    for page in pages:
        page.goto(seat_map)
        expect(page.locator("#seat-2C")).to_be_disabled()
        _seat(page, "2D")
    for page in pages:  # both send before either answer is read
        page.get_by_role("button", name="Hold selected seats").click(no_wait_after=True)
    for page in pages:
        page.wait_for_load_state()
        expect(page.locator("h1")).to_have_text(
            re.compile("Your details and payment|Choose your seats")
        )
    winners = [page for page in pages if "/holds/" in page.url]
    losers = [page for page in pages if "/holds/" not in page.url]
    assert (len(winners), len(losers)) == (1, 1)
    loser = losers[0]
    expect(loser.get_by_role("alert").first).to_contain_text("seat 2D has just been taken")
    expect(loser.locator("#seat-2D")).to_be_disabled()
    expect(winners[0].locator(".seat-chip")).to_have_text("2D")
    _shoot_scrolled_down(loser, "traveler-seat-taken")


@minibus
def test_the_countdown_says_when_the_hold_has_run_out(
    page: Page, inventory: Inventory, travel_day: date
) -> None:
    # Held "nine minutes and 58 seconds ago": two seconds of the ten left.
    almost_over = datetime.now(UTC) - inventory.hold_duration + timedelta(seconds=2)
    request = HoldRequest(_airport_run(travel_day), "BEATTY_AIRPORT", "BULLFROG", seats=("2A",))
    hold = reservations.create_hold(inventory, request, almost_over).body
    page.goto(f"/holds/{hold['id']}")
    expired = page.locator("[data-countdown-expired]")
    expect(expired).to_be_visible()
    expect(expired).to_contain_text("Your hold has run out")
    expect(page.get_by_role("button", name="Confirm booking")).to_be_disabled()


def _book(app: Flask, inventory: Inventory, day: date, provider: str) -> str:
    now = datetime.now(UTC)
    request = HoldRequest(_airport_run(day), "BEATTY_AIRPORT", "BULLFROG", seats=("1C",))
    hold = reservations.create_hold(inventory, request, now).body
    order = Checkout(hold["id"], ["Grace Hopper"], "grace@example.org", provider)
    offered = offered_providers(app.config["FAREGATE_SETTINGS"])
    return checkout.check_out(inventory, offered, order, now)


def _find(page: Page, reference: str) -> None:
    page.goto("/bookings")
    page.get_by_label("Booking reference").fill(reference.lower())
    page.get_by_label("Email address").fill("GRACE@example.org")
    page.get_by_role("button", name="Find booking").click()
    expect(page.locator("[data-booking-reference]")).to_have_text(reference)


@minibus
def test_a_booking_to_pay_at_the_counter_shows_what_is_due_and_no_code(
    page: Page, app: Flask, inventory: Inventory, travel_day: date
) -> None:
    reference = _book(app, inventory, travel_day, "counter")
    _find(page, reference)
    expect(page.get_by_role("heading", name="Awaiting payment")).to_be_visible()
    expect(page.locator(".payment-notice")).to_contain_text("Pay 1.25 USD at a ticket office")
    expect(page.locator("img.qr")).to_have_count(0)
    expect(page.get_by_text("The ticket is issued once the booking is paid.")).to_be_visible()
    shoot(page, "traveler-awaiting-payment")


@minibus
def test_a_traveler_finds_a_booking_and_cancels_it(
    open_context: OpenContext, app: Flask, inventory: Inventory, travel_day: date
) -> None:
    reference = _book(app, inventory, travel_day, "test")
    page = open_context(DESKTOP)[1]
    _find(page, reference)
    expect(page.locator("img.qr")).to_have_count(1)
    shoot(page, "traveler-ticket-desktop")

    page.get_by_role("link", name="Cancel this booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel booking {reference}?")
    shoot(page, "traveler-cancel")
    page.get_by_role("button", name="Yes, cancel booking").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Booking {reference} is cancelled")
    expect(page.locator("img.qr")).to_have_count(0)
    expect(page.get_by_text("This ticket is cancelled")).to_be_visible()

    page.goto(f"/trips/{_airport_run(travel_day)}/seats?from=BEATTY_AIRPORT&to=BULLFROG")
    expect(page.locator("#seat-1C")).to_be_enabled()  # back on sale
