"""The versioned deny list (revoked tickets, blocked account media) and its deltas.

Entries are lowercase hex strings: ticket ids as in ``Credential.ticket_id``, media
fingerprints as produced by ``fares.decide.media_fingerprint``. A delta moves a list from
exactly one version to a later one; applying it to any other version is refused, so a
validator that missed a delta asks for a full list instead of silently drifting.

Wire form (inside a signed rule bundle), version 1::

    full  = {"version": uint, "tickets": [bstr...], "media": [bstr...]}
    delta = {"from": uint, "to": uint, "add_tickets": [bstr...], "remove_tickets": [...],
             "add_media": [...], "remove_media": [...]}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class DeltaBaseError(ValueError):
    """A delta does not start at the list's version; ``code`` is stable."""

    code = "delta_base_mismatch"


@dataclass(frozen=True, slots=True)
class DenyListDelta:
    """The changes that take a deny list from ``from_version`` to ``to_version``."""

    from_version: int
    to_version: int
    added_tickets: frozenset[str] = frozenset()
    removed_tickets: frozenset[str] = frozenset()
    added_media: frozenset[str] = frozenset()
    removed_media: frozenset[str] = frozenset()

    def to_wire(self) -> dict[str, object]:
        """CBOR-ready form."""
        return {
            "from": self.from_version,
            "to": self.to_version,
            "add_tickets": _to_bytes(self.added_tickets),
            "remove_tickets": _to_bytes(self.removed_tickets),
            "add_media": _to_bytes(self.added_media),
            "remove_media": _to_bytes(self.removed_media),
        }

    @classmethod
    def from_wire(cls, value: object) -> DenyListDelta | None:
        """Rebuild from decoded CBOR; None if the shape is wrong."""
        if type(value) is not dict:
            return None
        start, stop = value.get("from"), value.get("to")
        sets = [_hex_set(value.get(name)) for name in _DELTA_SETS]
        if type(start) is not int or type(stop) is not int or stop <= start:
            return None
        if any(entries is None for entries in sets):
            return None
        return cls(start, stop, *sets)  # type: ignore[arg-type]


_DELTA_SETS = ("add_tickets", "remove_tickets", "add_media", "remove_media")


@dataclass(frozen=True, slots=True)
class DenyList:
    """Revoked ticket ids and blocked media fingerprints at one version; O(1) lookups."""

    version: int = 0
    tickets: frozenset[str] = frozenset()
    media: frozenset[str] = frozenset()

    @classmethod
    def of(cls, version: int, tickets: Iterable[str] = (), media: Iterable[str] = ()) -> DenyList:
        """Build a list from any iterables of hex entries."""
        return cls(version, frozenset(tickets), frozenset(media))

    def apply(self, delta: DenyListDelta) -> DenyList:
        """The list after ``delta``; raises DeltaBaseError unless it starts at this version."""
        if delta.from_version != self.version:
            raise DeltaBaseError(
                f"delta starts at version {delta.from_version}, list is at {self.version}"
            )
        return DenyList(
            delta.to_version,
            (self.tickets - delta.removed_tickets) | delta.added_tickets,
            (self.media - delta.removed_media) | delta.added_media,
        )

    def delta_to(self, newer: DenyList) -> DenyListDelta:
        """The delta that takes this list to ``newer`` (for the server)."""
        if newer.version <= self.version:
            raise ValueError("a delta must go to a later version")
        return DenyListDelta(
            self.version,
            newer.version,
            newer.tickets - self.tickets,
            self.tickets - newer.tickets,
            newer.media - self.media,
            self.media - newer.media,
        )

    def to_wire(self) -> dict[str, object]:
        """CBOR-ready form."""
        return {
            "version": self.version,
            "tickets": _to_bytes(self.tickets),
            "media": _to_bytes(self.media),
        }

    @classmethod
    def from_wire(cls, value: object) -> DenyList | None:
        """Rebuild from decoded CBOR; None if the shape is wrong."""
        if type(value) is not dict or type(value.get("version")) is not int:
            return None
        tickets, media = _hex_set(value.get("tickets")), _hex_set(value.get("media"))
        if tickets is None or media is None:
            return None
        return cls(value["version"], tickets, media)


def _to_bytes(entries: frozenset[str]) -> list[bytes]:
    return [bytes.fromhex(entry) for entry in sorted(entries)]


def _hex_set(value: object) -> frozenset[str] | None:
    if type(value) is not tuple or any(type(v) is not bytes for v in value):
        return None
    return frozenset(v.hex() for v in value)
