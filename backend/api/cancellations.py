"""Trip cancellations API: planners cancel a trip instance; its bookings are re-accommodated on
other trips or refunded, and everyone on the staff can see what became of them.

``POST /api/v1/cancellations`` with ``{"trip_instance": "TRIP@YYYY-MM-DD", "reason": "..."}``
cancels and re-accommodates at once (201; 200 when it was cancelled already, which finishes
any booking left to do); ``GET /api/v1/cancellations?since=YYYY-MM-DD`` lists them;
``GET /api/v1/cancellations/{trip_instance}`` shows one with each booking's outcome.
See ``backend.services.cancellations``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from backend import db
from backend.api.guard import current_principal, require_role
from backend.api.idempotency import inventory
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import NotFoundError
from backend.models import TripCancellation
from backend.services import cancellation_views, cancellations

blp = Blueprint(
    "cancellations",
    __name__,
    url_prefix="/api/v1/cancellations",
    description="Cancelled trip instances and what became of their bookings",
)


class CancelSchema(ma.Schema):
    """The trip instance to cancel, and why (travelers are told)."""

    trip_instance = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=160))
    reason = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=cancellations.MAX_REASON)
    )


class OutcomeSchema(ma.Schema):
    """What became of one booking of the cancelled trip instance."""

    reference = ma.fields.String(required=True)
    outcome = ma.fields.String(required=True, metadata={"enum": ["rebooked", "refunded"]})
    new_reference = ma.fields.String(allow_none=True)
    trip_instance = ma.fields.String(
        allow_none=True, metadata={"description": "where the booking was moved"}
    )
    delay_minutes = ma.fields.Integer(allow_none=True)
    refund_amount = ma.fields.Integer(allow_none=True)


class CancellationSchema(ma.Schema):
    """A cancelled trip instance and how far its re-accommodation has got."""

    trip_instance = ma.fields.String(required=True)
    trip_id = ma.fields.String(required=True)
    route_id = ma.fields.String(required=True)
    service_date = ma.fields.Date(required=True)
    source = ma.fields.String(required=True, metadata={"enum": list(cancellations.SOURCES)})
    reason = ma.fields.String(required=True)
    cancelled_at = ma.fields.DateTime(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["pending", "done"]})
    rebooked = ma.fields.Integer(required=True)
    refunded = ma.fields.Integer(required=True)
    bookings = ma.fields.List(ma.fields.Nested(OutcomeSchema), required=True)


class SinceArgsSchema(ma.Schema):
    """From which service date on (yesterday by default)."""

    since = ma.fields.Date(load_default=None)


def _shown(
    session: Session, cancellation: TripCancellation, *, with_outcomes: bool
) -> dict[str, Any]:
    body = {
        column: getattr(cancellation, column)
        for column in (
            "trip_instance", "trip_id", "route_id", "service_date", "source", "reason",
            "cancelled_at", "status", "rebooked", "refunded",
        )
    }  # fmt: skip
    body["bookings"] = (
        cancellation_views.outcomes_of(session, cancellation.trip_instance) if with_outcomes else []
    )
    return body


@blp.route("")
class Cancellations(MethodView):
    """Cancelled trip instances."""

    @require_role()
    @blp.arguments(SinceArgsSchema(), location="query")
    @blp.response(200, CancellationSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List the cancellations from a service date on (yesterday's by default)."""
        since: date = args["since"] or cancellation_views.looking_back_from(utc_now())
        session = db.session()
        found = cancellation_views.list_cancellations(session, since)
        return [_shown(session, cancellation, with_outcomes=False) for cancellation in found]

    @require_role(Role.PLANNER)
    @blp.arguments(CancelSchema())
    @blp.response(201, CancellationSchema)
    @blp.alt_response(
        200, schema=CancellationSchema, description="It was cancelled already", success=True
    )
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Cancel a trip instance of the active timetable and re-accommodate its bookings."""
        settings = current_app.config["FAREGATE_SETTINGS"]
        report = cancellations.cancel(
            inventory(),
            body["trip_instance"],
            source="operator",
            reason=body["reason"],
            now=utc_now(),
            policy=cancellations.policy_for(settings),
            staff_id=current_principal().user_id,
        )
        with db.database().sessions() as session:  # reads what the cancellation wrote
            return _one(session, report.trip_instance), 201 if report.recorded else 200


@blp.route("/<trip_instance>")
class Cancellation(MethodView):
    """One cancelled trip instance."""

    @require_role()
    @blp.response(200, CancellationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, trip_instance: str) -> dict[str, Any]:
        """Show the cancellation and what became of each booking."""
        return _one(db.session(), trip_instance)


def _one(session: Session, trip_instance: str) -> dict[str, Any]:
    found = session.get(TripCancellation, trip_instance)
    if found is None:
        raise NotFoundError("cancellation_not_found", f"{trip_instance} is not cancelled")
    return _shown(session, found, with_outcomes=True)
