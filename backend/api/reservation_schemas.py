"""Request and response bodies of the seat availability, hold and booking API."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

MAX_PARTY = 9


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


class HoldRequestSchema(ma.Schema):
    """Seats to hold: chosen (``seats``) or assigned (``party`` and preferences)."""

    trip_instance = ma.fields.String(required=True, validate=ma.validate.Length(max=160))
    from_stop = ma.fields.String(required=True, data_key="from")
    to_stop = ma.fields.String(required=True, data_key="to")
    seats = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=40)),
        load_default=list,
        validate=ma.validate.Length(max=MAX_PARTY),
        metadata={"description": "seat labels the traveler picked; empty to have seats assigned"},
    )
    party = ma.fields.Integer(
        load_default=None, validate=ma.validate.Range(min=1, max=MAX_PARTY), allow_none=True
    )
    seat_class = ma.fields.String(load_default=None, allow_none=True)
    together = ma.fields.Boolean(load_default=True)
    position = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.OneOf(["window", "aisle"])
    )
    accessible = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_PARTY))
    bikes = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_PARTY))

    @ma.validates_schema
    def _party_matches_seats(self, data: dict[str, Any], **_: Any) -> None:
        seats, party = data.get("seats") or [], data.get("party")
        if seats and party is not None and party != len(seats):
            raise ma.ValidationError("party must equal the number of seats", "party")


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


class PassengerSchema(ma.Schema):
    """A traveler named on a booking."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class BookingRequestSchema(ma.Schema):
    """Confirm a live hold with the travelers' names and a contact email."""

    hold_id = ma.fields.String(required=True, validate=ma.validate.Length(max=32))
    contact_email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    passengers = ma.fields.List(
        ma.fields.Nested(PassengerSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_PARTY),
    )


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
