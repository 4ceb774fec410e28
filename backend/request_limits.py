"""How large a request body the server accepts, per endpoint, refused before it is read.

Every API call and form carries a few kilobytes at most: the longest is a support case (a
5,000-character message and a 200-character subject, under 64 KiB even with every character
escaped). So every request is capped at ``request_body_max_kb`` (64 KiB), except:

- GTFS feed uploads (``POST /api/v1/feeds`` and the console's upload form):
  ``feed_upload_max_mb`` (200 MiB by default; real feeds of large networks run to tens of MiB).
- Validators' tap batches (``POST /api/v1/device/taps``): ``TAP_BATCH_MAX_BYTES``, room for
  ``MAX_BATCH`` (5,000) taps of ``TAP_MAX_BYTES`` each. The longest tap a validator can send,
  every field at its longest, is about 700 bytes of JSON as the agent writes it; agents send
  500 at a time, under 0.4 MiB.

A request whose ``Content-Length`` is over its endpoint's limit is answered 413
``payload_too_large`` (the API's envelope, or a page) from a ``before_request`` hook registered
ahead of every other, so neither the CSRF check nor a view reads a byte of it. A body sent
without a length (chunked) is cut off by werkzeug at the same limit while it is read.

Request lines and headers are gunicorn's to limit; its defaults (4,094-byte request line,
100 header fields of at most 8,190 bytes) already fit this API, whose longest URLs carry a
160-character trip instance.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from backend.services.tap_upload import MAX_BATCH
from backend.settings import Settings

TAP_MAX_BYTES = 1024
TAP_BATCH_MAX_BYTES = MAX_BATCH * TAP_MAX_BYTES
FEED_UPLOAD_ENDPOINTS = ("feeds.Feeds", "console.upload_feed")
TAP_UPLOAD_ENDPOINTS = ("devices.DeviceTaps",)
MIB = 1024 * 1024


def body_limit(endpoint: str | None, settings: Settings) -> int:
    """The largest body ``endpoint`` accepts, in bytes."""
    if endpoint in FEED_UPLOAD_ENDPOINTS:
        return settings.feed_upload_max_mb * MIB
    if endpoint in TAP_UPLOAD_ENDPOINTS:
        return TAP_BATCH_MAX_BYTES
    return settings.request_body_max_kb * 1024


def init_request_limits(app: Flask, settings: Settings) -> None:
    """Cap request bodies on ``app``; call before any other ``before_request`` is added.

    The settings are read at each request, as the views read them.
    """
    app.config["MAX_CONTENT_LENGTH"] = settings.request_body_max_kb * 1024

    @app.before_request
    def _refuse_large_bodies() -> None:
        allowed = body_limit(request.endpoint, current_app.config["FAREGATE_SETTINGS"])
        request.max_content_length = allowed
        length = request.content_length
        if length is not None and length > allowed:
            raise RequestEntityTooLarge(
                f"the request body is {length:,} bytes; this accepts at most {size_text(allowed)}"
            )


def size_text(size: int) -> str:
    """``size`` bytes for people: whole MiB or KiB when exact, else bytes."""
    if size % MIB == 0:
        return f"{size // MIB} MiB"
    if size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size:,} bytes"
