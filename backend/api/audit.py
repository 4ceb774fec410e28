"""The audit log over the API: ``GET /api/v1/audit-events``, for admins only.

Newest first, ``per_page`` rows (50 by default, at most 200) of page ``page``; filtered by
``actor`` (a staff e-mail), ``action`` (a name such as ``feed.publish``, or a dotted prefix
such as ``support_case``) and a time range ``since`` (included) to ``until`` (excluded), ISO
8601 times with an offset. Each row is described in ``backend.models.audit``. Refusals: 403
``insufficient_role`` for planners and support, 400 ``invalid_range`` when since is after until,
422 ``validation_failed`` for malformed filters.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.guard import require_role
from backend.auth.roles import Role
from backend.services import audit

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="The audit log")


class AuditArgsSchema(ma.Schema):
    """Filters and page of the audit log."""

    actor = ma.fields.String(
        load_default=None, validate=ma.validate.Length(max=254), metadata={"example": "a@b.org"}
    )
    action = ma.fields.String(load_default=None, validate=ma.validate.Length(max=80))
    since = ma.fields.AwareDateTime(load_default=None)
    until = ma.fields.AwareDateTime(load_default=None)
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(
        load_default=audit.PAGE_SIZE, validate=ma.validate.Range(min=1, max=audit.MAX_PAGE_SIZE)
    )


class AuditEventSchema(ma.Schema):
    """One staff action as it was answered."""

    id = ma.fields.Integer(required=True)
    occurred_at = ma.fields.DateTime(required=True)
    actor_id = ma.fields.Integer(allow_none=True, metadata={"description": "staff user id"})
    actor_email = ma.fields.String(allow_none=True)
    actor_role = ma.fields.String(allow_none=True)
    via = ma.fields.String(required=True, metadata={"enum": ["console", "api", "cli"]})
    token_id = ma.fields.Integer(allow_none=True, metadata={"description": "the API token used"})
    action = ma.fields.String(required=True, metadata={"example": "feed.publish"})
    method = ma.fields.String(allow_none=True)
    path = ma.fields.String(allow_none=True)
    target = ma.fields.Dict(
        allow_none=True, metadata={"description": "ids the action named; hashes, never e-mails"}
    )
    status = ma.fields.Integer(required=True, metadata={"description": "the HTTP status"})
    client_address = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)


class AuditPageSchema(ma.Schema):
    """One page of the audit log."""

    events = ma.fields.List(ma.fields.Nested(AuditEventSchema), required=True)
    total = ma.fields.Integer(required=True)
    page = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)


@blp.route("/audit-events")
class AuditEvents(MethodView):
    """The audit log."""

    @require_role(Role.ADMIN)
    @blp.arguments(AuditArgsSchema(), location="query")
    @blp.response(200, AuditPageSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]) -> audit.AuditPage:
        """List staff actions, newest first."""
        wanted = audit.AuditFilter(
            actor=args["actor"],
            action=args["action"],
            since=args["since"],
            until=args["until"],
            page=args["page"],
            per_page=args["per_page"],
        )
        return audit.list_events(db.session(), wanted)
