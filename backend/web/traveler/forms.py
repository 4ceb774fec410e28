"""Reading the traveler pages' forms: each reader returns what was asked for, or a message
per field that a page shows beside it (nothing is changed when there is one)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from werkzeug.datastructures import MultiDict

from backend.auth.passwords import MAX_LENGTH as MAX_PASSWORD
from backend.auth.passwords import MIN_LENGTH as MIN_PASSWORD
from backend.services.reservations import HoldRequest

MAX_PARTY = 9
MAX_NAME = 200
MAX_EMAIL = 254
SEARCH_DAYS_AHEAD = 365
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
REFERENCE = re.compile(r"[A-Za-z0-9]{4,12}")
POSITIONS = {"": None, "window": "window", "aisle": "aisle"}

Errors = dict[str, str]


@dataclass(frozen=True)
class SearchForm:
    """Where from, where to, and which day, as typed."""

    origin: str = ""
    destination: str = ""
    origin_id: str = ""  # a stop picked among candidates
    destination_id: str = ""
    day: date | None = None
    day_text: str = ""


def read_search(args: Mapping[str, str], today: date) -> tuple[SearchForm, Errors]:
    """The search asked for in ``args``; messages for what is missing or wrong."""
    errors: Errors = {}
    day_text = args.get("date", "").strip()
    day = None
    try:
        day = date.fromisoformat(day_text) if day_text else today
    except ValueError:
        errors["date"] = "Enter a date, for example 2026-06-02."
    if day is not None and day < today:
        errors["date"] = "Choose today or a later date."
    elif day is not None and day > today + timedelta(days=SEARCH_DAYS_AHEAD):
        errors["date"] = "Trips can be booked up to a year ahead."
    form = SearchForm(
        origin=args.get("from", "").strip()[:MAX_NAME],
        destination=args.get("to", "").strip()[:MAX_NAME],
        origin_id=args.get("from_id", "").strip()[:128],
        destination_id=args.get("to_id", "").strip()[:128],
        day=day,
        day_text=(day or today).isoformat() if "date" not in errors else day_text[:40],
    )
    if not form.origin and not form.origin_id:
        errors["from"] = "Enter where you travel from."
    if not form.destination and not form.destination_id:
        errors["to"] = "Enter where you travel to."
    return form, errors


def read_seat_choice(
    form: MultiDict[str, str], trip_instance: str, board: str, alight: str
) -> tuple[HoldRequest | None, Errors]:
    """Seats picked on the map (``mode=pick``) or a party to be seated (``mode=assign``)."""
    if form.get("mode") == "assign":
        return _read_party(form, trip_instance, board, alight)
    seats = [label.strip() for label in form.getlist("seat") if label.strip()]
    if not seats:
        return None, {"seat": "Choose at least one seat, or let us choose seats for you."}
    if len(seats) > MAX_PARTY:
        return None, {"seat": f"You can book at most {MAX_PARTY} seats at once."}
    if len(set(seats)) != len(seats):
        return None, {"seat": "Each seat can be chosen once."}
    return HoldRequest(trip_instance, board, alight, seats=tuple(seats)), {}


def _read_party(
    form: MultiDict[str, str], trip_instance: str, board: str, alight: str
) -> tuple[HoldRequest | None, Errors]:
    errors: Errors = {}
    party = _whole(form.get("party", ""), 1, MAX_PARTY)
    if party is None:
        errors["party"] = f"Choose how many travelers: 1 to {MAX_PARTY}."
    position = form.get("position", "")
    if position not in POSITIONS:
        errors["position"] = "Choose window, aisle or no preference."
    seat_class = form.get("seat_class", "").strip()[:40] or None
    if errors or party is None:
        return None, errors
    request = HoldRequest(
        trip_instance,
        board,
        alight,
        party=party,
        seat_class=seat_class,
        together=form.get("together") == "yes",
        position=POSITIONS[position],
        accessible=1 if form.get("accessible") == "yes" else 0,
        bikes=1 if form.get("bike") == "yes" else 0,
    )
    return request, {}


@dataclass(frozen=True)
class CheckoutForm:
    """Travelers' names, the contact email, and the way to pay, as typed."""

    names: list[str] = field(default_factory=list)
    email: str = ""
    provider: str = ""


def read_checkout(
    form: Mapping[str, str], party: int, providers: Sequence[str], must_pay: bool
) -> tuple[CheckoutForm, Errors]:
    """The checkout form of a hold for ``party`` travelers."""
    errors: Errors = {}
    names = [" ".join(form.get(f"name-{n}", "").split())[:MAX_NAME] for n in range(party)]
    for position, name in enumerate(names):
        if not name:
            errors[f"name-{position}"] = f"Enter the name of traveler {position + 1}."
    email = form.get("email", "").strip()
    _check_email(email, "Enter an email address, so that you can find your booking again.", errors)
    provider = form.get("provider", "")
    if must_pay and provider not in providers:
        errors["provider"] = "Choose how you want to pay."
    return CheckoutForm(names, email[:MAX_EMAIL], provider), errors


def read_lookup(form: Mapping[str, str]) -> tuple[tuple[str, str], Errors]:
    """A booking reference and contact email."""
    errors: Errors = {}
    reference = "".join(form.get("reference", "").split()).upper()
    email = form.get("email", "").strip()
    if not reference:
        errors["reference"] = "Enter your booking reference."
    elif not REFERENCE.fullmatch(reference):
        errors["reference"] = "A booking reference has 8 letters and digits, like K7PQ2M9X."
    _check_email(email, "Enter the email address you booked with.", errors)
    return (reference[:12], email[:MAX_EMAIL]), errors


@dataclass(frozen=True)
class AccountForm:
    """An account's email address and password, as typed (the password is never shown)."""

    email: str = ""
    password: str = field(default="", repr=False)


def read_sign_up(form: Mapping[str, str]) -> tuple[AccountForm, Errors]:
    """A new account's email address and password, typed twice."""
    errors: Errors = {}
    email = form.get("email", "").strip()
    password = form.get("password", "")
    _check_email(email, "Enter your email address.", errors)
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"Choose a password of at least {MIN_PASSWORD} characters."
    elif len(password) > MAX_PASSWORD:
        errors["password"] = f"Choose a password of at most {MAX_PASSWORD} characters."
    elif form.get("password_again", "") != password:
        errors["password_again"] = "The two passwords are not the same. Type it again."  # noqa: S105
    return AccountForm(email[:MAX_EMAIL], password), errors


def read_sign_in(form: Mapping[str, str]) -> tuple[AccountForm, Errors]:
    """An account's email address and password."""
    errors: Errors = {}
    email = form.get("email", "").strip()
    password = form.get("password", "")
    _check_email(email, "Enter your email address.", errors)
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105 - a message
    return AccountForm(email[:MAX_EMAIL], password[:MAX_PASSWORD]), errors


def _check_email(email: str, missing: str, errors: Errors) -> None:
    """Add the message for a missing (``missing``) or malformed address to ``errors``."""
    if not email:
        errors["email"] = missing
    elif len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
        errors["email"] = "Enter an email address like name@example.com."


def _whole(text: str, low: int, high: int) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value <= high else None
