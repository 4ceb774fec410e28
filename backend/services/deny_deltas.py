"""The bundle a device downloads: the current one in full, or as a deny-list delta from the
bundle the device holds when that is smaller.

Each bundle's deny list carries the bundle's own version, and its record says what the list
holds: the deny entries up to ``deny_through`` still in force at ``created_at``
(``backend.services.device_bundles``). A device names the deny-list version it holds
(``deny_version``); the server finds that bundle's record and, in SQL, the entries that
differ between the two lists, without reading either list whole:

- added: up to the current bundle's ``deny_through``, in force at its ``created_at``, and
  newer than the held list's ``deny_through`` or no longer in force when it was made;
- removed: on the held list (up to its ``deny_through``, in force when it was made) and no
  longer in force when the current bundle was made, or newer than its ``deny_through``.

That is exact because deny entries are only appended, in id order of commit (the writers'
lock in ``backend.services.tickets``), and leave the list only by their expiry. The delta
bundle is the current bundle with the delta in place of its deny list, signed again by the
key that signed it (``fares.bundle.delta_bundle``): applying it gives exactly the current
bundle. The full bundle goes instead when the device names no version, or one of no bundle
made here (or made before deltas), or one older than the current bundle by more than
``DELTA_HORIZON`` (a device that far behind holds an expired bundle; an entry that has been
past its expiry longer than that may be deleted without breaking any delta), when the delta
bundle would not be smaller, or when the key that signed the current bundle is gone. A device
that holds the current bundle (by ETag or deny-list version) gets nothing: the API answers
304.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from backend.models import DenyEntry, RuleBundleRecord
from backend.services.device_bundles import current_bundle
from backend.services.reservation_store import Inventory
from backend.services.rule_bundles import BUNDLE_LIFETIME, in_force
from backend.services.signing_keys import KeyringError
from fares.bundle import bundle_etag, delta_bundle
from fares.deny_list import DenyListDelta

DELTA_HORIZON = BUNDLE_LIFETIME  # the oldest bundle a delta starts from, before the current


@dataclass(frozen=True, slots=True)
class HeldList:
    """What a bundle's deny list holds: entries up to ``through`` in force ``at``."""

    version: int
    through: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a device downloads for bundle ``version``: ``blob`` (None: the device holds it
    already), and the deny-list version a delta in it starts from (None: the full bundle)."""

    version: int
    blob: bytes | None
    etag: str
    delta_from: int | None = None

    @property
    def kind(self) -> str:
        """``unchanged``, ``delta`` or ``full``."""
        if self.blob is None:
            return "unchanged"
        return "full" if self.delta_from is None else "delta"


def download(
    session: Session,
    inventory: Inventory,
    now: datetime,
    *,
    deny_version: int | None,
    if_none_match: str,
) -> Delivery:
    """The current bundle for a device holding deny list ``deny_version`` (None: none) and
    the bundles named in its ``If-None-Match``: nothing if it holds the current one."""
    current = current_bundle(session, inventory, now)
    if current.etag in if_none_match or deny_version == current.version:
        return Delivery(current.version, None, current.etag)
    return delivery(session, inventory, current, deny_version)


def delivery(
    session: Session, inventory: Inventory, current: RuleBundleRecord, deny_version: int | None
) -> Delivery:
    """``current`` as a device holding deny list ``deny_version`` (None: none) downloads it."""
    full = Delivery(current.version, current.blob, current.etag)
    if deny_version is None or current.deny_through is None or deny_version >= current.version:
        return full
    held = held_list(session, deny_version)
    if held is None or held.at < current.created_at - DELTA_HORIZON:
        return full
    target = HeldList(current.version, current.deny_through, current.created_at)
    try:
        signing_key = inventory.keyring.get().current(current.created_at)
    except KeyringError:
        return full
    blob = delta_bundle(current.blob, deny_delta(session, held, target), signing_key)
    if blob is None or len(blob) >= len(current.blob):
        return full
    return Delivery(current.version, blob, bundle_etag(blob), deny_version)


def held_list(session: Session, version: int) -> HeldList | None:
    """What the deny list of bundle ``version`` holds; None if no such bundle was made here,
    or it was made before deltas."""
    row = session.execute(
        select(RuleBundleRecord.deny_through, RuleBundleRecord.created_at).where(
            RuleBundleRecord.version == version
        )
    ).one_or_none()
    if row is None or row.deny_through is None:
        return None
    return HeldList(version, row.deny_through, row.created_at)


def deny_delta(session: Session, held: HeldList, target: HeldList) -> DenyListDelta:
    """The changes that take the ``held`` list to the ``target`` one (a later version)."""
    added = _entries(session, target, held)
    removed = _entries(session, held, target)
    return DenyListDelta(
        held.version,
        target.version,
        added_tickets=frozenset(added["ticket"]),
        removed_tickets=frozenset(removed["ticket"]),
        added_media=frozenset(added["media"]),
        removed_media=frozenset(removed["media"]),
    )


def _entries(session: Session, on: HeldList, off: HeldList) -> dict[str, list[str]]:
    """The entries of list ``on`` that list ``off`` does not hold, by kind."""
    gone = and_(DenyEntry.expires_at.is_not(None), DenyEntry.expires_at <= off.at)
    rows = session.execute(
        select(DenyEntry.kind, DenyEntry.value)
        .where(DenyEntry.id <= on.through, in_force(on.at))
        .where(or_(DenyEntry.id > off.through, gone))
    )
    found: dict[str, list[str]] = {"ticket": [], "media": []}
    for kind, value in rows:
        found[kind].append(value)
    return found
