"""Timetable read API over the active feed: stops, routes, departures, direct trips."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.network_schemas import (
    DeparturesArgsSchema,
    RouteSchema,
    StopPageSchema,
    StopSchema,
    StopSearchArgsSchema,
    TripOptionSchema,
    TripSearchArgsSchema,
)
from backend.services import timetable
from backend.services.timetable import TripOption
from backend.services.version_facts import VersionFacts, VersionFactsCache

blp = Blueprint("network", __name__, url_prefix="/api/v1", description="The published timetable")


def _facts(version: int) -> VersionFacts:
    cache: VersionFactsCache = current_app.extensions["faregate.version_facts"]
    return cache.get(db.session(), version)


def _option(option: TripOption) -> dict[str, Any]:
    fields = asdict(option)
    instance = fields.pop("instance")
    return {
        **fields,
        "trip_instance": str(option.instance),
        "trip_id": instance["trip_id"],
        "service_date": instance["service_date"],
    }


@blp.route("/stops")
class Stops(MethodView):
    """Stops of the active timetable."""

    @blp.arguments(StopSearchArgsSchema(), location="query")
    @blp.response(200, StopPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Search stops by name (case-insensitive substring), a page at a time."""
        session = db.session()
        version = timetable.require_active_version(session)
        rows, total = timetable.search_stops(
            session, version, args["q"], limit=args["limit"], offset=args["offset"]
        )
        return {"total": total, "stops": [row._mapping for row in rows]}


@blp.route("/stops/<stop_id>")
class StopById(MethodView):
    """One stop."""

    @blp.response(200, StopSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, stop_id: str) -> Any:
        """Show one stop."""
        session = db.session()
        version = timetable.require_active_version(session)
        return timetable.get_stop(session, version, stop_id)._mapping


@blp.route("/stops/<stop_id>/departures")
class Departures(MethodView):
    """Departures from a stop."""

    @blp.arguments(DeparturesArgsSchema(), location="query")
    @blp.response(200, TripOptionSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], stop_id: str) -> list[dict[str, Any]]:
        """List trip instances leaving the stop (or its child stops) on a service date."""
        session = db.session()
        version = timetable.require_active_version(session)
        options = timetable.departures(
            session, _facts(version), stop_id, args["date"], limit=args["limit"]
        )
        return [_option(option) for option in options]


@blp.route("/routes")
class Routes(MethodView):
    """Routes of the active timetable."""

    @blp.response(200, RouteSchema(many=True))
    def get(self) -> list[Any]:
        """List every route."""
        session = db.session()
        version = timetable.require_active_version(session)
        return [row._mapping for row in timetable.list_routes(session, version)]


@blp.route("/trips/search")
class TripSearch(MethodView):
    """Direct trips between two stops."""

    @blp.arguments(TripSearchArgsSchema(), location="query")
    @blp.response(200, TripOptionSchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List trip instances of a service date from one stop to a later one, by departure."""
        session = db.session()
        version = timetable.require_active_version(session)
        options = timetable.direct_trips(
            session, _facts(version), args["from_"], args["to"], args["date"]
        )
        return [_option(option) for option in options]
