"""The rule bundle handed to devices: one for all devices, made again only when what it holds
changes (the active feed, the deny list, the keys, the passes) or once a day, so that its
validity keeps ahead of devices that sync daily.

Bundles are kept in the database with the fingerprint of their inputs, so every server
process hands out the same bytes and ETag, and a device asking with ``If-None-Match`` gets
304 until something changes. A bundle's version is its creation time in epoch seconds, one
more than the previous one at least. Reserved-trip manifests and vehicle assignments are not
in device bundles yet: a reserved ticket is then judged by its signed trip, seat and stops.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.models import DenyEntry, RuleBundleRecord
from backend.services.reservation_store import Inventory
from backend.services.rule_bundles import build_rule_bundle
from backend.services.timetable import require_active_version
from fares.bundle import bundle_etag
from fares.keys import epoch_seconds


def current_bundle(session: Session, inventory: Inventory, now: datetime) -> RuleBundleRecord:
    """The bundle devices should hold now, made if the newest one is out of date."""
    fingerprint = _fingerprint(session, inventory, now)
    newest = session.scalar(
        select(RuleBundleRecord).order_by(RuleBundleRecord.version.desc()).limit(1)
    )
    if newest is not None and newest.fingerprint == fingerprint:
        return newest
    version = max(epoch_seconds(now), (newest.version + 1) if newest else 0)
    blob = build_rule_bundle(session, inventory, now, version=version)
    record = RuleBundleRecord(
        version=version,
        fingerprint=fingerprint,
        etag=bundle_etag(blob),
        blob=blob,
        created_at=now,
    )
    session.add(record)
    try:
        session.commit()
    except IntegrityError:  # another process made one at the same moment: hand out that one
        session.rollback()
        made = session.get(RuleBundleRecord, version)
        if made is None:
            raise
        return made
    return record


def _fingerprint(session: Session, inventory: Inventory, now: datetime) -> str:
    keyring = inventory.keyring.get()
    inputs = {
        "feed": require_active_version(session),
        "deny": session.scalar(select(func.max(DenyEntry.id))) or 0,
        "keys": [key.kid for key in keyring.key_set(now)],
        "signer": keyring.current(now).kid,
        "passes": sorted(inventory.passes),
        "day": now.date().isoformat(),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
