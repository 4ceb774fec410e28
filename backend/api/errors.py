"""Every API error as ``{"error": {"code": ..., "message": ..., "details": ...}}``.

Codes are stable: clients and tests match on them, never on the message. HTTP errors raised
by Flask or webargs get the code of their status (``HTTP_CODES``); validation failures carry
the offending fields in ``details``.

A database that is lost, unreachable or refusing writes (a failover under way) gives 503
``database_unavailable`` with ``Retry-After``, on the API and, as a page, on the web pages,
wherever a request meets it; any other database error stays a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
import psycopg
from flask import Flask, Response, jsonify
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from backend.db import DatabaseUnavailableError, database_unavailable, unavailable_refusal
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


RATE_LIMITED_RESPONSE: dict[str, Any] = {
    "description": (
        "Too many requests from this client address (code rate_limited); "
        "send again after Retry-After seconds"
    ),
    "headers": {
        "Retry-After": {
            "description": "Seconds until the client address may send again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    "content": {"application/json": {"schema": ErrorEnvelopeSchema}},
}
"""The 429 answer of the operations limited per client address (``backend.rate_limits``)."""


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
    if isinstance(error, DatabaseUnavailableError):
        response.headers["Retry-After"] = str(error.retry_after_s)
    return response


def database_error_response(error: Exception) -> Response:
    """503 ``database_unavailable`` (a page for page requests) for a lost database; any other
    database error goes on to Flask's handling of unhandled errors (500, logged)."""
    if not database_unavailable(error):
        raise error
    refusal = unavailable_refusal(error)
    from backend.web import error_pages  # noqa: PLC0415 - error_pages imports this module

    if error_pages.is_page_request():
        return error_pages.database_unavailable_page(refusal)
    return service_error_response(refusal)


def register(app: Flask) -> None:
    """Send service refusals and lost databases through the envelope (HTTP errors go through
    the Api class)."""
    app.register_error_handler(ServiceError, service_error_response)
    app.register_error_handler(DBAPIError, database_error_response)
    app.register_error_handler(psycopg.Error, database_error_response)
