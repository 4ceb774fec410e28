"""Reading the traveler pages' forms: what was asked for, or a message per field."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from backend.web.traveler.forms import read_checkout, read_lookup, read_search, read_seat_choice

TODAY = date(2026, 6, 2)
TRIP = "AB1@2026-06-03"


def test_a_search_defaults_to_today_and_refuses_the_past() -> None:
    form, errors = read_search({"from": " Airport ", "to": "Bullfrog"}, TODAY)
    assert (form.origin, form.day, errors) == ("Airport", TODAY, {})
    _, errors = read_search({"from": "A", "to": "B", "date": "2026-06-01"}, TODAY)
    assert errors == {"date": "Choose today or a later date."}
    _, errors = read_search({"date": "tomorrow"}, TODAY)
    assert set(errors) == {"from", "to", "date"}


def test_seats_picked_on_the_map_become_a_hold_request() -> None:
    hold, errors = read_seat_choice(
        MultiDict([("mode", "pick"), ("seat", "2A"), ("seat", "2B")]), TRIP, "A", "B"
    )
    assert errors == {}
    assert hold is not None
    assert hold.seats == ("2A", "2B")
    _, errors = read_seat_choice(MultiDict([("seat", "2A"), ("seat", "2A")]), TRIP, "A", "B")
    assert errors == {"seat": "Each seat can be chosen once."}
    too_many = MultiDict([("seat", f"{n}A") for n in range(10)])
    _, errors = read_seat_choice(too_many, TRIP, "A", "B")
    assert errors == {"seat": "You can book at most 9 seats at once."}


def test_a_party_to_be_seated_keeps_its_needs() -> None:
    form = MultiDict(
        {"mode": "assign", "party": "3", "position": "window", "accessible": "yes", "bike": "yes"}
    )
    hold, errors = read_seat_choice(form, TRIP, "A", "B")
    assert errors == {}
    assert hold is not None
    assert (hold.party, hold.position, hold.accessible, hold.bikes, hold.together) == (
        3, "window", 1, 1, False,
    )  # fmt: skip
    _, errors = read_seat_choice(MultiDict({"mode": "assign", "party": "0"}), TRIP, "A", "B")
    assert set(errors) == {"party"}


def test_checkout_needs_every_name_an_email_and_a_way_to_pay() -> None:
    fields = {"name-0": "  Ada   Lovelace ", "name-1": "", "email": "ada@example"}
    form, errors = read_checkout(fields, 2, ["counter", "test"], must_pay=True)
    assert form.names == ["Ada Lovelace", ""]
    assert set(errors) == {"name-1", "email", "provider"}
    _, errors = read_checkout({"name-0": "Ada", "email": "a@b.org"}, 1, [], must_pay=False)
    assert errors == {}


def test_a_booking_is_looked_up_by_a_well_formed_reference() -> None:
    (reference, email), errors = read_lookup({"reference": " k7pq 2m9x ", "email": "a@b.org"})
    assert (reference, email, errors) == ("K7PQ2M9X", "a@b.org", {})
    _, errors = read_lookup({"reference": "K7-PQ", "email": ""})
    assert set(errors) == {"reference", "email"}
