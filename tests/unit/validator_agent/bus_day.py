"""A bus's day for the agent tests: bus-17 runs two reserved trips, and tickets for them."""

from __future__ import annotations

from datetime import datetime, timedelta

from fares.bundle import build_bundle
from fares.credentials import Reservation
from fares.deny_list import DenyList
from fares.media import qr_text
from fares.rules import DeviceRole, TripManifest
from tests.unit.fares.builders import (
    KEY_1,
    PRODUCTS,
    SERVER_KEY,
    STOPS,
    T0,
    reserved_credential,
    signed,
)

EARLY, LATE = "RUSH041@2026-06-01", "RUSH042@2026-06-01"


def bus_bundle(timed: bool = False, issued_at: datetime = T0, version: int = 1) -> bytes:
    """A bundle whose bus-17 runs EARLY then LATE, which have manifests; if ``timed``, EARLY
    runs the first hour after ``issued_at`` and LATE from 1.5 to 2.5 hours after it."""
    times = {
        EARLY: (issued_at, issued_at + timedelta(hours=1)),
        LATE: (issued_at + timedelta(hours=1.5), issued_at + timedelta(hours=2.5)),
    }
    return build_bundle(
        signing_key=SERVER_KEY, version=version, issued_at=issued_at,
        valid_until=issued_at + timedelta(days=7), keys=[KEY_1.public_key()],
        products=PRODUCTS, deny=DenyList(), passback_s={DeviceRole.BUS: 300}, clock_skew_s=60,
        manifests=[TripManifest(EARLY, STOPS, {}), TripManifest(LATE, STOPS, {})],
        vehicle_trips={"bus-17": [EARLY, LATE]}, trip_times=times if timed else None,
    )  # fmt: skip


def late_ticket(number: int = 0, board: str = "BEATTY_AIRPORT", at: datetime = T0) -> str:
    """The QR text of reserved ticket ``number`` on LATE, from ``board``, valid for two days
    from ``at``."""
    reservation = Reservation(LATE, "12A", board, "BULLFROG")
    issued = int(at.timestamp())
    credential = reserved_credential(
        ticket_id=f"{number:016x}", reservation=reservation, issued_at=issued,
        valid_from=issued, valid_until=issued + 2 * 86400,
    )  # fmt: skip
    return qr_text(signed(credential))
