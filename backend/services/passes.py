"""Period passes: a day, week or month of travel across the network, bought as one ticket.

Which fare products are passes, and for how long, comes from the period passes file (the
``period_passes_file`` setting; see config/period-passes.toml): GTFS has no notion of a
product's period. A pass product of the published feed is priced from its fare_products rows
for the buyer's rider category (the feed's default when none is given; the cheapest fare media
when several are listed); a product the feed lacks carries its price in the file. A pass starts
at midnight, in the agency's timezone, of the day the traveler chooses (today or later, up to
``MAX_DAYS_AHEAD``) and runs for its period; a month ends on the same day of the next month, or
on that month's last day when it is shorter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from backend.errors import NotFoundError, ServiceError
from backend.services.fare_quotes import money_json
from backend.services.pass_products import PassProduct, pass_end
from backend.services.reservation_store import IdempotencyKey, Inventory, Outcome
from backend.services.tickets import TICKETS, find_ticket, new_ticket_ids, ticket_body
from backend.services.timetable import require_active_version
from backend.services.write_sessions import with_idempotency
from fares.fare_model import FareError
from fares.fare_tables import FareTables
from fares.money import Money
from fares.product_choice import eligible_rows, resolve_rider

MAX_DAYS_AHEAD = 62


@dataclass(frozen=True)
class PassRequest:
    """A traveler buying a pass."""

    product_id: str
    start: date
    email: str
    rider_category: str | None = None


def buy_pass(
    inventory: Inventory, request: PassRequest, now: datetime, key: IdempotencyKey | None = None
) -> Outcome:
    """Sell a pass: 201 with its ticket and price, or a refusal with a code."""

    def run(session: Session) -> Outcome:
        version = require_active_version(session)
        product = inventory.passes.get(request.product_id)
        if product is None:
            raise NotFoundError("unknown_pass", f"{request.product_id} is not sold as a pass")
        tables = inventory.fares.get(session, version)
        price, name, category = _price(tables, product, request.rider_category)
        zone = inventory.facts.get(session, version).zone(None)
        today = now.astimezone(zone).date()
        if not today <= request.start <= today + timedelta(days=MAX_DAYS_AHEAD):
            raise ServiceError(
                "invalid_start_date",
                f"a pass starts today or on one of the next {MAX_DAYS_AHEAD} days",
            )
        ticket_id = new_ticket_ids(1)[0]
        session.execute(
            insert(TICKETS).values(
                id=ticket_id,
                kind="period",
                product_id=product.fare_product_id,
                rider_category_id=category,
                contact_email=request.email,
                kid=inventory.keyring.get().current(now).kid,
                issued_at=now,
                valid_from=_midnight(request.start, zone),
                valid_until=_midnight(pass_end(request.start, product.period), zone),
            )
        )
        ticket = find_ticket(session, ticket_id)
        body = ticket_body(ticket, inventory.keyring, now)
        return Outcome(
            201, {**body, "name": name, "period": product.period, "price": money_json(price)}
        )

    return with_idempotency(inventory, key, run, now)


def _price(
    tables: FareTables, product: PassProduct, category: str | None
) -> tuple[Money, str, str | None]:
    """(price, name, rider category) of a pass for a rider category."""
    try:
        rider = resolve_rider(tables, category, None)
    except FareError as error:
        raise ServiceError(error.code, error.message) from error
    if product.fare_product_id in tables.products:
        rows = eligible_rows(tables, product.fare_product_id, rider)
        if not rows:
            raise NotFoundError(
                "no_fare",
                f"{product.fare_product_id} is not sold to rider category "
                f"{rider.rider_category_id}",
            )
        row = min(rows, key=lambda candidate: candidate.price.amount)
        return row.price, row.name or product.name or row.fare_product_id, rider.rider_category_id
    if product.price is None:
        raise NotFoundError("no_fare", f"{product.fare_product_id} has no price")
    return product.price, product.name or product.fare_product_id, rider.rider_category_id


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
