"""Request and response bodies of the feeds API."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload

from backend.api.row_ids import MAX_OFFSET


class FeedUploadSchema(ma.Schema):
    """A GTFS zip sent as multipart/form-data."""

    file = Upload(required=True, metadata={"description": "The GTFS feed as a .zip"})


class PublishFlagSchema(ma.Schema):
    """Whether to publish the upload at once (when it has no ERROR)."""

    publish = ma.fields.Boolean(load_default=False)


class NoticeCountSchema(ma.Schema):
    """How many notices of one code a validation found."""

    code = ma.fields.String(required=True)
    severity = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)


class FeedVersionSchema(ma.Schema):
    """A feed version with its notice counts."""

    id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"description": "loaded or draft"})
    active = ma.fields.Boolean(required=True)
    filename = ma.fields.String(required=True)
    sha256 = ma.fields.String(required=True)
    size_bytes = ma.fields.Integer(required=True)
    feed_label = ma.fields.String(allow_none=True)
    error_count = ma.fields.Integer(required=True)
    warning_count = ma.fields.Integer(required=True)
    info_count = ma.fields.Integer(required=True)
    notice_counts = ma.fields.List(ma.fields.Nested(NoticeCountSchema), required=True)
    row_counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    created_at = ma.fields.DateTime(required=True)
    published_at = ma.fields.DateTime(allow_none=True)


class NoticeSchema(ma.Schema):
    """One stored validation notice."""

    code = ma.fields.String(required=True)
    severity = ma.fields.String(required=True)
    file = ma.fields.String(allow_none=True)
    row = ma.fields.Integer(allow_none=True)
    field = ma.fields.String(allow_none=True)
    value = ma.fields.String(allow_none=True)
    detail = ma.fields.String(required=True)


class NoticePageSchema(ma.Schema):
    """A page of stored notices, ERRORs first."""

    total = ma.fields.Integer(required=True)
    notices = ma.fields.List(ma.fields.Nested(NoticeSchema), required=True)


class PageArgsSchema(ma.Schema):
    """Paging parameters."""

    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_OFFSET))
