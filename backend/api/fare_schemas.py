"""Query parameters and response bodies of the fare API."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from backend.api.reservation_schemas import MoneySchema

MAX_LEGS = 8


class QuoteArgsSchema(ma.Schema):
    """A journey: one or more legs, each given by repeating ``trip_instance``, ``from`` and
    ``to`` in order, and who travels with which fare media."""

    trip_instance = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=160)),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_LEGS),
    )
    from_stop = ma.fields.List(ma.fields.String(), required=True, data_key="from")
    to_stop = ma.fields.List(ma.fields.String(), required=True, data_key="to")
    rider_category = ma.fields.String(load_default=None)
    fare_media = ma.fields.String(load_default=None)

    @ma.validates_schema
    def _one_stop_pair_per_leg(self, data: dict[str, Any], **_: Any) -> None:
        legs = len(data.get("trip_instance", ()))
        for name in ("from", "to"):
            if len(data.get(f"{name}_stop", ())) != legs:
                raise ma.ValidationError(f"give one {name} stop per trip_instance", name)


class LegFareSchema(ma.Schema):
    """The fare product a leg was priced with, and why."""

    trip_instance = ma.fields.String(required=True)
    from_stop = ma.fields.String(required=True, data_key="from", attribute="from")
    to_stop = ma.fields.String(required=True, data_key="to", attribute="to")
    fare_product_id = ma.fields.String(required=True)
    fare_product_name = ma.fields.String(allow_none=True)
    price = ma.fields.Nested(MoneySchema, required=True)
    explanation = ma.fields.String(required=True)


class QuoteSchema(ma.Schema):
    """A journey's fare."""

    total = ma.fields.Nested(MoneySchema, required=True)
    legs = ma.fields.List(ma.fields.Nested(LegFareSchema), required=True)
    explanation = ma.fields.String(required=True)


class TicketSchema(ma.Schema):
    """A ticket and its signed credential, as QR text and as an NDEF message."""

    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["reserved", "period"]})
    status = ma.fields.String(required=True, metadata={"enum": ["valid", "expired", "revoked"]})
    product_id = ma.fields.String(required=True)
    rider_category = ma.fields.String(allow_none=True)
    trip_instance = ma.fields.String(allow_none=True)
    seat = ma.fields.String(allow_none=True)
    from_stop = ma.fields.String(allow_none=True, data_key="from", attribute="from")
    to_stop = ma.fields.String(allow_none=True, data_key="to", attribute="to")
    valid_from = ma.fields.String(required=True)
    valid_until = ma.fields.String(required=True)
    issued_at = ma.fields.String(required=True)
    qr_text = ma.fields.String(
        required=True, metadata={"description": "the credential as a QR code's text (FG1:…)"}
    )
    ndef = ma.fields.String(
        required=True,
        metadata={
            "description": "base64 NDEF message with one application/vnd.faregate.credential record"
        },
    )


class PassRequestSchema(ma.Schema):
    """A period pass to buy."""

    product_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=128))
    start_date = ma.fields.Date(required=True, metadata={"description": "first day of travel"})
    contact_email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    rider_category = ma.fields.String(
        load_default=None, metadata={"description": "default: the feed's default category"}
    )


class PassSchema(TicketSchema):
    """A pass bought: its ticket, name, period and price."""

    name = ma.fields.String(required=True)
    period = ma.fields.String(required=True, metadata={"enum": ["day", "week", "month"]})
    price = ma.fields.Nested(MoneySchema, required=True)


class CardSchema(ma.Schema):
    """An account-based card or token: its read technology and UID."""

    technology = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=32))
    uid = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^(?:[0-9a-fA-F]{2}){1,64}$"),
        metadata={"description": "the UID in hex, two digits a byte"},
    )


class TicketCheckSchema(ma.Schema):
    """A ticket presented for an online check, and where: exactly one of ``qr_text``,
    ``ndef`` (base64) and ``card``."""

    qr_text = ma.fields.String(validate=ma.validate.Length(max=4096))
    ndef = ma.fields.String(validate=ma.validate.Length(max=12000))
    card = ma.fields.Nested(CardSchema)
    role = ma.fields.String(
        load_default="gate_entry", validate=ma.validate.OneOf(["gate_entry", "gate_exit", "bus"])
    )
    stop_id = ma.fields.String(load_default=None)
    route_id = ma.fields.String(load_default=None)
    network_id = ma.fields.String(load_default=None)
    trip_instance = ma.fields.String(load_default=None)

    @ma.validates_schema
    def _one_medium(self, data: dict[str, Any], **_: Any) -> None:
        given = [name for name in ("qr_text", "ndef", "card") if data.get(name) is not None]
        if len(given) != 1:
            raise ma.ValidationError("give exactly one of qr_text, ndef and card")


class TicketDecisionSchema(ma.Schema):
    """The decision a validator would take on the ticket."""

    allowed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(allow_none=True, metadata={"description": "a DenyReason code"})
    product_id = ma.fields.String(allow_none=True)
    ticket_id = ma.fields.String(allow_none=True)
    explanation = ma.fields.String(required=True)
