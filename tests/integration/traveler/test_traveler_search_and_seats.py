"""The traveler pages from search to a hold, through Flask's test client, on both databases:
what each page shows, and how bad input is answered (the form again, nothing changed)."""

from __future__ import annotations

from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.db import Database
from backend.models import Hold
from backend.services.reservation_store import Inventory
from tests.integration.traveler.world import (
    AIRPORT_NAME,
    BULLFROG_NAME,
    hold,
    post_form,
    seat_map_url,
    text_of,
)


def holds_made(database: Database) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(Hold)) or 0


def search(client: FlaskClient, origin: str, destination: str, day: date) -> str:
    page = client.get("/trips", query_string={"from": origin, "to": destination, "date": day})
    assert page.status_code == 200
    return text_of(page)


def test_the_search_page_suggests_every_stop_by_name(client: FlaskClient, travel_day: date) -> None:
    del travel_day
    page = client.get("/")
    assert page.status_code == 200
    text = text_of(page)
    assert '<datalist id="stop-names">' in text
    assert f'<option value="{AIRPORT_NAME}">' in text
    assert 'src="/static/js/traveler.js"' in text
    assert "style=" not in text  # the Content-Security-Policy allows no inline style


def test_before_any_timetable_the_search_page_says_there_is_nothing_to_book(
    client: FlaskClient,
) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "No timetable has been published yet" in text_of(page)


def test_the_trip_list_shows_times_fare_and_seats_left(
    client: FlaskClient, inventory: Inventory, travel_day: date
) -> None:
    hold(inventory, travel_day, "1A", "1B")
    text = search(client, "nye county airport (demo)", "Bullfrog", travel_day)
    assert "08:00" in text
    assert "08:10" in text
    assert "1.25 USD" in text
    assert "6 seats left" in text
    assert "+ 3 standing" in text
    assert seat_map_url(travel_day) in text


def test_a_search_without_stops_or_with_a_past_date_says_what_to_fix(
    client: FlaskClient, travel_day: date
) -> None:
    page = client.get("/trips", query_string={"date": (travel_day - timedelta(days=5))})
    assert page.status_code == 200
    text = text_of(page)
    assert "Enter where you travel from." in text
    assert "Enter where you travel to." in text
    assert "Choose today or a later date." in text


def test_an_unknown_stop_name_is_named_in_the_answer(client: FlaskClient, travel_day: date) -> None:
    text = search(client, "Atlantis", BULLFROG_NAME, travel_day)
    assert "No stop is called “Atlantis”" in text
    assert "There is a problem" in text


def test_a_name_that_fits_several_stops_offers_a_choice(
    client: FlaskClient, travel_day: date
) -> None:
    text = search(client, "Ave", BULLFROG_NAME, travel_day)
    assert "Several stops match. Choose one." in text
    assert 'name="from_id" value="NADAV"' in text
    assert 'name="from_id" value="NANAA"' in text
    chosen = client.get(
        "/trips",
        query_string={"from": "Ave", "from_id": "NANAA", "to": "E Main", "date": travel_day},
    )
    assert chosen.status_code == 200
    assert "North Ave / N A Ave (Demo)" in text_of(chosen)
    assert "E Main St / S Irving St (Demo)" in text_of(chosen)


def test_the_seat_map_shows_taken_seats_disabled_and_marked_in_words(
    client: FlaskClient, inventory: Inventory, travel_day: date
) -> None:
    hold(inventory, travel_day, "2C")
    page = client.get(seat_map_url(travel_day))
    assert page.status_code == 200
    text = text_of(page)
    assert 'value="2C" id="seat-2C" disabled' in text
    assert 'value="2D" id="seat-2D">' in text
    assert ", taken</span>" in text
    assert "accessible" in text  # 1A, in words beside its icon
    assert "7 seats are free" in text


def test_picking_seats_holds_them_and_opens_the_checkout(
    client: FlaskClient, database: Database, travel_day: date
) -> None:
    answer = post_form(client, seat_map_url(travel_day), {"mode": "pick", "seat": ["2A", "2B"]})
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/holds/")
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200
    text = text_of(page)
    assert "Your seats are held until" in text
    assert 'data-seconds-left="' in text
    assert "2.50 USD" in text
    assert holds_made(database) == 1


def test_holding_no_seat_or_too_many_changes_nothing(
    client: FlaskClient, database: Database, travel_day: date
) -> None:
    url = seat_map_url(travel_day)
    nothing = post_form(client, url, {"mode": "pick"})
    assert nothing.status_code == 200
    assert "Choose at least one seat" in text_of(nothing)
    unknown = post_form(client, url, {"mode": "pick", "seat": ["9Z"]})
    assert unknown.status_code == 200
    assert "not on this vehicle" in text_of(unknown)
    party = post_form(client, url, {"mode": "assign", "party": "12"})
    assert party.status_code == 200
    assert "Choose how many travelers: 1 to 9." in text_of(party)
    assert holds_made(database) == 0


def test_a_seat_taken_meanwhile_is_named_and_nothing_is_held(
    client: FlaskClient, database: Database, inventory: Inventory, travel_day: date
) -> None:
    url = seat_map_url(travel_day)
    token_page = client.get(url)
    assert token_page.status_code == 200
    hold(inventory, travel_day, "2D")  # another traveler, after the map was drawn
    answer = post_form(client, url, {"mode": "pick", "seat": ["2C", "2D"]})
    assert answer.status_code == 200
    text = text_of(answer)
    assert "Sorry, seat 2D has just been taken by another traveler. Choose another." in text
    assert 'value="2D" id="seat-2D" disabled' in text
    assert 'value="2C" id="seat-2C" checked' in text  # still free: kept picked
    assert holds_made(database) == 1


def test_seats_are_assigned_for_a_party(
    client: FlaskClient, database: Database, travel_day: date
) -> None:
    answer = post_form(
        client,
        seat_map_url(travel_day),
        {"mode": "assign", "party": "3", "position": "", "together": "yes"},
    )
    assert answer.status_code == 303
    page = text_of(client.get(answer.headers["Location"]))
    assert page.count('class="seat-chip"') == 3
    assert holds_made(database) == 1


def test_a_party_too_large_for_the_free_seats_is_told_so(
    client: FlaskClient, inventory: Inventory, database: Database, travel_day: date
) -> None:
    hold(inventory, travel_day, "1A", "1B", "1C", "1D", "2A", "2B")
    answer = post_form(
        client, seat_map_url(travel_day), {"mode": "assign", "party": "3", "position": ""}
    )
    assert answer.status_code == 200
    assert "not enough free seats left" in text_of(answer)
    assert holds_made(database) == 1


def test_a_form_sent_without_its_token_is_refused(client: FlaskClient, travel_day: date) -> None:
    refused = client.post(seat_map_url(travel_day), data={"mode": "pick", "seat": "2A"})
    assert refused.status_code == 400
    assert "csrf_failed" in text_of(refused)


def test_an_unknown_trip_is_a_not_found_page(client: FlaskClient, travel_day: date) -> None:
    page = client.get(f"/trips/NOPE@{travel_day}/seats?from=BEATTY_AIRPORT&to=BULLFROG")
    assert page.status_code == 404
    assert "This trip is not in the timetable." in text_of(page)
    assert client.get("/holds/0123456789abcdef").status_code == 404


def test_letting_the_seats_go_frees_them(
    client: FlaskClient, inventory: Inventory, travel_day: date
) -> None:
    hold_id = hold(inventory, travel_day, "2A")
    answer = post_form(client, f"/holds/{hold_id}/release", {}, page=f"/holds/{hold_id}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == seat_map_url(travel_day)
    assert 'value="2A" id="seat-2A">' in text_of(client.get(seat_map_url(travel_day)))
    ended = text_of(client.get(f"/holds/{hold_id}"))
    assert "Your seats are no longer held." in ended
