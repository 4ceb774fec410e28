"""Request and response bodies of the travelers' personal data API: the export document
(``backend.services.personal_export``, format ``faregate.traveler-export`` version 1) and the
erasure's answer. Times are ISO 8601 strings in UTC; amounts integer minor units."""

from __future__ import annotations

import marshmallow as ma

_TIME = {"format": "date-time"}
_DAY = {"format": "date"}


def _time(**kwargs: object) -> ma.fields.String:
    return ma.fields.String(allow_none=True, metadata={**_TIME, **kwargs})


class ExportArgsSchema(ma.Schema):
    """Whose data to export."""

    email = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=254))


class ExportedTripSchema(ma.Schema):
    """The trip instance a booking is on, and where the traveler boards and alights."""

    trip_instance = ma.fields.String(required=True)
    trip_id = ma.fields.String(allow_none=True)
    route_id = ma.fields.String(allow_none=True)
    service_date = ma.fields.String(allow_none=True, metadata=_DAY)
    from_ = ma.fields.String(allow_none=True, data_key="from", attribute="from")
    to = ma.fields.String(allow_none=True)


class ExportedPassengerSchema(ma.Schema):
    """One traveler of a booking and their seat."""

    position = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    seat = ma.fields.String(allow_none=True)
    seat_class = ma.fields.String(required=True)
    rider_category_id = ma.fields.String(allow_none=True)
    fare_product_id = ma.fields.String(allow_none=True)
    fare_amount = ma.fields.Integer(allow_none=True)


class ExportedPaymentSchema(ma.Schema):
    """A booking's payment."""

    provider = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    amount = ma.fields.Integer(required=True)
    currency = ma.fields.String(allow_none=True)
    reference = ma.fields.String(required=True, metadata={"description": "provider reference"})
    created_at = _time()
    paid_at = _time()
    ended_at = _time()
    receipt = ma.fields.String(allow_none=True)


class ExportedTicketSchema(ma.Schema):
    """A ticket of a booking, or a period pass."""

    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["reserved", "period"]})
    passenger_position = ma.fields.Integer(allow_none=True)
    product_id = ma.fields.String(required=True)
    rider_category_id = ma.fields.String(allow_none=True)
    trip_instance = ma.fields.String(allow_none=True)
    seat = ma.fields.String(allow_none=True)
    from_ = ma.fields.String(allow_none=True, data_key="from", attribute="from")
    to = ma.fields.String(allow_none=True)
    issued_at = _time()
    valid_from = _time()
    valid_until = _time()
    revoked_at = _time()


class ExportedBookingSchema(ma.Schema):
    """A booking with everything hanging from it."""

    reference = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    contact_email = ma.fields.String(required=True)
    created_at = _time()
    cancelled_at = _time()
    trip = ma.fields.Nested(ExportedTripSchema, required=True)
    total_amount = ma.fields.Integer(allow_none=True)
    currency = ma.fields.String(allow_none=True)
    rebooked_as = ma.fields.String(
        allow_none=True, metadata={"description": "the booking it was re-accommodated on"}
    )
    passengers = ma.fields.List(ma.fields.Nested(ExportedPassengerSchema), required=True)
    payments = ma.fields.List(ma.fields.Nested(ExportedPaymentSchema), required=True)
    tickets = ma.fields.List(ma.fields.Nested(ExportedTicketSchema), required=True)


class ExportedNoteSchema(ma.Schema):
    """One entry of a case's conversation."""

    author = ma.fields.String(required=True, metadata={"enum": ["traveler", "staff", "system"]})
    internal = ma.fields.Boolean(required=True)
    body = ma.fields.String(required=True)
    created_at = _time()


class ExportedRefundSchema(ma.Schema):
    """Money given back on a case."""

    amount_minor = ma.fields.Integer(required=True)
    currency = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    travel_day = ma.fields.String(allow_none=True, metadata=_DAY)
    created_at = _time()


class ExportedCaseSchema(ma.Schema):
    """A support case with its notes and refunds."""

    reference = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    priority = ma.fields.String(required=True)
    subject = ma.fields.String(required=True)
    source = ma.fields.String(required=True)
    booking_reference = ma.fields.String(allow_none=True)
    media_fingerprint = ma.fields.String(allow_none=True)
    travel_day = ma.fields.String(allow_none=True, metadata=_DAY)
    created_at = _time()
    updated_at = _time()
    resolved_at = _time()
    notes = ma.fields.List(ma.fields.Nested(ExportedNoteSchema), required=True)
    refunds = ma.fields.List(ma.fields.Nested(ExportedRefundSchema), required=True)


class ExportedMessageSchema(ma.Schema):
    """An e-mail to the traveler in the outbox."""

    subject = ma.fields.String(required=True)
    body_text = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["pending", "sent", "failed"]})
    created_at = _time()
    sent_at = _time()


class ExportedTapSchema(ma.Schema):
    """A tap made with one of the traveler's tickets."""

    ticket_id = ma.fields.String(required=True)
    device_id = ma.fields.String(required=True)
    tapped_at = _time()
    allowed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(allow_none=True)
    trip_instance = ma.fields.String(allow_none=True)


class ExportedAccountSchema(ma.Schema):
    """The traveler account with the address, and the bookings in it."""

    email = ma.fields.String(required=True)
    created_at = _time()
    bookings = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "references"}
    )


class TravelerExportSchema(ma.Schema):
    """Everything stored about one traveler (contact e-mail)."""

    format = ma.fields.String(required=True, metadata={"example": "faregate.traveler-export"})
    version = ma.fields.Integer(required=True, metadata={"example": 1})
    email = ma.fields.String(required=True)
    exported_at = _time()
    account = ma.fields.Nested(ExportedAccountSchema, allow_none=True)
    bookings = ma.fields.List(ma.fields.Nested(ExportedBookingSchema), required=True)
    passes = ma.fields.List(ma.fields.Nested(ExportedTicketSchema), required=True)
    support_cases = ma.fields.List(ma.fields.Nested(ExportedCaseSchema), required=True)
    messages = ma.fields.List(ma.fields.Nested(ExportedMessageSchema), required=True)
    taps = ma.fields.List(ma.fields.Nested(ExportedTapSchema), required=True)


class ErasureRequestSchema(ma.Schema):
    """Whose data to erase, and the confirmation that it is meant."""

    email = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=254))
    confirm = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "must be true: erasing cannot be undone"},
    )


class ErasureSchema(ma.Schema):
    """What an erasure changed; all zero, with ``already_erased``, when run again."""

    email_sha256 = ma.fields.String(
        required=True,
        attribute="email_hash",
        metadata={"description": "the hash the audit log records instead of the address"},
    )
    already_erased = ma.fields.Boolean(required=True)
    bookings = ma.fields.Integer(required=True)
    references = ma.fields.List(ma.fields.String(), required=True)
    passengers = ma.fields.Integer(required=True)
    tickets = ma.fields.Integer(required=True)
    support_cases = ma.fields.Integer(required=True)
    case_notes = ma.fields.Integer(required=True)
    messages = ma.fields.Integer(required=True)
    stored_responses = ma.fields.Integer(
        required=True, metadata={"description": "answers kept for retried POSTs, rewritten"}
    )
    accounts = ma.fields.Integer(
        required=True, metadata={"description": "traveler accounts deleted (0 or 1)"}
    )
