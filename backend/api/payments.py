"""Staff API for the payments of bookings made on the traveler pages.

``GET /api/v1/bookings/{reference}/payment`` shows a booking's payment (any staff role);
``POST`` on the same path (support or admin) records that a traveler paid a pay-at-the-counter
booking, optionally with the till's receipt number, and issues the booking's tickets. Sending
it again changes nothing. Refusals: 404 ``booking_not_found``, ``payment_not_found`` (a
booking made without the pages), 409 ``booking_cancelled``, ``payment_not_due`` (not a counter
payment still owed).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.guard import current_principal, require_role
from backend.api.idempotency import inventory
from backend.api.reservation_schemas import MoneySchema
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import NotFoundError
from backend.services import checkout
from backend.services.payments import payment_json

blp = Blueprint(
    "payments", __name__, url_prefix="/api/v1", description="Payments of traveler bookings"
)


class PaymentSchema(ma.Schema):
    """A booking's payment: who takes the money, how much, and where it stands."""

    booking_reference = ma.fields.String(required=True)
    provider = ma.fields.String(
        required=True, metadata={"description": "counter, test or no_charge"}
    )
    status = ma.fields.String(
        required=True,
        metadata={"enum": ["authorized", "pending", "paid", "void", "refunded", "refund_due"]},
    )
    amount = ma.fields.Nested(MoneySchema, allow_none=True)
    reference = ma.fields.String(required=True, metadata={"description": "the provider's"})
    created_at = ma.fields.String(required=True)
    paid_at = ma.fields.String(allow_none=True)
    ended_at = ma.fields.String(allow_none=True)
    received_by = ma.fields.String(allow_none=True)
    receipt = ma.fields.String(allow_none=True)


class CounterPaymentSchema(ma.Schema):
    """A payment taken at a ticket office."""

    receipt = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "the till's receipt number"},
    )


@blp.route("/bookings/<reference>/payment")
class BookingPayment(MethodView):
    """The payment of one booking."""

    @require_role()
    @blp.response(200, PaymentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, reference: str) -> dict[str, Any]:
        """Show the booking's payment, brought up to date with the booking."""
        found = checkout.settle(inventory(), reference, utc_now())
        if found is None:
            raise NotFoundError("payment_not_found", f"booking {reference} has no payment")
        booking = checkout.find_booking(db.session(), reference)
        return payment_json(found, booking.reference)

    @require_role(Role.SUPPORT)
    @blp.arguments(CounterPaymentSchema())
    @blp.response(200, PaymentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body: dict[str, Any], reference: str) -> dict[str, Any]:
        """Record that the traveler paid at a counter; the booking's tickets are issued."""
        booking, payment = checkout.mark_paid(
            inventory(),
            reference,
            staff=current_principal().email,
            receipt=body["receipt"],
            now=utc_now(),
        )
        return payment_json(payment, booking.reference)
