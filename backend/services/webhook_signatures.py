"""What a webhook delivery sends, and how it is signed (format 1)::

    POST <url>
    Content-Type: application/json
    Faregate-Event-Id: 42
    Faregate-Event-Type: booking.created
    Faregate-Timestamp: 1795000000
    Faregate-Signature: t=1795000000,v1=<hex>

    {"created_at":"2026-11-28T14:03:00+00:00","data":{...},"id":42,"type":"booking.created"}

The body is ``event_body``: the event as compact JSON with its keys sorted. ``v1`` is the hex
HMAC-SHA256, keyed with the endpoint's secret (its UTF-8 bytes, prefix included), of
``<timestamp>.<body>``: the ``t`` value, a dot and the raw body bytes (``signature_header``). A
receiver recomputes it over the body as received (``verify_signature`` does it) and refuses
timestamps too far from its clock (``SIGNATURE_TOLERANCE_S``), which stops replays of an old
request. The timestamp is that of the attempt, so a retried delivery carries a fresh one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

SIGNATURE_TOLERANCE_S = 300


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Faregate-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    now: datetime,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
) -> bool:
    """Whether ``header`` (a ``Faregate-Signature`` value) signs ``body`` with ``secret``, at a
    timestamp within ``tolerance_s`` seconds of ``now``.

    For receivers: pass the raw body bytes as received, before any JSON parsing. Several
    ``v1=`` values may appear (e.g. while a secret is being changed); one matching is enough.
    Comparison takes constant time.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs(now.timestamp() - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``<timestamp>.<body>`` keyed with ``secret``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def event_body(event_id: int, event_type: str, created_at: datetime, data: Any) -> bytes:
    """The JSON body of an event's delivery (compact, keys sorted)."""
    payload = {
        "id": event_id,
        "type": event_type,
        "created_at": created_at.isoformat(),
        "data": data,
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
