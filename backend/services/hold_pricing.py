"""What a hold costs and how long its tickets will open gates, worked out when it is made.

A hold is priced with the fare engine for the feed's default rider category, per traveler,
and the price is kept on the hold so that confirming it (in one statement on PostgreSQL)
needs no second look at the timetable. A journey the fares do not price (no product matches)
is held unpriced; its tickets carry the product ``reservation``, a seat reservation alone.
A reserved ticket opens gates from an hour before its departure to two hours after its
scheduled arrival, so a late train does not strand its travelers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.db import Executor
from backend.models import Hold
from backend.services.fare_quotes import journey_leg, money_json
from backend.services.reservation_store import HoldRow, Inventory
from backend.services.trip_lookup import ResolvedInstance
from fares.engine import FareError, price_journey
from fares.journey import Journey
from fares.money import Money
from inventory.legs import LegRange

RESERVATION_PRODUCT = "reservation"
OPENS_BEFORE_DEPARTURE = timedelta(hours=1)
CLOSES_AFTER_ARRIVAL = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class HoldPrice:
    """The fare per traveler (None when unpriced) and the tickets' validity, in UTC."""

    fare_product_id: str | None
    fare_amount: int | None
    currency: str | None
    rider_category_id: str | None  # the category priced for: the feed's default one
    valid_from: datetime
    valid_until: datetime


def price_hold(
    session: Executor, inventory: Inventory, resolved: ResolvedInstance, legs: LegRange
) -> HoldPrice:
    """The price and ticket validity of one traveler riding ``resolved`` over ``legs``."""
    version = resolved.trip.version
    leg = journey_leg(inventory.facts.get(session, version), resolved, legs)
    opens = (leg.departure - OPENS_BEFORE_DEPARTURE).astimezone(UTC)
    closes = (leg.arrival + CLOSES_AFTER_ARRIVAL).astimezone(UTC)
    tables = inventory.fares.get(session, version)
    category = tables.default_rider_category
    try:
        quote = price_journey(tables, Journey((leg,)))
    except FareError:
        return HoldPrice(None, None, None, category, opens, closes)
    product = quote.legs[0].fare_product_id
    return HoldPrice(product, quote.total.amount, quote.total.currency, category, opens, closes)


def fare_json(hold: Hold | HoldRow) -> dict[str, Any] | None:
    """A hold's price as the API shows it: per traveler and for the party; None unpriced."""
    if hold.fare_amount is None or hold.currency is None:
        return None
    each = Money(hold.fare_amount, hold.currency)
    return {
        "fare_product_id": hold.fare_product_id,
        "per_traveler": money_json(each),
        "total": money_json(Money(hold.fare_amount * hold.party, hold.currency)),
    }
