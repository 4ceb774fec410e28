"""Response bodies and query arguments of the seat availability, hold and booking API (the
hold and booking requests' bodies: ``reservation_bodies``)."""

from __future__ import annotations

import marshmallow as ma


class AvailabilityArgsSchema(ma.Schema):
    """The leg range asked about: boarding and alighting stop ids."""

    from_stop = ma.fields.String(required=True, data_key="from")
    to_stop = ma.fields.String(required=True, data_key="to")


class ClassCountSchema(ma.Schema):
    """Free places of one class on the legs asked about."""

    seat_class = ma.fields.String(required=True)
    free = ma.fields.Integer(required=True)
    seats = ma.fields.Integer(required=True, metadata={"description": "free numbered seats"})
    places = ma.fields.Integer(
        required=True, metadata={"description": "free unassigned (standing) places"}
    )


class SeatStateSchema(ma.Schema):
    """One seat of the seat map and whether it is free on the legs asked about."""

    label = ma.fields.String(required=True)
    row = ma.fields.Integer(required=True)
    column = ma.fields.Integer(required=True)
    deck = ma.fields.Integer(required=True)
    seat_class = ma.fields.String(required=True)
    attributes = ma.fields.List(ma.fields.String(), required=True)
    free = ma.fields.Boolean(required=True)


class AvailabilitySchema(ma.Schema):
    """What is free on a trip instance between two stops."""

    trip_instance = ma.fields.String(required=True)
    from_stop = ma.fields.String(required=True, data_key="from", attribute="from")
    to_stop = ma.fields.String(required=True, data_key="to", attribute="to")
    board = ma.fields.Integer(required=True, metadata={"description": "first leg (stop index)"})
    alight = ma.fields.Integer(required=True, metadata={"description": "alighting stop index"})
    seat_map = ma.fields.String(required=True)
    classes = ma.fields.List(ma.fields.Nested(ClassCountSchema), required=True)
    seats = ma.fields.List(ma.fields.Nested(SeatStateSchema), required=True)


class MoneySchema(ma.Schema):
    """An amount in minor units of its currency."""

    amount = ma.fields.Integer(required=True, metadata={"description": "minor units"})
    currency = ma.fields.String(required=True, metadata={"description": "ISO 4217"})
    text = ma.fields.String(required=True, metadata={"description": "e.g. 4.00 PLN"})


class HoldFareSchema(ma.Schema):
    """What a hold costs, for the feed's default rider category."""

    fare_product_id = ma.fields.String(allow_none=True)
    per_traveler = ma.fields.Nested(MoneySchema, required=True)
    total = ma.fields.Nested(MoneySchema, required=True)


class HoldSchema(ma.Schema):
    """A hold: what it keeps, until when, and its state."""

    id = ma.fields.String(required=True)
    trip_instance = ma.fields.String(required=True)
    from_stop = ma.fields.String(required=True, data_key="from", attribute="from")
    to_stop = ma.fields.String(required=True, data_key="to", attribute="to")
    board = ma.fields.Integer(required=True)
    alight = ma.fields.Integer(required=True)
    status = ma.fields.String(
        required=True, metadata={"enum": ["held", "confirmed", "released", "expired"]}
    )
    party = ma.fields.Integer(required=True)
    seat_class = ma.fields.String(allow_none=True)
    seats = ma.fields.List(ma.fields.String(), required=True)
    assignment = ma.fields.String(
        allow_none=True,
        metadata={"description": "chosen, cp-sat, greedy, direct or places"},
    )
    fare = ma.fields.Nested(
        HoldFareSchema,
        allow_none=True,
        metadata={"description": "null when the published fares do not price the journey"},
    )
    created_at = ma.fields.String(required=True)
    expires_at = ma.fields.String(required=True)


class BookedPassengerSchema(ma.Schema):
    """A traveler of a booking: where they sit, their fare and their ticket."""

    name = ma.fields.String(required=True)
    seat = ma.fields.String(allow_none=True)
    seat_class = ma.fields.String(required=True)
    ticket_id = ma.fields.String(
        allow_none=True, metadata={"description": "GET /api/v1/tickets/{ticket_id}"}
    )
    fare_product_id = ma.fields.String(allow_none=True)
    price = ma.fields.Nested(MoneySchema, allow_none=True)


class BookingSchema(ma.Schema):
    """A booking."""

    reference = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["confirmed", "cancelled"]})
    trip_instance = ma.fields.String(required=True)
    from_stop = ma.fields.String(required=True, data_key="from", attribute="from")
    to_stop = ma.fields.String(required=True, data_key="to", attribute="to")
    hold_id = ma.fields.String(required=True)
    contact_email = ma.fields.String(required=True)
    total = ma.fields.Nested(
        MoneySchema,
        allow_none=True,
        metadata={"description": "null when the published fares do not price the journey"},
    )
    passengers = ma.fields.List(ma.fields.Nested(BookedPassengerSchema), required=True)
    created_at = ma.fields.String(required=True)
    cancelled_at = ma.fields.String(allow_none=True)


class BookingLookupSchema(ma.Schema):
    """The contact email a booking was made with, which unlocks it with its reference."""

    email = ma.fields.Email(required=True)
