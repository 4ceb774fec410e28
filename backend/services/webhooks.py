"""Webhook delivery: each event of the log (``backend.services.webhook_events``) is POSTed,
signed, to every active endpoint subscribed to its type (``backend.services.webhook_endpoints``).

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
should skip an ``id`` they have seen. What is sent, and how it is signed, is described in
``backend.services.webhook_signatures``; each attempt is signed with its own timestamp.

``booking.created`` and ``booking.cancelled`` events are logged by
``backend.services.webhook_booking_events`` and delivered like every other event.
"""

from __future__ import annotations

import dataclasses
import http.client
import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, exists, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.db import Database
from backend.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from backend.models.base import UtcDateTime
from backend.services.backoff import Uniform, retry_delay
from backend.services.webhook_signatures import event_body, signature_header

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
CLAIM_LEASE = timedelta(minutes=5)
TIMEOUT_S = 5.0
PARALLEL = 8
RECENT_EVENTS = timedelta(minutes=10)
CATCH_UP_EVENTS = timedelta(days=1)
MAX_ERROR = 500
USER_AGENT = "Faregate-Webhooks/1"


@dataclasses.dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0


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


def _one_line(text: str) -> str:
    return " ".join(text.split())[:MAX_ERROR]
