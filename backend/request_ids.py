"""Request ids: one per request, in its answer and on every log line it causes.

A request keeps the ``X-Request-Id`` it arrived with (from a reverse proxy, a load balancer or
a client) when that is sane: 1 to 128 characters among letters, digits and ``-._:=+/@``, so
that it cannot forge log lines, break a header or grow without bound. Otherwise it gets a new
random id (32 hex digits). The id is

- sent back in the ``X-Request-Id`` response header, on every answer, errors included;
- put on every log record emitted while the request is handled, as ``request_id``
  (``RequestIdFilter``, installed by ``backend.logs``; None outside requests);
- written by gunicorn's access log line, which reads the response header
  (``backend.cli.serve``).

An incoming id is a correlation aid only: nothing trusts it for anything else. It is chosen
on first use and kept in the request's WSGI environment, so that a hook answering before the
others still gets one.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, has_request_context, request

HEADER = "X-Request-Id"
MAX_LENGTH = 128
_SANE = re.compile(rf"[A-Za-z0-9\-._:=+/@]{{1,{MAX_LENGTH}}}")
_ENVIRON_KEY = "faregate.request_id"


def chosen_id(incoming: str | None) -> str:
    """``incoming`` when it is a sane id, else a new random one."""
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def request_id() -> str | None:
    """The id of the request being handled; None outside a request."""
    if not has_request_context():
        return None
    environ = request.environ
    found: str | None = environ.get(_ENVIRON_KEY)
    if found is None:
        found = environ[_ENVIRON_KEY] = chosen_id(request.headers.get(HEADER))
    return found


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request it was emitted in (or None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add ``request_id`` to ``record``; never drops it."""
        record.request_id = request_id()
        return True


def init_request_ids(app: Flask) -> None:
    """Send every answer of ``app`` with its request's id."""

    @app.after_request
    def _send_request_id(response: Response) -> Response:
        response.headers[HEADER] = request_id() or chosen_id(None)
        return response
