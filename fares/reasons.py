"""Why a tap was refused (stable codes) and the outcome of one tap decision."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DenyReason(enum.Enum):
    """A stable, machine-readable reason for refusing a tap; the value is the wire code."""

    MALFORMED = "malformed"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN_PRODUCT = "unknown_product"
    WRONG_RIDER_CATEGORY = "wrong_rider_category"
    WRONG_AREA = "wrong_area"
    WRONG_NETWORK = "wrong_network"
    WRONG_ROUTE = "wrong_route"
    WRONG_TRIP = "wrong_trip"
    WRONG_SEAT = "wrong_seat"
    WRONG_STOP = "wrong_stop"
    PASSBACK = "passback"
    BUNDLE_EXPIRED = "bundle_expired"


# What a traveler reads on the validator: each text fits its 32-character display line.
EXPLANATIONS: dict[DenyReason, str] = {
    DenyReason.MALFORMED: "not a readable ticket",
    DenyReason.UNSUPPORTED_VERSION: "ticket format not supported",
    DenyReason.UNKNOWN_KEY: "ticket issuer not trusted",
    DenyReason.BAD_SIGNATURE: "signature does not match",
    DenyReason.NOT_YET_VALID: "ticket is not valid yet",
    DenyReason.EXPIRED: "ticket has expired",
    DenyReason.REVOKED: "ticket or card is blocked",
    DenyReason.UNKNOWN_PRODUCT: "ticket type unknown here",
    DenyReason.WRONG_RIDER_CATEGORY: "ticket not for this rider type",
    DenyReason.WRONG_AREA: "ticket not valid in this area",
    DenyReason.WRONG_NETWORK: "ticket not valid on this network",
    DenyReason.WRONG_ROUTE: "ticket not valid on this route",
    DenyReason.WRONG_TRIP: "reservation is for another trip",
    DenyReason.WRONG_SEAT: "reservation seat was changed",
    DenyReason.WRONG_STOP: "reservation not from this stop",
    DenyReason.PASSBACK: "already used a moment ago",
    DenyReason.BUNDLE_EXPIRED: "validator rules are out of date",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one tap: allowed or denied with a reason, and what it applied to.

    ``history_key`` is the key the decision checked for passback; the caller records an
    entry under it once the tap is committed.
    """

    allowed: bool
    reason: DenyReason | None
    explanation: str
    product_id: str | None = None
    ticket_id: str | None = None
    fingerprint: str | None = None
    history_key: str | None = None

    @classmethod
    def allow(
        cls,
        *,
        product_id: str | None = None,
        ticket_id: str | None = None,
        fingerprint: str | None = None,
        history_key: str | None = None,
        explanation: str = "ok",
    ) -> Decision:
        """Build an allowing decision."""
        return cls(True, None, explanation, product_id, ticket_id, fingerprint, history_key)

    @classmethod
    def deny(
        cls,
        reason: DenyReason,
        *,
        product_id: str | None = None,
        ticket_id: str | None = None,
        fingerprint: str | None = None,
        explanation: str | None = None,
    ) -> Decision:
        """Build a denying decision; the explanation defaults to the reason's standard text."""
        text = EXPLANATIONS[reason] if explanation is None else explanation
        return cls(False, reason, text, product_id, ticket_id, fingerprint, None)
