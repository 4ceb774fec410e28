"""What several console pages need of the network: the active timetable's facts, its local
day, the day a page was asked about, the seat maps and the trips' summaries."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, request

from backend import db
from backend.services import seatmap_assignments, trip_loads
from backend.services.feeds import active_version_id
from backend.services.trip_loads import TripLoad, TripSummaryCache
from backend.services.version_facts import VersionFacts, VersionFactsCache
from inventory.seatmaps import SeatMapCatalog

SUMMARIES_KEY = "faregate.console.trip_summaries"


def active_facts() -> VersionFacts | None:
    """The facts of the published feed version, or None before any publication."""
    session = db.session()
    version = active_version_id(session)
    if version is None:
        return None
    cache: VersionFactsCache = current_app.extensions["faregate.version_facts"]
    return cache.get(session, version)


def zone_of(facts: VersionFacts | None) -> ZoneInfo:
    """The network's timezone: the active feed's (first) agency's, else UTC."""
    return facts.zone(None) if facts is not None else ZoneInfo("UTC")


def asked_day(zone: ZoneInfo, now: datetime) -> tuple[date, str | None]:
    """The ``day`` query parameter, else today in ``zone``; and a problem with it, if any."""
    today = now.astimezone(zone).date()
    text = request.args.get("day", "").strip()
    if not text:
        return today, None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return today, f"{text!r} is not a date (YYYY-MM-DD); showing today."


def seat_maps() -> SeatMapCatalog:
    """The seat maps the reservation services use."""
    catalog: SeatMapCatalog = current_app.extensions["faregate.inventory"].seat_maps
    return catalog


def trip_summaries() -> TripSummaryCache:
    """The app's cache of feed versions' trips."""
    cache: TripSummaryCache = current_app.extensions[SUMMARIES_KEY]
    return cache


def loads_on(facts: VersionFacts, day: date) -> list[TripLoad]:
    """The trip instances of ``day`` and how full each is, with the maps they are sold on."""
    session = db.session()
    catalog = seat_maps()
    choices = seatmap_assignments.load_choices(session)
    return trip_loads.trips_on(
        session,
        facts,
        trip_summaries(),
        catalog,
        day,
        assigned=lambda trip_id, route_id: choices.name_for(catalog, trip_id, route_id),
    )
