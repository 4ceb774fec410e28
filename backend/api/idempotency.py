"""What the API's POSTs that create holds, bookings or passes share: the ``Idempotency-Key``
header, the reservation context, and responses whose status the service decides."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Response, current_app, jsonify, request
from pydantic import BaseModel

from backend.errors import ServiceError
from backend.services.reservation_store import IdempotencyKey, Inventory, Outcome

IDEMPOTENCY_HEADER = {
    "Idempotency-Key": {
        "description": "Any unique text (at most 255 characters); a retry with the same key "
        "and body within 24 hours gets the first response again.",
        "schema": {"type": "string", "maxLength": 255},
        "required": False,
    }
}
IDEMPOTENCY_PARAMETERS = [{"in": "header", "name": n, **v} for n, v in IDEMPOTENCY_HEADER.items()]


def inventory() -> Inventory:
    """The app's reservation context."""
    found: Inventory = current_app.extensions["faregate.inventory"]
    return found


def idempotency_key(scope: str, body: dict[str, Any] | BaseModel) -> IdempotencyKey | None:
    """The request's ``Idempotency-Key`` for ``scope``, with a digest of ``body`` (a body
    checked by pydantic is digested as its fields, only when there is a key)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if isinstance(body, BaseModel):
        body = body.model_dump()
    if not key or len(key) > 255 or "\x00" in key:
        raise ServiceError(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 characters, none of them NUL",
        )
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return IdempotencyKey(scope, key, digest)


def respond(outcome: Outcome) -> Response:
    """The JSON response of a service outcome."""
    response = jsonify(outcome.body)
    response.status_code = outcome.status
    return response
