"""Price a journey from a feed's fare tables: GTFS Fares v2, or Fares v1 when v2 is absent.

Every leg gets the cheapest product its matching fare_leg_rules rows offer the rider;
transfers between consecutive legs then add transfer products and drop leg fares as
fare_transfer_rules say (see :mod:`fares.transfers`). Products are chosen leg by leg, so
a costlier leg product that would unlock a cheaper transfer is not explored.
Anything that leaves a journey without a price raises :class:`FareError` with a code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fares.fare_model import FareError, LegRule
from fares.fare_tables import FareTables
from fares.fares_v1 import plan_tickets, ticket_fares
from fares.journey import AppliedTransfer, Journey, Leg, LegFare, Quote
from fares.leg_rules import describe_rule, leg_facts, matching_rules
from fares.money import Money, MoneyError
from fares.product_choice import Choice, Rider, cheapest, describe_product, resolve_rider
from fares.transfers import PricedLeg, apply_transfers

__all__ = ["FareError", "price_journey"]


def price_journey(tables: FareTables, journey: Journey) -> Quote:
    """The price of ``journey`` with an explanation of every rule applied."""
    if not journey.legs:
        raise FareError("empty_journey", "a journey needs at least one leg")
    for index, leg in enumerate(journey.legs):
        _check_times(leg, index)
    if tables.has_v2:
        return _price_v2(tables, journey)
    return _price_v1(tables, journey)


def _check_times(leg: Leg, index: int) -> None:
    if leg.departure.tzinfo is None or leg.arrival.tzinfo is None:
        raise FareError("naive_time", f"leg {index}: times must be timezone-aware local times")
    if leg.arrival < leg.departure:
        raise FareError("bad_leg_times", f"leg {index}: arrives before it departs")


def _price_v2(tables: FareTables, journey: Journey) -> Quote:
    rider = resolve_rider(tables, journey.rider_category_id, journey.fare_media_id)
    choices = [_leg_choice(tables, leg, index, rider) for index, leg in enumerate(journey.legs)]
    priced = [
        PricedLeg(leg, choice.source.leg_group_id, choice.product.price)
        for leg, choice in zip(journey.legs, choices, strict=True)
    ]
    outcome = apply_transfers(tables, priced, rider)
    fares = [
        _leg_fare(tables, index, choice, rider, outcome.covered.get(index))
        for index, choice in enumerate(choices)
    ]
    return _quote(tables, fares, outcome.transfers, version=2)


def _leg_choice(tables: FareTables, leg: Leg, index: int, rider: Rider) -> Choice[LegRule]:
    facts = leg_facts(tables, leg, index)
    rules = matching_rules(tables, facts)
    if not rules:
        raise FareError(
            "no_fare",
            f"leg {index}: no fare_leg_rules row matches route {leg.route_id}"
            f" from stop {leg.from_stop_id} (areas {_listed(facts.values['from_area_id'])})"
            f" to stop {leg.to_stop_id} (areas {_listed(facts.values['to_area_id'])})",
        )
    choice = cheapest(tables, [(rule, rule.fare_product_id) for rule in rules], rider)
    if choice is None:
        products = ", ".join(sorted({rule.fare_product_id for rule in rules}))
        raise FareError(
            "no_fare",
            f"leg {index}: matching products ({products}) have no price for rider category"
            f" {rider.rider_category_id or '(none)'}"
            f" and fare media {rider.fare_media_id or '(any)'}",
        )
    return choice


def _listed(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "none"


def _leg_fare(
    tables: FareTables, index: int, choice: Choice[LegRule], rider: Rider, covered: str | None
) -> LegFare:
    product = choice.product
    explanation = (
        f"{describe_rule(tables, choice.source)}; {describe_product(tables, choice, rider)}"
    )
    amount = product.price
    if covered is not None:
        explanation += f"; {covered}"
        amount = Money.zero(product.price.currency)
    return LegFare(
        leg_index=index,
        fare_product_id=product.fare_product_id,
        fare_product_name=product.name,
        product_price=product.price,
        amount=amount,
        leg_group_id=choice.source.leg_group_id or None,
        fare_id=None,
        explanation=explanation,
    )


def _price_v1(tables: FareTables, journey: Journey) -> Quote:
    fares: list[LegFare] = []
    transfers: list[AppliedTransfer] = []
    for ticket in plan_tickets(tables, journey.legs):
        ticket_legs, ticket_steps = ticket_fares(tables, ticket, journey.legs)
        fares += ticket_legs
        transfers += ticket_steps
    return _quote(tables, fares, transfers, version=1)


def _quote(
    tables: FareTables,
    fares: Sequence[LegFare],
    transfers: Sequence[AppliedTransfer],
    version: int,
) -> Quote:
    parts = [fare.amount for fare in fares] + [step.amount for step in transfers]
    total = parts[0]
    try:
        for part in parts[1:]:
            total += part
    except MoneyError as error:
        raise FareError(
            "mixed_currencies", f"the journey's fares mix currencies: {error.message}"
        ) from None
    return Quote(
        legs=tuple(fares),
        transfers=tuple(transfers),
        total=total,
        fares_version=version,
        total_text=total.format(tables.exponent(total.currency)),
    )
