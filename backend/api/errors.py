"""Every API error as ``{"error": {"code": ..., "message": ..., "details": ...}}``.

Codes are stable: clients and tests match on them, never on the message. HTTP errors raised
by Flask or webargs get the code of their status (``HTTP_CODES``); validation failures carry
the offending fields in ``details``.
"""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from backend.errors import AuthenticationError, ServiceError

log = logging.getLogger(__name__)

HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "authentication_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ErrorBodySchema(ma.Schema):
    """The inside of an error envelope."""

    code = ma.fields.String(required=True, metadata={"description": "Stable error code"})
    message = ma.fields.String(required=True, metadata={"description": "Explanation for people"})
    details = ma.fields.Dict(metadata={"description": "Structured details, e.g. field errors"})


class ErrorEnvelopeSchema(ma.Schema):
    """What every failed API call returns."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> Response:
    """A JSON error envelope with ``status``."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    return response


def http_error_response(error: HTTPException) -> Response:
    """Render a werkzeug/webargs HTTP error in the envelope."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    details = data.get("errors") or data.get("messages")
    message = data.get("message") or error.description or error.name
    if status >= 500:
        message = "the server could not complete the request"
    response = error_response(status, HTTP_CODES.get(status, "http_error"), message, details)
    for name, value in (data.get("headers") or {}).items():
        response.headers[name] = value
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def service_error_response(error: ServiceError) -> Response:
    """Render a service refusal in the envelope."""
    response = error_response(error.status, error.code, error.message, error.details)
    if isinstance(error, AuthenticationError):
        response.headers["WWW-Authenticate"] = f'Bearer realm="faregate", error="{error.code}"'
    return response


def register(app: Flask) -> None:
    """Send service refusals through the envelope (HTTP errors go through the Api class)."""
    app.register_error_handler(ServiceError, service_error_response)
