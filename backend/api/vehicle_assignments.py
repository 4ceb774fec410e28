"""Vehicle assignments API: planners give a vehicle a block or trip instances for a service day;
validators on the bus learn them from the device bundle.

``PUT /api/v1/vehicle-assignments/{service_date}/{vehicle_id}`` with ``{"block_id": "B"}`` or
``{"trips": ["TRIP@YYYY-MM-DD", ...]}`` replaces the vehicle's assignment for that day;
``GET`` reads one, ``DELETE`` removes it, ``GET /api/v1/vehicle-assignments?date=`` lists a
day's. A block or trip the active timetable does not run that day is refused with 422
(``block_not_found``, ``block_not_running``, ``trip_not_found``, ``trip_not_running``,
``trip_on_other_day``, ``duplicate_trip``, ``invalid_trip_instance``, ``block_or_trips``).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.guard import current_principal, require_role
from backend.api.idempotency import inventory
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.services import vehicle_assignments
from backend.services.vehicle_assignments import MAX_TRIPS, TimetableCaches, parse_service_date

blp = Blueprint(
    "vehicle_assignments",
    __name__,
    url_prefix="/api/v1/vehicle-assignments",
    description="Which block or trips each vehicle runs on a service day",
)


class AssignmentSchema(ma.Schema):
    """A vehicle's assignment for a service day, with its trip instances in running order."""

    service_date = ma.fields.String(required=True, metadata={"format": "date"})
    vehicle_id = ma.fields.String(required=True)
    block_id = ma.fields.String(allow_none=True, metadata={"description": "GTFS block_id"})
    trips = ma.fields.List(ma.fields.String(), required=True)
    assigned_at = ma.fields.String(required=True)


class AssignSchema(ma.Schema):
    """Either a GTFS block or an ordered list of trip instances of that day."""

    block_id = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=255))
    trips = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=160)),
        load_default=None,
        validate=ma.validate.Length(min=1, max=MAX_TRIPS),
    )


class DayArgsSchema(ma.Schema):
    """Which service date."""

    date = ma.fields.Date(required=True)


def _caches() -> TimetableCaches:
    found = inventory()
    return TimetableCaches(found.facts, found.trips)


@blp.route("")
class Assignments(MethodView):
    """A day's vehicle assignments."""

    @require_role()
    @blp.arguments(DayArgsSchema(), location="query")
    @blp.response(200, AssignmentSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List the assignments of a service date, by vehicle id."""
        found = vehicle_assignments.assignments_on(db.session(), _caches(), args["date"])
        return [assignment.to_json() for assignment in found]


@blp.route("/<service_date>/<vehicle_id>")
class VehicleAssignment(MethodView):
    """One vehicle's assignment for one service date."""

    @require_role()
    @blp.response(200, AssignmentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, service_date: str, vehicle_id: str) -> dict[str, Any]:
        """Show the vehicle's assignment and the trip instances it runs."""
        day = parse_service_date(service_date)
        return vehicle_assignments.find(db.session(), _caches(), day, vehicle_id).to_json()

    @require_role(Role.PLANNER)
    @blp.arguments(AssignSchema())
    @blp.response(200, AssignmentSchema)
    @blp.alt_response(409, response="CONFLICT")
    def put(self, body: dict[str, Any], service_date: str, vehicle_id: str) -> dict[str, Any]:
        """Assign the vehicle a block or trip instances for the day, replacing what it had."""
        day = parse_service_date(service_date)
        with db.database().writer_sessions() as session:
            assignment = vehicle_assignments.assign(
                session,
                _caches(),
                day,
                vehicle_id,
                block_id=body["block_id"],
                trips=body["trips"],
                now=utc_now(),
                assigned_by=current_principal().user_id,
            )
        return assignment.to_json()

    @require_role(Role.PLANNER)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, service_date: str, vehicle_id: str) -> Response:
        """Remove the vehicle's assignment for the day."""
        day = parse_service_date(service_date)
        with db.database().writer_sessions() as session:
            vehicle_assignments.unassign(session, day, vehicle_id)
        return Response(status=204)
