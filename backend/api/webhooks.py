"""Webhooks API: the endpoints that receive events, and each endpoint's delivery log.

``POST /api/v1/webhooks`` with ``{"url": ..., "event_types": [...], "description": ...}``
subscribes a URL; the answer carries the endpoint's signing ``secret``, shown this once.
``GET /api/v1/webhooks`` lists endpoints (never their secrets), ``DELETE
/api/v1/webhooks/{id}`` deactivates one (it receives nothing more; its log is kept), and
``GET /api/v1/webhooks/{id}/deliveries`` shows its latest deliveries: status, attempts, the
last HTTP status or error and the next attempt. Every staff role reads; planners and admins
subscribe and deactivate. The body and signature of a delivery are described in
``backend.services.webhook_signatures``. Refusals: ``invalid_webhook_url``,
``unknown_event_type`` (422), ``webhook_not_found`` (404).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.guard import current_principal, require_role
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.services import webhook_endpoints
from backend.services.webhook_events import EVENT_TYPES

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Endpoints that receive signed events, and their delivery logs",
)


class WebhookCreateSchema(ma.Schema):
    """A URL to send events of some types to."""

    url = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
    event_types = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(EVENT_TYPES)),
        required=True,
        validate=ma.validate.Length(min=1, max=len(EVENT_TYPES)),
    )
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))


class WebhookSchema(ma.Schema):
    """An endpoint and the event types it receives."""

    id = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)
    event_types = ma.fields.List(ma.fields.String(), required=True)
    active = ma.fields.Boolean(required=True)
    description = ma.fields.String(required=True)
    created_at = ma.fields.String(required=True)
    created_by = ma.fields.Integer(allow_none=True, metadata={"description": "staff user id"})


class CreatedWebhookSchema(WebhookSchema):
    """A new endpoint with the secret its deliveries are signed with (shown once)."""

    secret = ma.fields.String(required=True)


class DeliverySchema(ma.Schema):
    """One event's delivery to the endpoint."""

    id = ma.fields.Integer(required=True)
    event_id = ma.fields.Integer(required=True)
    event_type = ma.fields.String(required=True)
    endpoint_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["pending", "delivered", "failed"]})
    attempts = ma.fields.Integer(required=True)
    next_attempt_at = ma.fields.String(allow_none=True, metadata={"description": "if pending"})
    last_attempt_at = ma.fields.String(allow_none=True)
    last_status_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    delivered_at = ma.fields.String(allow_none=True)


class DeliveryArgsSchema(ma.Schema):
    """How many deliveries, newest first."""

    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=500))


@blp.route("")
class Webhooks(MethodView):
    """Webhook endpoints."""

    @require_role()
    @blp.response(200, WebhookSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """List the endpoints, active ones first."""
        return [
            webhook_endpoints.endpoint_json(e)
            for e in webhook_endpoints.list_endpoints(db.session())
        ]

    @require_role(Role.PLANNER)
    @blp.arguments(WebhookCreateSchema())
    @blp.response(201, CreatedWebhookSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Subscribe a URL to event types; the answer carries its signing secret, shown once."""
        endpoint, secret = webhook_endpoints.create_endpoint(
            db.session(),
            url=body["url"],
            event_types=body["event_types"],
            description=body["description"],
            created_by=current_principal().user_id,
            now=utc_now(),
        )
        return {**webhook_endpoints.endpoint_json(endpoint), "secret": secret}


@blp.route("/<id:endpoint_id>")
class Webhook(MethodView):
    """One webhook endpoint."""

    @require_role(Role.PLANNER)
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, endpoint_id: int) -> Response:
        """Deactivate the endpoint: it receives nothing more; its delivery log is kept."""
        webhook_endpoints.deactivate_endpoint(db.session(), endpoint_id, utc_now())
        return Response(status=204)


@blp.route("/<id:endpoint_id>/deliveries")
class WebhookDeliveries(MethodView):
    """An endpoint's delivery log."""

    @require_role()
    @blp.arguments(DeliveryArgsSchema(), location="query")
    @blp.response(200, DeliverySchema(many=True))
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any], endpoint_id: int) -> list[dict[str, Any]]:
        """The endpoint's latest deliveries, newest first."""
        session = db.session()
        webhook_endpoints.find_endpoint(session, endpoint_id)
        found = webhook_endpoints.recent_deliveries(
            session, endpoint_id=endpoint_id, limit=args["limit"]
        )
        return [webhook_endpoints.delivery_json(view) for view in found]
