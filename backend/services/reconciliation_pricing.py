"""Join one medium's placed rides into journeys and price them with the fare engine.

Pure: fare tables and rides in, priced journeys out. Rides are taken in time order; a ride
joins the journey before it when the fare engine (``fares.engine.price_journey``) applies a
transfer into it when pricing the journey with it added (Fares v2 fare_transfer_rules, or a
Fares v1 fare whose transfers cover it), so journeys are exactly what the feed's transfer
rules make of the rides. A ride whose end is unknown (an entry with no exit, a boarding with
no trip instance) is an incomplete journey of its own, charged the maximum fare; a ride the
timetable cannot place, or a journey the fares cannot price, is charged the maximum fare too,
with the reason in its explanation. Caps come afterwards (``reconciliation_charges``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from backend.services.reconciliation_rides import Ride, RideKind, TapFact
from fares.engine import FareError, price_journey
from fares.fare_tables import FareTables
from fares.journey import Journey, Leg, Quote
from fares.money import Money


@dataclass(frozen=True, slots=True)
class PlacedRide:
    """A ride with the fare engine's leg for it, or why it has none."""

    ride: Ride
    leg: Leg | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class RiderChoice:
    """Who account media are priced for: the feed's default category, the configured media."""

    rider_category_id: str | None
    fare_media_id: str | None


@dataclass(frozen=True, slots=True)
class LegCharge:
    """A ride of a journey and what the engine made of it (None: the maximum fare)."""

    placed: PlacedRide
    fare_product_id: str | None
    amount: Money | None
    explanation: str


@dataclass(frozen=True, slots=True)
class PricedJourney:
    """A journey's rides, whether it is complete, its fare before caps and why."""

    legs: tuple[LegCharge, ...]
    complete: bool
    fare: Money
    explanation: str

    @property
    def first(self) -> TapFact:
        """The tap that started the journey."""
        return self.legs[0].placed.ride.entry

    @property
    def ended_at(self) -> datetime | None:
        """When the last ride ended, where known: a gate exit, or a bus ride's arrival."""
        last = self.legs[-1].placed
        if last.ride.exit is not None:
            return last.ride.exit.at
        return None if last.leg is None else last.leg.arrival

    @property
    def taps(self) -> tuple[TapFact, ...]:
        """Every tap the journey takes."""
        return tuple(tap for leg in self.legs for tap in leg.placed.ride.taps)


def price_rides(
    tables: FareTables, rides: Sequence[PlacedRide], rider: RiderChoice, max_fare: Money
) -> list[PricedJourney]:
    """The journeys of one medium's rides (time order), priced."""
    journeys: list[PricedJourney] = []
    chain: list[PlacedRide] = []
    quote: Quote | None = None
    for placed in rides:
        if placed.leg is None:
            journeys += _close(tables, chain, quote, rider, max_fare)
            chain, quote = [], None
            journeys.append(_at_max_fare([placed], max_fare, _unplaced_reason(placed)))
            continue
        joined = _joined_quote(tables, chain, placed, rider) if chain else None
        if joined is None:
            journeys += _close(tables, chain, quote, rider, max_fare)
            chain, quote = [placed], None
        else:
            chain.append(placed)
            quote = joined
    journeys += _close(tables, chain, quote, rider, max_fare)
    return journeys


def _journey(rides: Sequence[PlacedRide], rider: RiderChoice) -> Journey:
    legs = tuple(placed.leg for placed in rides if placed.leg is not None)
    return Journey(legs, rider.rider_category_id, rider.fare_media_id)


def _joined_quote(
    tables: FareTables, chain: Sequence[PlacedRide], placed: PlacedRide, rider: RiderChoice
) -> Quote | None:
    """The quote of ``chain`` + ``placed`` when a transfer carries into ``placed``."""
    try:
        quote = price_journey(tables, _journey([*chain, placed], rider))
    except FareError:
        return None
    if any(step.to_leg == len(chain) for step in quote.transfers):
        return quote
    return None


def _close(
    tables: FareTables,
    chain: Sequence[PlacedRide],
    quote: Quote | None,
    rider: RiderChoice,
    max_fare: Money,
) -> list[PricedJourney]:
    if not chain:
        return []
    if quote is None:
        try:
            quote = price_journey(tables, _journey(chain, rider))
        except FareError as error:
            reason = f"the fares do not price it ({error.code}: {error.message})"
            return [_at_max_fare(chain, max_fare, reason)]
    legs = tuple(
        LegCharge(placed, fare.fare_product_id, fare.amount, fare.explanation)
        for placed, fare in zip(chain, quote.legs, strict=True)
    )
    return [PricedJourney(legs, True, quote.total, quote.explanation())]


def _unplaced_reason(placed: PlacedRide) -> str:
    ride = placed.ride
    if ride.kind is RideKind.GATE and ride.exit is None:
        return f"incomplete: entry at {ride.entry.stop_id} with no exit within the longest journey"
    if ride.kind is RideKind.BUS and ride.entry.trip_instance is None:
        return "incomplete: the bus validator knew no trip instance"
    return f"the timetable cannot place the ride ({placed.problem})"


def _at_max_fare(rides: Sequence[PlacedRide], max_fare: Money, reason: str) -> PricedJourney:
    legs = tuple(LegCharge(placed, None, None, reason) for placed in rides)
    complete = all(placed.ride.complete for placed in rides)
    return PricedJourney(legs, complete, max_fare, f"{reason}; charged the maximum fare")
