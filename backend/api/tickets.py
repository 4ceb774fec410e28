"""Ticket API: a ticket with its signed credential, its QR code as an image, and passes.

``POST /passes`` honours an ``Idempotency-Key`` header as ``POST /bookings`` does.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.fare_schemas import (
    PassRequestSchema,
    PassSchema,
    TicketCheckSchema,
    TicketDecisionSchema,
    TicketSchema,
)
from backend.api.guard import require_role
from backend.api.idempotency import IDEMPOTENCY_PARAMETERS, idempotency_key, inventory, respond
from backend.clock import utc_now
from backend.errors import NotFoundError
from backend.rate_limits import RATE_LIMITED, LimitGroup, limited
from backend.services import passes, ticket_checks, tickets
from fares.rules import DeviceRole
from fares.tap import MediaKind, PresentedMedia

blp = Blueprint("tickets", __name__, url_prefix="/api/v1", description="Tickets")
QR_IMAGE = {"type": "string", "format": "binary"}
QR_DESCRIPTION = "The QR code: SVG with qr.svg, PNG with qr.png"


@blp.route("/tickets/check")
class TicketCheck(MethodView):
    """The online check of a presented ticket, with the validators' own decision."""

    @require_role()
    @blp.arguments(TicketCheckSchema())
    @blp.response(200, TicketDecisionSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Decide on a QR text, an NDEF message or a card as a validator at a stop, on a route
        or on a trip would (any staff role; no passback: the server keeps no tap history)."""
        place = ticket_checks.CheckPlace(
            role=DeviceRole(body["role"]),
            stop_id=body["stop_id"],
            route_id=body["route_id"],
            network_id=body["network_id"],
            trip_instance=body["trip_instance"],
        )
        return ticket_checks.check_ticket(
            db.session(), inventory(), _presented(body), place, utc_now()
        )


def _presented(body: dict[str, Any]) -> PresentedMedia:
    if body.get("qr_text") is not None:
        return PresentedMedia(MediaKind.QR_TEXT, body["qr_text"])
    if body.get("ndef") is not None:
        try:
            octets = base64.b64decode(body["ndef"], validate=True)
        except ValueError:  # binascii.Error, or text that is not even ASCII
            octets = b""  # not base64: judged malformed like any unreadable message
        return PresentedMedia(MediaKind.NDEF, octets)
    card = body["card"]
    return PresentedMedia(MediaKind.ACCOUNT, bytes.fromhex(card["uid"]), card["technology"])


@blp.route("/tickets/<ticket_id>")
class TicketById(MethodView):
    """One ticket, found by its id (which is on the ticket itself)."""

    @blp.response(200, TicketSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, ticket_id: str) -> dict[str, Any]:
        """Show a ticket and its credential."""
        ticket = tickets.find_ticket(db.session(), ticket_id)
        return tickets.ticket_body(ticket, inventory().keyring, utc_now())


@blp.route("/tickets/<ticket_id>/qr.<image_format>")
class TicketQr(MethodView):
    """A ticket's QR code."""

    @blp.response(200, QR_IMAGE, content_type="image/svg+xml", description=QR_DESCRIPTION)
    @blp.alt_response(
        200, schema=QR_IMAGE, content_type="image/png", description=QR_DESCRIPTION, success=True
    )
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, ticket_id: str, image_format: str) -> Response:
        """The QR code of the ticket's credential, as SVG (qr.svg) or PNG (qr.png)."""
        if image_format not in tickets.QR_FORMATS:
            raise NotFoundError("unknown_image_format", "ask for qr.svg or qr.png")
        ticket = tickets.find_ticket(db.session(), ticket_id)
        image = tickets.qr_image(ticket, inventory().keyring, image_format)
        return Response(image, mimetype=tickets.QR_FORMATS[image_format])


@blp.route("/passes")
class Passes(MethodView):
    """Period passes."""

    @limited(LimitGroup.RESERVATIONS)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.arguments(PassRequestSchema())
    @blp.response(201, PassSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(parameters=IDEMPOTENCY_PARAMETERS)
    def post(self, body: dict[str, Any]) -> Response:
        """Buy a day, week or month pass starting on a chosen day."""
        key = idempotency_key("POST /api/v1/passes", body)
        request = passes.PassRequest(
            product_id=body["product_id"],
            start=body["start_date"],
            email=body["contact_email"],
            rider_category=body["rider_category"],
        )
        return respond(passes.buy_pass(inventory(), request, utc_now(), key))
