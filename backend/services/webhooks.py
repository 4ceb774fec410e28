"""Webhook delivery: endpoints subscribe to event types; each event of the log
(``backend.services.webhook_events``) is POSTed, signed, to every endpoint subscribed to it.

**Endpoints.** ``create_endpoint`` stores a URL (http or https), the event types it wants and a
secret made with ``secrets`` (``whsec_`` + 43 URL-safe characters), shown once to whoever
created it. ``deactivate_endpoint`` stops an endpoint for good: it gets nothing more, its
pending deliveries end as failed, and its delivery log stays readable.

**Fan-out.** ``fan_out`` gives each event one ``webhook_delivery`` row per active endpoint
subscribed to its type. It looks back over the events logged in a recent window
(``RECENT_EVENTS``) rather than after a remembered id, because ids are taken when a
transaction writes and a transaction that took an earlier id may commit later: any event
committed within the window is seen, and the unique (event, endpoint) pair with ON CONFLICT
DO NOTHING makes seeing it again harmless, also for job runners on several servers. An event
logged before an endpoint was created is not delivered to it. The job runner looks back over
``CATCH_UP_EVENTS`` (a day) on its first run, to cover the time it was stopped.

**Delivery.** ``deliver_due`` claims due deliveries as the outbox claims messages (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL, a lease of ``CLAIM_LEASE`` so that a runner that dies
leaves them to be tried again), POSTs them a few at a time with a ``TIMEOUT_S`` socket
timeout, and records each answer. Redirects are not followed. Any 2xx answer is a delivery;
anything else (another status, a refused or timed-out connection) is tried again after
``backoff.retry_delay`` (30 s doubling up to an hour, with jitter) and given up as ``failed``
after ``MAX_ATTEMPTS`` attempts. Deliveries are at least once and in no set order: receivers
should skip an ``id`` they have seen.

**What is sent** (format 1)::

    POST <url>
    Content-Type: application/json
    Faregate-Event-Id: 42
    Faregate-Event-Type: booking.created
    Faregate-Timestamp: 1795000000
    Faregate-Signature: t=1795000000,v1=<hex>

    {"created_at":"2026-11-28T14:03:00+00:00","data":{...},"id":42,"type":"booking.created"}

``v1`` is the hex HMAC-SHA256, keyed with the endpoint's secret (its UTF-8 bytes, prefix
included), of ``<timestamp>.<body>``: the ``t`` value, a dot and the raw body bytes. A receiver
recomputes it over the body as received (``verify_signature`` does it) and refuses timestamps
too far from its clock, which stops replays of an old request. The timestamp is that of the
attempt, so a retried delivery carries a fresh one.

**Booking events.** ``record_booking_events`` logs ``booking.created`` and
``booking.cancelled`` by scanning the ``booking`` table for bookings made or cancelled within
a look-back window, so that the booking path writes nothing more. Each is logged once
(``dedupe_key`` ``booking.created:<reference>``). Their data hold the reference, trip
instance, status, passenger count, amount, currency and times, never a name or an e-mail
address.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Integer, String, exists, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.db import Database
from backend.errors import NotFoundError, ServiceError
from backend.models import Booking, BookingPassenger, WebhookDelivery, WebhookEndpoint, WebhookEvent
from backend.models.base import UtcDateTime
from backend.services import webhook_events
from backend.services.backoff import Uniform, retry_delay
from backend.services.webhook_events import EVENT_TYPES

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
CLAIM_LEASE = timedelta(minutes=5)
TIMEOUT_S = 5.0
PARALLEL = 8
RECENT_EVENTS = timedelta(minutes=10)
CATCH_UP_EVENTS = timedelta(days=1)
SIGNATURE_TOLERANCE_S = 300
SECRET_PREFIX = "whsec_"  # noqa: S105 - the secrets' prefix, not a secret
MAX_URL = 2000
MAX_ERROR = 500
USER_AGENT = "Faregate-Webhooks/1"
STATUSES = ("pending", "delivered", "failed")


@dataclasses.dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0


@dataclasses.dataclass(frozen=True)
class DeliveryView:
    """A delivery with its event's type and its endpoint's URL, for the delivery log."""

    delivery: WebhookDelivery
    event_type: str
    url: str


@dataclasses.dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    attempts: int
    url: str
    secret: str
    event_id: int
    event_type: str
    body: bytes


@dataclasses.dataclass(frozen=True)
class _Answer:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None


# --- endpoints ------------------------------------------------------------------------------


def create_endpoint(
    session: Session,
    *,
    url: str,
    event_types: Sequence[str],
    description: str,
    created_by: int | None,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its signing secret (shown once); commits."""
    url = url.strip()
    _check_url(url)
    wanted = sorted(set(event_types))
    if not wanted:
        raise ServiceError(
            "no_event_types", "subscribe the endpoint to at least one event type", status=422
        )
    unknown = [name for name in wanted if name not in EVENT_TYPES]
    if unknown:
        raise ServiceError(
            "unknown_event_type",
            f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}",
            status=422,
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=url,
        secret=secret,
        event_types=wanted,
        active=True,
        created_at=now,
        created_by=created_by,
        description=description.strip()[:200],
    )
    session.add(endpoint)
    session.commit()
    return endpoint, secret


def list_endpoints(session: Session) -> Sequence[WebhookEndpoint]:
    """Every endpoint, active ones first, newest first."""
    return session.scalars(
        select(WebhookEndpoint).order_by(WebhookEndpoint.active.desc(), WebhookEndpoint.id.desc())
    ).all()


def find_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint ``endpoint_id``, or ``webhook_not_found``."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFoundError("webhook_not_found", f"there is no webhook endpoint {endpoint_id}")
    return endpoint


def deactivate_endpoint(session: Session, endpoint_id: int, now: datetime) -> WebhookEndpoint:
    """Stop the endpoint: no new deliveries, its pending ones fail; commits. Deactivating an
    inactive endpoint changes nothing."""
    endpoint = find_endpoint(session, endpoint_id)
    if endpoint.active:
        endpoint.active = False
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
            .values(status="failed", last_error="endpoint deactivated", next_attempt_at=now)
        )
    session.commit()
    return endpoint


def endpoint_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as the API shows it (never its secret)."""
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "active": endpoint.active,
        "description": endpoint.description,
        "created_at": endpoint.created_at.isoformat(),
        "created_by": endpoint.created_by,
    }


def delivery_json(view: DeliveryView) -> dict[str, Any]:
    """A delivery as the API shows it."""
    delivery = view.delivery
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event_type": view.event_type,
        "endpoint_id": delivery.endpoint_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": (
            delivery.next_attempt_at.isoformat() if delivery.status == "pending" else None
        ),
        "last_attempt_at": _iso(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": _iso(delivery.delivered_at),
    }


def recent_deliveries(
    session: Session, *, endpoint_id: int | None = None, limit: int = 50
) -> list[DeliveryView]:
    """The newest deliveries (of one endpoint when ``endpoint_id`` is given), newest first."""
    query = (
        select(WebhookDelivery, WebhookEvent.event_type, WebhookEndpoint.url)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    return [DeliveryView(*row) for row in session.execute(query)]


def counts_by_status(session: Session) -> dict[str, int]:
    """How many deliveries are pending, delivered and failed."""
    found = dict(
        session.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        ).all()
    )
    return {status: found.get(status, 0) for status in STATUSES}


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(url) > MAX_URL
        or any(c.isspace() for c in url)
    ):
        raise ServiceError(
            "invalid_webhook_url",
            f"a webhook URL is an http:// or https:// URL of at most {MAX_URL} characters",
            status=422,
        )


# --- signatures -----------------------------------------------------------------------------


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


# --- fan-out --------------------------------------------------------------------------------


def fan_out(session: Session, now: datetime, lookback: timedelta = RECENT_EVENTS) -> int:
    """Create the deliveries of the events logged within ``lookback`` of ``now`` to each
    active endpoint subscribed to them, in the caller's transaction; how many are new."""
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    created = 0
    endpoints = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types, WebhookEndpoint.created_at).where(
            WebhookEndpoint.active.is_(True)
        )
    ).all()
    for endpoint_id, event_types, endpoint_created in endpoints:
        if not event_types:
            continue
        already = exists().where(
            WebhookDelivery.event_id == WebhookEvent.id,
            WebhookDelivery.endpoint_id == endpoint_id,
        )
        events = select(
            WebhookEvent.id,
            literal(endpoint_id, Integer),
            literal("pending", String),
            literal(0, Integer),
            literal(now, UtcDateTime()),
        ).where(
            WebhookEvent.created_at >= max(now - lookback, endpoint_created),
            WebhookEvent.event_type.in_(list(event_types)),
            ~already,
        )
        statement = (
            upsert(WebhookDelivery)
            .from_select(
                ["event_id", "endpoint_id", "status", "attempts", "next_attempt_at"], events
            )
            .on_conflict_do_nothing(index_elements=["event_id", "endpoint_id"])
            .returning(WebhookDelivery.id)
        )
        created += len(session.execute(statement).all())
    return created


# --- delivery -------------------------------------------------------------------------------


def deliver_due(
    database: Database,
    now: datetime,
    *,
    limit: int = 50,
    timeout_s: float = TIMEOUT_S,
    uniform: Uniform | None = None,
) -> DeliveryReport:
    """POST up to ``limit`` due deliveries to their endpoints and record how each went."""
    claimed = _claim(database, now, limit)
    if not claimed:
        return DeliveryReport()
    timestamp = int(now.timestamp())
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(claimed))) as pool:
        answers = list(pool.map(lambda item: _post(item, timestamp, timeout_s), claimed))
    return _record(database, list(zip(claimed, answers, strict=True)), now, uniform)


def _claim(database: Database, now: datetime, limit: int) -> list[_Claimed]:
    with database.writer_sessions() as session:
        rows = session.scalars(
            select(WebhookDelivery)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.active.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        ).all()
        for row in rows:
            row.attempts += 1
            row.last_attempt_at = now
            row.next_attempt_at = now + CLAIM_LEASE
        session.flush()
        details = {
            delivery_id: (url, secret, event_id, event_type, created_at, data)
            for delivery_id, url, secret, event_id, event_type, created_at, data in session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookEndpoint.url,
                    WebhookEndpoint.secret,
                    WebhookEvent.id,
                    WebhookEvent.event_type,
                    WebhookEvent.created_at,
                    WebhookEvent.data,
                )
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.id.in_([row.id for row in rows]))
            ).all()
        }
        claimed = []
        for row in rows:
            url, secret, event_id, event_type, created_at, data = details[row.id]
            claimed.append(
                _Claimed(
                    delivery_id=row.id,
                    attempts=row.attempts,
                    url=url,
                    secret=secret,
                    event_id=event_id,
                    event_type=event_type,
                    body=event_body(event_id, event_type, created_at, data),
                )
            )
        session.commit()
    return claimed


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Answers 3xx are not followed: they count as a failed attempt."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        """Follow no redirect."""


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(claimed: _Claimed, timestamp: int, timeout_s: float) -> _Answer:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Faregate-Event-Id": str(claimed.event_id),
        "Faregate-Event-Type": claimed.event_type,
        "Faregate-Timestamp": str(timestamp),
        "Faregate-Signature": signature_header(claimed.secret, timestamp, claimed.body),
    }
    # The URL's scheme was checked to be http or https when the endpoint was created.
    request = urllib.request.Request(  # noqa: S310
        claimed.url, data=claimed.body, headers=headers, method="POST"
    )
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            response.read(4096)
            return _Answer(response.status, None)
    except urllib.error.HTTPError as error:
        try:
            snippet = _one_line(error.read(200).decode("utf-8", "replace"))
        except (OSError, http.client.HTTPException):
            snippet = ""
        finally:
            error.close()
        reason = f"HTTP {error.code}" + (f": {snippet}" if snippet else "")
        return _Answer(error.code, reason[:MAX_ERROR])
    except urllib.error.URLError as error:
        return _Answer(None, _one_line(f"{type(error.reason).__name__}: {error.reason}"))
    except (OSError, http.client.HTTPException, ValueError) as error:
        return _Answer(None, _one_line(f"{type(error).__name__}: {error}"))


def _record(
    database: Database,
    results: list[tuple[_Claimed, _Answer]],
    now: datetime,
    uniform: Uniform | None,
) -> DeliveryReport:
    report = DeliveryReport()
    with database.writer_sessions() as session:
        for claimed, answer in results:
            row = update(WebhookDelivery).where(
                WebhookDelivery.id == claimed.delivery_id, WebhookDelivery.status == "pending"
            )
            common = {"last_status_code": answer.status_code, "last_error": answer.error}
            if answer.delivered:
                report.delivered += 1
                session.execute(row.values(status="delivered", delivered_at=now, **common))
            elif claimed.attempts >= MAX_ATTEMPTS:
                report.failed += 1
                session.execute(row.values(status="failed", **common))
            else:
                report.retried += 1
                wait = retry_delay(
                    claimed.attempts, base=BACKOFF_BASE, cap=BACKOFF_CAP, uniform=uniform
                )
                session.execute(row.values(next_attempt_at=now + wait, **common))
        session.commit()
    if report.retried or report.failed:
        log.warning(
            "webhooks: %d delivered, %d to try again, %d failed for good",
            report.delivered,
            report.retried,
            report.failed,
        )
    elif report.delivered:
        log.info("webhooks: %d delivered", report.delivered)
    return report


# --- booking events -------------------------------------------------------------------------


def record_booking_events(session: Session, now: datetime, lookback: timedelta) -> int:
    """Log ``booking.created`` for bookings made, and ``booking.cancelled`` for bookings
    cancelled, within ``lookback`` of ``now`` that are not logged yet, in the caller's
    transaction; how many events were logged."""
    since = now - lookback
    passengers = (
        select(func.count())
        .where(BookingPassenger.booking_id == Booking.id)
        .correlate(Booking)
        .scalar_subquery()
    )
    logged = 0
    for event_type, moment, extra in (
        ("booking.created", Booking.created_at, None),
        ("booking.cancelled", Booking.cancelled_at, Booking.status == "cancelled"),
    ):
        key = literal(f"{event_type}:", String) + Booking.reference
        query = (
            select(Booking, passengers)
            .where(moment >= since, ~exists().where(WebhookEvent.dedupe_key == key))
            .order_by(moment, Booking.id)
        )
        if extra is not None:
            query = query.where(extra)
        for booking, count in session.execute(query).all():
            webhook_events.record(
                session,
                event_type,
                _booking_data(booking, count),
                now,
                dedupe_key=f"{event_type}:{booking.reference}",
            )
            logged += 1
    return logged


def _booking_data(booking: Booking, passengers: int) -> dict[str, Any]:
    """What an event tells of a booking: no names, no e-mail address."""
    return {
        "reference": booking.reference,
        "trip_instance": booking.trip_instance,
        "status": booking.status,
        "passengers": passengers,
        "total_amount": booking.total_amount,
        "currency": booking.currency,
        "created_at": booking.created_at.isoformat(),
        "cancelled_at": _iso(booking.cancelled_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:MAX_ERROR]
