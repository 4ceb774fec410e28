"""The server's online check of a presented ticket: the validators' own decision
(``fares.decide``) against the current rules, for staff checking a ticket by hand and for
anything else online.

The server keeps no validator's tap history, so the check applies no passback; everything
else (signature, validity, deny list, product, area, route, trip, seat and stop) is judged as
a validator holding the newest bundle would judge it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from backend.services.reservation_store import Inventory
from backend.services.rule_bundles import open_current_bundle
from backend.services.timetable import require_active_version
from fares.decide import decide
from fares.rules import DeviceRole
from fares.tap import InMemoryHistory, PresentedMedia, TapContext


@dataclass(frozen=True)
class CheckPlace:
    """Where a ticket is checked: the role, and whatever of stop, route and trip is known."""

    role: DeviceRole
    stop_id: str | None = None
    route_id: str | None = None
    network_id: str | None = None
    trip_instance: str | None = None


def check_ticket(
    session: Session, inventory: Inventory, media: PresentedMedia, place: CheckPlace, now: datetime
) -> dict[str, Any]:
    """The decision on ``media`` presented at ``place`` at ``now``, as JSON."""
    trips = [place.trip_instance] if place.trip_instance else []
    bundle = open_current_bundle(session, inventory, now, trips)
    tables = inventory.fares.get(session, require_active_version(session))
    areas = tables.stop_areas.get(place.stop_id, frozenset()) if place.stop_id else frozenset()
    context = TapContext(
        at=now,
        device_id="server",
        role=place.role,
        stop_id=place.stop_id,
        area_ids=frozenset(areas),
        network_id=place.network_id,
        route_id=place.route_id,
        trip_instance=place.trip_instance,
    )
    decision = decide(media, context, bundle, InMemoryHistory())
    return {
        "allowed": decision.allowed,
        "reason": decision.reason.value if decision.reason else None,
        "product_id": decision.product_id,
        "ticket_id": decision.ticket_id,
        "explanation": decision.explanation,
    }
