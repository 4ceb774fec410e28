"""Request and response bodies of the support case API (travelers' and staff's).

Kinds, statuses and priorities are checked by the service, which refuses unknown values with
400 ``invalid_case_kind``, ``invalid_status`` or ``invalid_priority``; the enums are listed
here for the documentation.
"""

from __future__ import annotations

import marshmallow as ma

from backend.api.row_ids import MAX_BIG_ROW_ID, MAX_ROW_ID
from backend.models.support import CASE_KINDS, CASE_PRIORITIES, CASE_STATUSES
from backend.services.support_policy import MAX_NOTE, MAX_SUBJECT

KINDS = {"enum": list(CASE_KINDS)}
STATUSES = {"enum": list(CASE_STATUSES)}
PRIORITIES = {"enum": list(CASE_PRIORITIES)}
_UID = r"^(?:[0-9a-fA-F]{2}){1,64}$"
_STAFF_ID = ma.validate.Range(min=1, max=MAX_ROW_ID)


class TravelerCaseRequestSchema(ma.Schema):
    """A traveler's problem, their e-mail, and at most one link: a booking (its reference;
    ``email`` must be the one it was booked with) or a card and travel day."""

    kind = ma.fields.String(required=True, metadata=KINDS)
    subject = ma.fields.String(required=True, validate=ma.validate.Length(max=MAX_SUBJECT))
    message = ma.fields.String(required=True, validate=ma.validate.Length(max=MAX_NOTE))
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=254))
    booking_reference = ma.fields.String(
        load_default=None, validate=ma.validate.Length(max=12), allow_none=True
    )
    card_technology = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(min=1, max=32),
        metadata={"description": "how validators read the card, e.g. nfc_uid"},
    )
    card_uid = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Regexp(_UID),
        metadata={"description": "the card's UID in hex; kept only as the card's fingerprint"},
    )
    travel_day = ma.fields.Date(
        load_default=None, allow_none=True, metadata={"description": "needed with a card"}
    )


class CaseLookupSchema(ma.Schema):
    """A case's reference and the e-mail address it was opened with."""

    reference = ma.fields.String(required=True, validate=ma.validate.Length(max=12))
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=254))


class TravelerReplySchema(ma.Schema):
    """A traveler's reply, with the case's e-mail address as proof."""

    email = ma.fields.String(required=True, validate=ma.validate.Length(max=254))
    message = ma.fields.String(required=True, validate=ma.validate.Length(max=MAX_NOTE))


class CaseRefundSchema(ma.Schema):
    """Money given back on a case."""

    amount_minor = ma.fields.Integer(required=True)
    currency = ma.fields.String(required=True)
    text = ma.fields.String(allow_none=True)
    reason = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class TravelerCaseNoteSchema(ma.Schema):
    """A note the traveler sees."""

    author = ma.fields.String(required=True, metadata={"enum": ["traveler", "staff", "system"]})
    body = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class TravelerCaseSchema(ma.Schema):
    """A case as its traveler sees it."""

    reference = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata=KINDS)
    subject = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata=STATUSES)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    due_at = ma.fields.DateTime(required=True)
    booking_reference = ma.fields.String(allow_none=True)
    travel_day = ma.fields.Date(allow_none=True)
    can_reply = ma.fields.Boolean(required=True)
    refunds = ma.fields.List(ma.fields.Nested(CaseRefundSchema), required=True)
    notes = ma.fields.List(ma.fields.Nested(TravelerCaseNoteSchema), required=True)


class CaseQueueArgsSchema(ma.Schema):
    """Filters, order and page of the staff queue."""

    status = ma.fields.String(
        load_default=None,
        metadata={"description": "a status, or unresolved (new, open, waiting_on_traveler)"},
    )
    kind = ma.fields.String(load_default=None, metadata=KINDS)
    priority = ma.fields.String(load_default=None, metadata=PRIORITIES)
    assignee = ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(r"^(?:me|none|[0-9]{1,9})$"),
        metadata={"description": "a staff user id, me, or none (unassigned)"},
    )
    overdue = ma.fields.Boolean(load_default=False)
    sort = ma.fields.String(
        load_default="due",
        metadata={"enum": ["due", "priority", "created", "updated", "status", "kind", "reference"]},
    )
    direction = ma.fields.String(
        load_default="asc", data_key="dir", validate=ma.validate.OneOf(["asc", "desc"])
    )
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))


class CaseSummarySchema(ma.Schema):
    """A case as a row of the staff queue."""

    reference = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata=KINDS)
    status = ma.fields.String(required=True, metadata=STATUSES)
    priority = ma.fields.String(required=True, metadata=PRIORITIES)
    subject = ma.fields.String(required=True)
    source = ma.fields.String(required=True, metadata={"enum": ["traveler", "staff", "system"]})
    assignee_id = ma.fields.Integer(allow_none=True)
    assignee = ma.fields.String(allow_none=True, metadata={"description": "assignee's e-mail"})
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    due_at = ma.fields.DateTime(required=True)
    resolved_at = ma.fields.DateTime(allow_none=True)
    overdue = ma.fields.Boolean(required=True)


class CaseQueueSchema(ma.Schema):
    """One page of the staff queue."""

    cases = ma.fields.List(ma.fields.Nested(CaseSummarySchema), required=True)
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)


class CaseNoteSchema(ma.Schema):
    """A note as staff see it."""

    id = ma.fields.Integer(required=True)
    author = ma.fields.String(required=True, metadata={"enum": ["traveler", "staff", "system"]})
    author_email = ma.fields.String(allow_none=True)
    body = ma.fields.String(required=True)
    internal = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)


class StaffCaseSchema(CaseSummarySchema):
    """A case with its links, refunds and every note."""

    contact_email = ma.fields.String(allow_none=True)
    booking_reference = ma.fields.String(allow_none=True)
    media_fingerprint = ma.fields.String(allow_none=True)
    tap_id = ma.fields.Integer(allow_none=True)
    travel_day = ma.fields.Date(allow_none=True)
    refunds = ma.fields.List(ma.fields.Nested(CaseRefundSchema), required=True)
    notes = ma.fields.List(ma.fields.Nested(CaseNoteSchema), required=True)


class StaffCaseRequestSchema(ma.Schema):
    """A case staff open for a traveler: the problem and optional links."""

    kind = ma.fields.String(required=True, metadata=KINDS)
    subject = ma.fields.String(required=True, validate=ma.validate.Length(max=MAX_SUBJECT))
    message = ma.fields.String(required=True, validate=ma.validate.Length(max=MAX_NOTE))
    contact_email = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=254)
    )
    priority = ma.fields.String(load_default=None, allow_none=True, metadata=PRIORITIES)
    booking_reference = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=12)
    )
    media_fingerprint = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Regexp(r"^[0-9a-f]{64}$")
    )
    card_technology = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(min=1, max=32)
    )
    card_uid = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Regexp(_UID)
    )
    tap_id = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=1, max=MAX_BIG_ROW_ID)
    )
    travel_day = ma.fields.Date(load_default=None, allow_none=True)
    assignee_id = ma.fields.Integer(load_default=None, allow_none=True, validate=_STAFF_ID)


class CaseAssignSchema(ma.Schema):
    """Who works the case (null: nobody)."""

    assignee_id = ma.fields.Integer(required=True, allow_none=True, validate=_STAFF_ID)


class CaseStatusSchema(ma.Schema):
    """The case's new status."""

    status = ma.fields.String(required=True, metadata=STATUSES)


class CasePrioritySchema(ma.Schema):
    """The case's new priority (its due time follows)."""

    priority = ma.fields.String(required=True, metadata=PRIORITIES)


class CaseNoteRequestSchema(ma.Schema):
    """A note: internal, or a reply the traveler sees and is e-mailed."""

    body = ma.fields.String(required=True, validate=ma.validate.Length(max=MAX_NOTE))
    internal = ma.fields.Boolean(load_default=True)
