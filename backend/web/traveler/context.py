"""What the traveler pages share: the app's services, the bookings this browser may show,
refusal pages, and how times, dates and durations are written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from flask import current_app, render_template, session

from backend.errors import NotFoundError, ServiceError
from backend.services.payments import PaymentProvider, amount_text
from backend.services.reservation_store import Inventory
from fares.money import Money

PROVIDERS_EXTENSION = "faregate.payment_providers"
UNLOCKED = "traveler_bookings"  # references this browser booked or found with their email
UNLOCKED_CASES = "traveler_cases"  # support cases this browser opened or found likewise
MAX_UNLOCKED = 20  # the most recent references of each kind a browser keeps


def inventory() -> Inventory:
    """The app's reservation context."""
    found: Inventory = current_app.extensions["faregate.inventory"]
    return found


def offered_providers() -> Mapping[str, PaymentProvider]:
    """The payment providers travelers may choose."""
    found: Mapping[str, PaymentProvider] = current_app.extensions[PROVIDERS_EXTENSION]
    return found


def unlock(key: str, reference: str) -> None:
    """Let this browser show ``reference`` (kept under ``key`` in its signed session) without
    asking for its email again."""
    known = [ref for ref in session.get(key, []) if ref != reference]
    session[key] = [*known, reference][-MAX_UNLOCKED:]


def unlocked(key: str, reference: str) -> bool:
    """Whether this browser made ``reference`` or found it with its email."""
    return reference in session.get(key, [])


def unlock_booking(reference: str) -> None:
    """Let this browser show booking ``reference`` without asking for its email again."""
    unlock(UNLOCKED, reference)


def is_unlocked(reference: str) -> bool:
    """Whether this browser booked ``reference`` or found it with its email."""
    return unlocked(UNLOCKED, reference)


def refusal_page(error: ServiceError) -> tuple[str, int]:
    """A page for a refusal no form can put right: a missing hold, trip or booking."""
    if isinstance(error, NotFoundError):
        title = "We could not find that page"
        message = _NOT_FOUND.get(error.code, "It may have been removed, or the link is wrong.")
    else:
        title = "This cannot be done"
        message = error.message[:1].upper() + error.message[1:] + "."
    page = render_template("error.html", title=title, message=message, code=error.code)
    return page, error.status


_NOT_FOUND = {
    "hold_not_found": "This seat hold does not exist. It may have been made on another site.",
    "trip_not_found": "This trip is not in the timetable.",
    "trip_not_running": "This trip does not run on that day.",
    "booking_not_found": "There is no booking with that reference.",
    "stop_not_found": "One of the stops is not in the timetable.",
    "no_active_feed": "No timetable has been published yet, so no trips can be booked.",
}


def clock(moment: datetime | None) -> str:
    """``08:05``; an empty text for no time."""
    return moment.strftime("%H:%M") if moment is not None else ""


def long_date(day: date | datetime | None) -> str:
    """``Tuesday 2 June 2026``."""
    if day is None:
        return ""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date | datetime | None) -> str:
    """``Tue 2 Jun``."""
    if day is None:
        return ""
    return f"{day:%a} {day.day} {day:%b}"


def duration(start: datetime | None, end: datetime | None) -> str:
    """``1 h 05 min`` or ``25 min``."""
    if start is None or end is None:
        return ""
    minutes = max(0, int((end - start) / timedelta(minutes=1)))
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def money_text(money: Money | None) -> str:
    """``1.25 USD``; an empty text for no amount."""
    if money is None:
        return ""
    return amount_text(money.amount, money.currency) or ""
