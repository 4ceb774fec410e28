"""Fares v1 pricing (fare_attributes + fare_rules), used when fare_leg_rules is empty.

A fare's fare_rules rows are combined per fare_id: every leg's route must be among its
route_ids (if any), the zones of the first boarding and last alighting stops must match one
origin_id/destination_id row (if any, empty = any zone), and the zones of all boarding and
alighting stops must equal its contains_id set (if any). A fare_attributes row with no
fare_rules row applies to every route; a route no fare covers has no fare.

One fare can cover consecutive legs: up to ``transfers`` transfers (empty = unlimited),
each later leg departing within ``transfer_duration`` seconds of the first departure.
The journey is split into tickets so that the total is as low as possible. Fares v1 has
one price per fare, so the rider category and fare media do not change it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fares.fare_model import FareAttribute, FareError
from fares.fare_tables import FareTables
from fares.journey import AppliedTransfer, Leg, LegFare
from fares.money import Money


@dataclass(frozen=True, slots=True)
class Ticket:
    """One v1 fare bought at leg ``start`` and covering legs ``start`` to ``end - 1``."""

    start: int
    end: int
    fare: FareAttribute


def _zones(tables: FareTables, leg: Leg, index: int) -> tuple[str, str]:
    if tables.route_ids and leg.route_id not in tables.route_ids:
        raise FareError("unknown_route", f"leg {index}: route {leg.route_id!r} is not in the feed")
    for stop_id in (leg.from_stop_id, leg.to_stop_id):
        if tables.stop_ids and stop_id not in tables.stop_ids:
            raise FareError("unknown_stop", f"leg {index}: stop {stop_id!r} is not in the feed")
    return tables.stop_zones.get(leg.from_stop_id, ""), tables.stop_zones.get(leg.to_stop_id, "")


def _fits(fare: FareAttribute, legs: Sequence[Leg]) -> bool:
    if fare.transfers is not None and len(legs) - 1 > fare.transfers:
        return False
    if fare.transfer_duration is None:
        return True
    elapsed = (legs[-1].departure - legs[0].departure).total_seconds()
    return elapsed <= fare.transfer_duration


def cheapest_fare(
    tables: FareTables, legs: Sequence[Leg], zones: Sequence[tuple[str, str]]
) -> FareAttribute | None:
    """The cheapest fare that covers all of ``legs`` as one ticket, if any."""
    routes = frozenset(leg.route_id for leg in legs)
    visited = frozenset(zone for pair in zones for zone in pair if zone)
    start, end = zones[0][0], zones[-1][1]
    matching = [
        fare
        for fare in tables.fare_attributes.values()
        if _fits(fare, legs)
        and (
            (rules := tables.fare_rule_sets.get(fare.fare_id)) is None
            or rules.matches(routes, start, end, visited)
        )
    ]
    return min(matching, key=lambda fare: fare.price.amount, default=None)


def plan_tickets(tables: FareTables, legs: Sequence[Leg]) -> list[Ticket]:
    """Split the legs into tickets with the lowest total (dynamic programming over cuts)."""
    if not tables.fare_attributes:
        raise FareError("no_fare", "the feed has neither fare_leg_rules nor fare_attributes")
    zones = [_zones(tables, leg, index) for index, leg in enumerate(legs)]
    best: list[tuple[int, Ticket | None] | None] = [(0, None)] + [None] * len(legs)
    for end in range(1, len(legs) + 1):
        for start in range(end):
            reached = best[start]
            fare = (
                None
                if reached is None
                else cheapest_fare(tables, legs[start:end], zones[start:end])
            )
            if reached is None or fare is None:
                continue
            cost = reached[0] + fare.price.amount
            current = best[end]
            # On ties the later cut wins: earlier tickets are used as far as they reach.
            if current is None or cost <= current[0]:
                best[end] = (cost, Ticket(start, end, fare))
    return _walk_back(best, legs, zones)


def _walk_back(
    best: Sequence[tuple[int, Ticket | None] | None],
    legs: Sequence[Leg],
    zones: Sequence[tuple[str, str]],
) -> list[Ticket]:
    if best[-1] is None:
        stuck = next(index for index in range(len(legs)) if best[index + 1] is None)
        leg = legs[stuck]
        raise FareError(
            "no_fare",
            f"leg {stuck}: no fare_attributes/fare_rules fare covers route {leg.route_id!r}"
            f" from zone {zones[stuck][0] or '(none)'} to zone {zones[stuck][1] or '(none)'}",
        )
    tickets: list[Ticket] = []
    position = len(legs)
    while position > 0:
        entry = best[position]
        ticket = None if entry is None else entry[1]
        if ticket is None:  # every cut on the cheapest path was reached by a ticket
            raise FareError("no_fare", "internal: broken ticket plan")
        tickets.append(ticket)
        position = ticket.start
    return tickets[::-1]


def ticket_fares(
    tables: FareTables, ticket: Ticket, legs: Sequence[Leg]
) -> tuple[list[LegFare], list[AppliedTransfer]]:
    """The per-leg fares and the rides-on-the-same-fare transfers of one ticket."""
    fare = ticket.fare
    price_text = fare.price.format(tables.exponent(fare.price.currency))
    allowed = "unlimited" if fare.transfers is None else str(fare.transfers)
    within = "" if fare.transfer_duration is None else f", within {fare.transfer_duration} s"
    first = LegFare(
        leg_index=ticket.start,
        fare_product_id=fare.fare_id,
        fare_product_name=fare.fare_id,
        product_price=fare.price,
        amount=fare.price,
        leg_group_id=None,
        fare_id=fare.fare_id,
        explanation=(
            f"fare_attributes fare {fare.fare_id} ({price_text}) matches its fare_rules for"
            f" route {legs[ticket.start].route_id}; cheapest fare for legs {ticket.start}"
            f"-{ticket.end - 1} (transfers allowed: {allowed}{within})"
        ),
    )
    fares, steps = [first], []
    for index in range(ticket.start + 1, ticket.end):
        elapsed = int((legs[index].departure - legs[ticket.start].departure).total_seconds())
        note = (
            f"rides on fare {fare.fare_id} bought on leg {ticket.start}: transfer"
            f" {index - ticket.start} of {allowed} allowed, departing {elapsed} s after it{within}"
        )
        zero = Money.zero(fare.price.currency)
        fares.append(
            LegFare(index, fare.fare_id, fare.fare_id, fare.price, zero, None, fare.fare_id, note)
        )
        steps.append(
            AppliedTransfer(
                index - 1, index, f"fare_attributes {fare.fare_id}", None, None, zero, note
            )
        )
    return fares, steps
