"""What the traveler page tests share: an app whose every trip has the eight-seat test minibus,
the sample feed running around today (the pages book by the wall clock), a browser-like
client that takes each form's CSRF token from the page it was rendered on, and travelers
signing up or in to an account through the pages.

Trips are booked on tomorrow's service day in the agency's timezone, when every run of the
airport line (AB1, BEATTY_AIRPORT 08:00 → BULLFROG 08:10, 1.25 USD) is still ahead.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from backend.db import Database
from backend.services import checkout, feeds, reservations
from backend.services.checkout import Checkout
from backend.services.payments import CounterPayment, PaymentProvider, SandboxPayment
from backend.services.reservation_store import Inventory
from backend.services.reservations import HoldRequest
from backend.settings import Settings
from tests.harness.reservations import reservable_settings
from tests.harness.todays_feed import agency_today, feed_running_around

AIRPORT, BULLFROG = "BEATTY_AIRPORT", "BULLFROG"
AIRPORT_NAME, BULLFROG_NAME = "Nye County Airport (Demo)", "Bullfrog (Demo)"
OFFERED: dict[str, PaymentProvider] = {"counter": CounterPayment(), "test": SandboxPayment()}
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def traveler_settings(database_url: str, folder: Path, signing_keys_file: str) -> Settings:
    """The minibus on every trip; sessions signed with a secret of the test's own."""
    settings = reservable_settings(database_url, folder, signing_keys_file)
    return settings.replace(session_secret_file=str(folder / "session-secret"))


def publish_todays_feed(database: Database, folder: Path) -> date:
    """Publish the sample feed running around today; tomorrow's date, the travel day."""
    now = datetime.now(UTC)
    today = agency_today(now)
    feed = feed_running_around(folder, today)
    feeds.import_feed(database, feed, filename="today", now=now, today=today, publish=True)
    return today + timedelta(days=1)


def airport_run(day: date) -> str:
    """The airport line's morning trip on ``day``."""
    return f"AB1@{day.isoformat()}"


def seat_map_url(day: date) -> str:
    """The seat map of the airport run from the airport to Bullfrog."""
    return f"/trips/{airport_run(day)}/seats?from={AIRPORT}&to={BULLFROG}"


def text_of(response: TestResponse) -> str:
    """The page's text with entities decoded, for looking for what it says."""
    return html.unescape(response.get_data(as_text=True))


def form_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on the page at ``url``."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    found = TOKEN.search(page.get_data(as_text=True))
    assert found is not None, "the page has no form"
    return found.group(1)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], *, page: str = ""
) -> TestResponse:
    """Send a form from the page at ``page`` (``url`` itself by default) as a browser would."""
    return client.post(url, data={"csrf_token": form_token(client, page or url), **data})


def sign_up(
    client: FlaskClient,
    email: str,
    password: str = PASSWORD,
    again: str | None = None,
    *,
    next: str = "",
) -> TestResponse:
    """Send the sign-up form (the password typed the same twice unless ``again`` is given;
    ``next``: the page to go back to)."""
    form = {"email": email, "password": password, "password_again": again or password}
    return post_form(client, "/account/sign-up", {**form, "next": next})


def sign_in(
    client: FlaskClient,
    email: str,
    password: str = PASSWORD,
    *,
    next: str = "",
) -> TestResponse:
    """Send the sign-in form."""
    form = {"email": email, "password": password, "next": next}
    return post_form(client, "/account/sign-in", form)


def hold(inventory: Inventory, day: date, *seats: str, now: datetime | None = None) -> str:
    """Hold ``seats`` of the airport run through the service; the hold's id."""
    request = HoldRequest(airport_run(day), AIRPORT, BULLFROG, seats=seats)
    outcome = reservations.create_hold(inventory, request, now or datetime.now(UTC))
    hold_id: str = outcome.body["id"]
    return hold_id


def book(inventory: Inventory, day: date, names: dict[str, str], provider: str) -> str:
    """Book seats (seat → traveler name) through the checkout service; the reference."""
    hold_id = hold(inventory, day, *names)
    order = Checkout(hold_id, list(names.values()), "ada@example.org", provider)
    return checkout.check_out(inventory, OFFERED, order, datetime.now(UTC))
