"""Deny-list entries put straight into the database, as the server's writers add them (under
the deny-list writers' lock), and the deny-list delta a bundle carries."""

from __future__ import annotations

import secrets
from datetime import datetime

import cbor2
from sqlalchemy import insert

from backend.db import Database
from backend.services.tickets import DENY_ENTRIES, lock_deny_list
from fares import strict_cbor
from fares.deny_list import DenyListDelta


def add_deny_entries(
    database: Database,
    count: int,
    *,
    now: datetime,
    expires_at: datetime | None,
    kind: str = "ticket",
) -> set[str]:
    """Deny ``count`` new tickets (8-byte ids) or media (32-byte fingerprints); their values."""
    size = 8 if kind == "ticket" else 32
    values = {secrets.token_hex(size) for _ in range(count)}
    rows = [
        {
            "kind": kind,
            "value": value,
            "reason": "cancelled",
            "added_at": now,
            "expires_at": expires_at,
        }
        for value in sorted(values)
    ]
    with database.sessions() as session:
        lock_deny_list(session)
        session.execute(insert(DENY_ENTRIES), rows)
        session.commit()
    return values


def carried_delta(blob: bytes) -> DenyListDelta | None:
    """The deny-list delta a bundle blob carries (read without verifying); None if it carries
    a full list."""
    content = strict_cbor.decode(cbor2.loads(blob)[2], 6)
    assert isinstance(content, dict)
    return DenyListDelta.from_wire(content["deny"].get("delta"))
