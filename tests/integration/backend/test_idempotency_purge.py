"""Idempotency-Keys are remembered for a day, then forgotten by the job runner."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from backend.clock import utc_now
from backend.jobs import purge_idempotency_records
from backend.models import IdempotencyRecord
from backend.services.write_sessions import IDEMPOTENCY_KEPT


def test_keys_older_than_a_day_are_forgotten_and_newer_ones_kept(app: Flask) -> None:
    inventory = app.extensions["faregate.inventory"]
    now = utc_now()
    ages = {"old": IDEMPOTENCY_KEPT + timedelta(minutes=1), "new": timedelta(hours=23)}
    with inventory.database.sessions() as session:
        for key, age in ages.items():
            record = IdempotencyRecord(
                scope="POST /api/v1/holds", key=key, request_hash="0" * 64,
                status_code=201, body={"id": key}, created_at=now - age,
            )  # fmt: skip
            session.add(record)
        session.commit()

    assert purge_idempotency_records(inventory) == 1
    assert purge_idempotency_records(inventory) == 0
    with inventory.database.sessions() as session:
        assert session.scalars(select(IdempotencyRecord.key)).all() == ["new"]
