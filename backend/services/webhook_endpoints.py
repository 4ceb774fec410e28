"""Webhook endpoints: the URLs that subscribe to event types, and what the API and the console
show of them and of their deliveries.

``create_endpoint`` stores a URL (http or https), the event types it wants and a secret made
with ``secrets`` (``whsec_`` + 43 URL-safe characters), shown once to whoever created it.
``deactivate_endpoint`` stops an endpoint for good: it gets nothing more, its pending
deliveries end as failed, and its delivery log stays readable (``recent_deliveries``,
``counts_by_status``). ``endpoint_json`` never shows an endpoint's secret.

Delivering events to endpoints is ``backend.services.webhooks``; how a delivery is signed is
``backend.services.webhook_signatures``.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.errors import NotFoundError, ServiceError
from backend.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from backend.services.webhook_events import EVENT_TYPES

SECRET_PREFIX = "whsec_"  # noqa: S105 - the secrets' prefix, not a secret
MAX_URL = 2000
STATUSES = ("pending", "delivered", "failed")


@dataclasses.dataclass(frozen=True)
class DeliveryView:
    """A delivery with its event's type and its endpoint's URL, for the delivery log."""

    delivery: WebhookDelivery
    event_type: str
    url: str


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
    """Refuse (422 ``invalid_webhook_url``) what is not an http or https URL we can store."""
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


def _iso(moment: datetime | None) -> str | None:
    """``moment`` in ISO 8601, or None."""
    return None if moment is None else moment.isoformat()
