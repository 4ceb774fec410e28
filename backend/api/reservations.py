"""Seat availability, holds and bookings.

``POST /holds`` and ``POST /bookings`` honour an ``Idempotency-Key`` header: the same key with
the same body gives back the first response, with another body 422 ``idempotency_key_reused``.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api import reservation_bodies
from backend.api.idempotency import IDEMPOTENCY_PARAMETERS, idempotency_key, inventory, respond
from backend.api.reservation_schemas import (
    AvailabilityArgsSchema,
    AvailabilitySchema,
    BookingLookupSchema,
    BookingSchema,
    HoldSchema,
)
from backend.clock import utc_now
from backend.metrics import booking_outcome
from backend.rate_limits import RATE_LIMITED, LimitGroup, limited
from backend.services import bookings, claim_reads, hold_lifecycle, reservations
from backend.services.bookings import Passenger
from backend.services.reservations import HoldRequest

blp = Blueprint(
    "reservations", __name__, url_prefix="/api/v1", description="Seats, holds and bookings"
)


@blp.route("/trips/<path:trip_instance>/availability")
class Availability(MethodView):
    """Free seats and places of a trip instance."""

    @blp.arguments(AvailabilityArgsSchema(), location="query")
    @blp.response(200, AvailabilitySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], trip_instance: str) -> dict[str, Any]:
        """Count free places per class between two stops, and show the seat map."""
        return claim_reads.availability(
            db.session(),
            inventory(),
            trip_instance,
            from_stop=args["from_stop"],
            to_stop=args["to_stop"],
            now=utc_now(),
        )


@blp.route("/holds")
class Holds(MethodView):
    """Holds on seats and places."""

    @limited(LimitGroup.RESERVATIONS)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.doc(requestBody=reservation_bodies.HOLD_REQUEST_BODY, parameters=IDEMPOTENCY_PARAMETERS)
    @blp.response(201, HoldSchema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self) -> Response:
        """Hold seats (picked, or assigned for a party) or places on a leg range."""
        body = reservation_bodies.hold_body()
        key = idempotency_key("POST /api/v1/holds", body)
        hold = HoldRequest(
            trip_instance=body.trip_instance,
            from_stop=body.from_stop,
            to_stop=body.to_stop,
            seats=body.seats,
            party=body.party,
            seat_class=body.seat_class,
            together=body.together,
            position=body.position,
            accessible=body.accessible,
            bikes=body.bikes,
        )
        with booking_outcome("hold", "created"):
            outcome = reservations.create_hold(inventory(), hold, utc_now(), key)
        return respond(outcome)


@blp.route("/holds/<hold_id>")
class HoldById(MethodView):
    """One hold."""

    @blp.response(200, HoldSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, hold_id: str) -> dict[str, Any]:
        """Show a hold and its state."""
        return hold_lifecycle.get_hold(db.session(), hold_id, utc_now())

    @limited(LimitGroup.RESERVATIONS)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.response(200, HoldSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, hold_id: str) -> dict[str, Any]:
        """Let the hold's seats go."""
        return hold_lifecycle.release_hold(inventory(), hold_id, utc_now())


@blp.route("/bookings")
class Bookings(MethodView):
    """Bookings."""

    @limited(LimitGroup.RESERVATIONS)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.doc(requestBody=reservation_bodies.BOOKING_REQUEST_BODY, parameters=IDEMPOTENCY_PARAMETERS)
    @blp.response(201, BookingSchema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self) -> Response:
        """Confirm a live hold as a booking (410 ``hold_expired`` if it ran out)."""
        body = reservation_bodies.booking_body()
        key = idempotency_key("POST /api/v1/bookings", body)
        with booking_outcome("confirm", "booked"):
            outcome = bookings.confirm(
                inventory(),
                body.hold_id,
                passengers=[Passenger(p.name) for p in body.passengers],
                email=body.contact_email,
                now=utc_now(),
                key=key,
            )
        return respond(outcome)


@blp.route("/bookings/<reference>")
class BookingByReference(MethodView):
    """One booking, unlocked by its reference and contact email."""

    @limited(LimitGroup.LOOKUPS)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.arguments(BookingLookupSchema(), location="query")
    @blp.response(200, BookingSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], reference: str) -> dict[str, Any]:
        """Show a booking."""
        return bookings.get_booking(db.session(), reference, args["email"])


@blp.route("/bookings/<reference>/cancel")
class BookingCancel(MethodView):
    """Cancelling a booking."""

    @limited(LimitGroup.RESERVATIONS)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.arguments(BookingLookupSchema())
    @blp.response(200, BookingSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, args: dict[str, Any], reference: str) -> dict[str, Any]:
        """Cancel a booking and free its seats (again: no change)."""
        return bookings.cancel_booking(inventory(), reference, args["email"], utc_now())
