"""Query parameters and bodies of the rider's view of account media."""

from __future__ import annotations

import marshmallow as ma

from backend.api.reservation_schemas import MoneySchema


class DayRangeArgsSchema(ma.Schema):
    """Travel days from ``from`` to ``to`` inclusive (default: the 31 days up to today)."""

    first = ma.fields.Date(load_default=None, data_key="from")
    last = ma.fields.Date(load_default=None, data_key="to")


class CardLookupSchema(DayRangeArgsSchema):
    """A rider's card, read as validators read it, and the travel days to show."""

    technology = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=32),
        metadata={"description": "how validators read the card, e.g. nfc_uid, nfc_type2"},
    )
    uid = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^(?:[0-9a-fA-F]{2}){1,64}$"),
        metadata={"description": "the card's UID in hex (the number on it, or read by NFC)"},
    )


class LegViewSchema(ma.Schema):
    """One ride of a journey: where and when, and the fare rule that priced it."""

    kind = ma.fields.String(required=True, metadata={"enum": ["gate", "bus"]})
    from_stop_id = ma.fields.String(allow_none=True)
    to_stop_id = ma.fields.String(allow_none=True)
    route_id = ma.fields.String(allow_none=True)
    trip_instance = ma.fields.String(allow_none=True)
    entered_at = ma.fields.String(required=True)
    exited_at = ma.fields.String(allow_none=True)
    fare_product_id = ma.fields.String(allow_none=True)
    amount = ma.fields.Nested(MoneySchema, allow_none=True)
    explanation = ma.fields.String(required=True)


class JourneyViewSchema(ma.Schema):
    """A journey: its legs, its fare before caps, what it was charged and why."""

    id = ma.fields.Integer(required=True)
    travel_day = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["complete", "incomplete"]})
    started_at = ma.fields.String(required=True)
    ended_at = ma.fields.String(allow_none=True)
    fare = ma.fields.Nested(MoneySchema, required=True)
    charged = ma.fields.Nested(MoneySchema, required=True)
    limited_by = ma.fields.String(allow_none=True, metadata={"enum": ["daily", "weekly", None]})
    explanation = ma.fields.String(required=True)
    legs = ma.fields.List(ma.fields.Nested(LegViewSchema), required=True)


class DayChargeViewSchema(ma.Schema):
    """What a travel day was charged, after caps."""

    travel_day = ma.fields.String(required=True)
    journeys = ma.fields.Integer(required=True)
    fare = ma.fields.Nested(MoneySchema, required=True)
    charged = ma.fields.Nested(MoneySchema, required=True)
    explanation = ma.fields.String(required=True)


class MediaJourneysSchema(ma.Schema):
    """An account medium's reconciled journeys and daily charges over travel days."""

    fingerprint = ma.fields.String(required=True)
    first = ma.fields.String(required=True, data_key="from", attribute="from")
    last = ma.fields.String(required=True, data_key="to", attribute="to")
    days = ma.fields.List(ma.fields.Nested(DayChargeViewSchema), required=True)
    journeys = ma.fields.List(ma.fields.Nested(JourneyViewSchema), required=True)
