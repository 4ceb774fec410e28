"""Rate limits on the traveler pages' forms: a browser over a limit gets a readable 429 page
with Retry-After, and the refused form changes nothing; reading pages is never limited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from backend.db import Database
from backend.models import Hold, SupportCase, TravelerAccount
from backend.services.reservation_store import Inventory
from backend.settings import Settings
from tests.integration.traveler.world import (
    book,
    post_form,
    seat_map_url,
    sign_in,
    sign_up,
    text_of,
    traveler_settings,
)

LIMIT = 2


@pytest.fixture
def settings(database_url: str, tmp_path: Path, signing_keys_file: str) -> Settings:
    return traveler_settings(database_url, tmp_path, signing_keys_file).replace(
        rate_limit_reservations=f"{LIMIT}/hour",
        rate_limit_lookups=f"{LIMIT}/hour",
        rate_limit_support=f"{LIMIT}/hour",
        rate_limit_sign_in=f"{LIMIT}/hour",
    )


def count(database: Database, model: type) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def assert_refused_page(answer: TestResponse) -> None:
    assert answer.status_code == 429
    assert answer.mimetype == "text/html"
    assert 1 <= int(answer.headers["Retry-After"]) <= 3600
    text = text_of(answer)
    assert "Too many requests" in text
    assert "rate_limited" in text


def test_holding_seats_too_often_gets_a_page_and_holds_nothing(
    client: FlaskClient, database: Database, travel_day: date
) -> None:
    url = seat_map_url(travel_day)
    for seat in ("1A", "1B")[:LIMIT]:
        assert post_form(client, url, {"mode": "pick", "seat": [seat]}).status_code == 303
    refused = post_form(client, url, {"mode": "pick", "seat": ["2A"]})
    assert_refused_page(refused)
    assert count(database, Hold) == LIMIT
    assert client.get(url).status_code == 200  # the seat map itself is still shown


def test_finding_bookings_too_often_gets_a_page(
    client: FlaskClient, inventory: Inventory, travel_day: date
) -> None:
    reference = book(inventory, travel_day, {"1C": "Grace Hopper"}, "test")
    for n in range(LIMIT):
        wrong = {"reference": reference, "email": f"guess{n}@example.org"}
        assert post_form(client, "/bookings", wrong).status_code == 200  # the form again
    right = {"reference": reference, "email": "ada@example.org"}
    assert_refused_page(post_form(client, "/bookings", right))


def test_opening_cases_too_often_gets_a_page_and_opens_none(
    app: Flask, client: FlaskClient, database: Database
) -> None:
    form = {"kind": "other", "subject": "Lost", "message": "My scarf", "email": "a@b.org"}
    for _ in range(LIMIT):
        assert post_form(client, "/help", form).status_code == 303
    assert_refused_page(post_form(client, "/help", form))
    assert count(database, SupportCase) == LIMIT
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert post_form(elsewhere, "/help", form).status_code == 303  # another address
    assert count(database, SupportCase) == LIMIT + 1


def test_signing_up_and_in_too_often_gets_a_page_and_opens_nothing(
    app: Flask, client: FlaskClient, database: Database
) -> None:
    for n in range(LIMIT):
        assert sign_up(app.test_client(), f"traveler{n}@example.org").status_code == 303
    assert_refused_page(sign_up(client, "one-more@example.org"))
    assert count(database, TravelerAccount) == LIMIT
    for _ in range(LIMIT):
        assert sign_in(client, "traveler0@example.org", "a wrong password!").status_code == 200
    assert_refused_page(sign_in(client, "traveler0@example.org"))  # each form counts alone
    assert client.get("/account/sign-in").status_code == 200  # the form itself is still shown
