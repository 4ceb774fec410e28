"""The rule bundle in force: restored from the store, replaced only by a verified newer one.

A new blob is opened with ``fares.bundle.open_bundle`` against the configured trusted keys
and, for a deny-list delta, the deny list in force. A refused blob changes nothing: the
last good bundle stays in force and the refusal code is kept for status. A blob whose
version is not above the one in force is refused ``bundle_stale`` (a replayed older bundle
would otherwise undo revocations), except the very same blob, which is a no-op. At start
the current stored bundle is reopened (with the deny list it was applied to), falling back
to the previous one if it no longer opens (e.g. the trusted keys changed).
"""

from __future__ import annotations

import contextlib
import enum
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import cbor2

from fares import strict_cbor
from fares.bundle import BundleRefusal, RuleBundle, open_bundle
from fares.deny_list import DenyList
from fares.keys import KeySet
from validator_agent.clock import Clock
from validator_agent.errors import JournalError
from validator_agent.store import Store, StoredBundle


class InstallRefusal(enum.Enum):
    """Why the agent refused a bundle that verified; the value is a stable code."""

    STALE = "bundle_stale"


@dataclass(frozen=True, slots=True)
class Refusal:
    """The last refused bundle: its code and when."""

    code: str
    at: datetime


class BundleKeeper:
    """Holds the bundle in force and installs new ones; safe to call from any thread."""

    def __init__(self, store: Store, trusted: KeySet, clock: Clock) -> None:
        self._store, self._trusted, self._clock = store, trusted, clock
        self._current: RuleBundle | None = None
        self._lock = threading.Lock()
        self.last_refusal: Refusal | None = None
        self.store_fault: str | None = None

    @property
    def current(self) -> RuleBundle | None:
        """The bundle in force, if any."""
        return self._current

    def restore(self) -> RuleBundle | None:
        """Reopen the stored bundle (current, else previous); None if neither opens."""
        now = self._clock.now()
        with self._lock:
            for opened in _open_stored(self._store, self._trusted, now):
                if isinstance(opened, RuleBundle):
                    self._current = opened
                    return opened
                self._refused(Refusal(opened.value, now))
            return None

    def install(self, blob: bytes) -> RuleBundle | BundleRefusal | InstallRefusal:
        """Verify and install ``blob``; on refusal the bundle in force is unchanged."""
        now = self._clock.now()
        with self._lock:
            current = self._current
            base = None if current is None else current.deny_list
            opened: RuleBundle | BundleRefusal | InstallRefusal
            opened = open_bundle(blob, self._trusted, now, base)
            if isinstance(opened, RuleBundle) and current is not None:
                if opened.content_hash == current.content_hash:
                    return current
                if opened.version <= current.version:
                    opened = InstallRefusal.STALE
            if not isinstance(opened, RuleBundle):
                self._refused(Refusal(opened.value, now))
                return opened
            self._persist(opened, blob, base, now)
            self._current = opened
            return opened

    def _refused(self, refusal: Refusal) -> None:
        """Keep the refusal for status, in memory and (if it can write) in the store."""
        self.last_refusal = refusal
        record = json.dumps({"code": refusal.code, "at": refusal.at.isoformat()})
        with contextlib.suppress(JournalError):
            self._store.set_meta("last_refusal", record)

    def _persist(
        self, bundle: RuleBundle, blob: bytes, base: DenyList | None, now: datetime
    ) -> None:
        """Store the verified bundle; a store fault keeps it in force in memory only."""
        base_deny = None if base is None else cbor2.dumps(base.to_wire())
        try:
            self._store.save_bundle(StoredBundle(bundle.version, bundle.etag, blob, base_deny, now))
            self.store_fault = None
        except JournalError as error:
            self.store_fault = error.code


def stored_bundle(store: Store, trusted: KeySet, now: datetime) -> RuleBundle | None:
    """The bundle an agent restarted now would put in force, for commands beside a running
    agent: opened like ``BundleKeeper.restore``, without recording a refusal."""
    return next((b for b in _open_stored(store, trusted, now) if isinstance(b, RuleBundle)), None)


def _open_stored(
    store: Store, trusted: KeySet, now: datetime
) -> Iterator[RuleBundle | BundleRefusal]:
    """Each stored bundle opened in turn, current first."""
    for stored in store.load_bundles():
        yield open_bundle(stored.blob, trusted, now, _deny_list(stored.base_deny))


def _deny_list(encoded: bytes | None) -> DenyList | None:
    """The stored base deny list of a delta bundle, if any."""
    if encoded is None:
        return None
    return DenyList.from_wire(strict_cbor.decode(encoded, 3))
