"""The start of booking: search by origin, destination and date, then the day's trips with
times, fare and seats left.

Searching is a GET, so results can be bookmarked and the back button works. Stop names are
suggested as the traveler types: a ``<datalist>`` of every stop when the timetable is small,
and ``traveler.js`` asking ``/api/v1/stops`` when it is not. A name that fits several stops
is answered with a choice between them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for

from backend import db
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.services import trip_offers
from backend.services.feeds import active_version_id
from backend.services.trip_offers import StopLookup
from backend.web.traveler.context import inventory, refusal_page
from backend.web.traveler.forms import SearchForm, read_search

bp = Blueprint("traveler_search", __name__)
bp.register_error_handler(ServiceError, refusal_page)

SUGGESTED_STOPS = 300  # up to this many, every stop's name goes into the page


def _today(version: int | None) -> date:
    """The agency's date now (UTC's before any timetable is published)."""
    now = utc_now()
    if version is None:
        return now.date()
    zone = inventory().facts.get(db.session(), version).zone(None)
    return now.astimezone(zone).date()


@bp.get("/")
def search() -> str:
    """The search form."""
    session = db.session()
    version = active_version_id(session)
    today = _today(version)
    form = SearchForm(day=today, day_text=today.isoformat())
    return _search_page(form, {}, version, today)


def _search_page(
    form: SearchForm,
    errors: dict[str, str],
    version: int | None,
    today: date,
    choices: dict[str, StopLookup] | None = None,
) -> str:
    names = None
    if version is not None:
        names = trip_offers.stop_names(db.session(), version, SUGGESTED_STOPS)
    return render_template(
        "traveler/search.html",
        form=form,
        errors=errors,
        choices=choices or {},
        stop_names=names,
        published=version is not None,
        today=today,
    )


@bp.get("/trips")
def trips() -> str:
    """The trips of a day between two stops; the form again when something is missing."""
    session = db.session()
    version = active_version_id(session)
    today = _today(version)
    form, errors = read_search(request.args, today)
    if version is None:
        return _search_page(form, {}, version, today)
    origin = trip_offers.look_up_stop(session, version, form.origin, form.origin_id)
    destination = trip_offers.look_up_stop(session, version, form.destination, form.destination_id)
    choices: dict[str, StopLookup] = {}
    for key, found, typed in (("from", origin, form.origin), ("to", destination, form.destination)):
        if key in errors or found.found is not None:
            continue
        if found.candidates:
            choices[key] = found
            errors[key] = "Several stops match. Choose one."
        else:
            errors[key] = f"No stop is called “{typed}”. Check the spelling."
    if origin.found and destination.found and origin.found == destination.found:
        errors["to"] = "Choose a destination other than where you travel from."
    if errors or form.day is None or origin.found is None or destination.found is None:
        return _search_page(form, errors, version, today, choices)
    offers = trip_offers.trip_offers(
        session,
        inventory(),
        origin.found.stop_id,
        destination.found.stop_id,
        day=form.day,
        now=utc_now(),
    )
    return render_template(
        "traveler/trips.html",
        form=form,
        origin=origin.found,
        destination=destination.found,
        offers=offers,
        day=form.day,
        earlier=_day_link(form, origin.found.stop_id, destination.found.stop_id, -1, today),
        later=_day_link(form, origin.found.stop_id, destination.found.stop_id, 1, today),
    )


def _day_link(form: SearchForm, origin: str, destination: str, step: int, today: date) -> str:
    """The same search a day earlier or later (none before today)."""
    assert form.day is not None  # noqa: S101 - only called for a valid search
    day = form.day + timedelta(days=step)
    if day < today:
        return ""
    query: dict[str, Any] = {"from": form.origin, "to": form.destination}
    return url_for(
        "traveler_search.trips", from_id=origin, to_id=destination, date=day.isoformat(), **query
    )
