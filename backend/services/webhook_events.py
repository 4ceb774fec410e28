"""The webhook event log: what happened, written in the transaction that made it happen.

``record`` adds one event; ``backend.services.webhooks`` delivers each event to the endpoints
subscribed to its type afterwards, so a rolled-back change is never announced and a committed
one is announced even if the process dies straight after. Event types are listed in
``EVENT_TYPES``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend.models import WebhookEvent

EVENT_TYPES = (
    "booking.created",
    "booking.cancelled",
    "trip.cancelled",
    "trip.reaccommodated",
    "case.updated",
)


def record(
    session: Session,
    event_type: str,
    data: dict[str, Any],
    now: datetime,
    *,
    dedupe_key: str | None = None,
) -> None:
    """Log an event of ``event_type`` with its JSON ``data``; an event whose ``dedupe_key`` is
    already logged is not logged again."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    values = {"event_type": event_type, "data": data, "dedupe_key": dedupe_key, "created_at": now}
    if dedupe_key is None:
        session.execute(insert(WebhookEvent).values(values))
        return
    dialect = session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        upsert(WebhookEvent).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
