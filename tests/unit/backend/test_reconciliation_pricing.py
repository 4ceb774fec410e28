"""Joining rides into journeys by the fare transfer rules, pricing them, the maximum fare."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from backend.services.reconciliation_day import max_fare, rider_choice
from backend.services.reconciliation_pricing import (
    PlacedRide,
    RiderChoice,
    price_rides,
)
from backend.services.reconciliation_rides import Ride, RideKind, TapFact
from fares.fare_tables import FareTables
from fares.journey import Leg
from fares.money import Money
from fares.rules import DeviceRole
from tests.unit.fares.fare_feeds import at, feed, sample_feed_1_tables

CARD = "c" * 64
IDS = count(1)
RIDER = RiderChoice(None, "contactless")
MAX = Money(1000, "PLN")


def tables() -> FareTables:
    """Rail 3.00 within zone 1, 5.00 to zone 2; bus 2.00; rail then bus within an hour of
    the rail departure: the bus fare is dropped (type 0, no transfer product)."""
    return feed(
        routes="route_id,network_id\nRAIL,rail\nBUS,bus",
        stop_areas="area_id,stop_id\nz1,CEN\nz1,PARK\nz2,AIR",
        rider_categories="rider_category_id,rider_category_name,is_default_fare_category\n"
        "adult,Adult,1\nsenior,Senior,0",
        fare_media="fare_media_id,fare_media_name,fare_media_type\ncontactless,Card,3",
        fare_products="fare_product_id,amount,currency\n"
        "rail_1,3.00,PLN\nrail_2,5.00,PLN\nbus_ride,2.00,PLN\nmonthly,140.00,PLN",
        fare_leg_rules="leg_group_id,network_id,from_area_id,to_area_id,fare_product_id\n"
        "rail,rail,z1,z1,rail_1\nrail,rail,z1,z2,rail_2\nrail,rail,z2,z1,rail_2\n"
        "bus,bus,,,bus_ride",
        fare_transfer_rules="from_leg_group_id,to_leg_group_id,duration_limit,"
        "duration_limit_type,fare_transfer_type\nrail,bus,3600,1,0",
    )


def gate(board: str, alight: str, depart: str, minutes: int) -> PlacedRide:
    entry = TapFact(next(IDS), "in", DeviceRole.GATE_ENTRY, board, at(depart), CARD)
    exit_at = at(depart) + timedelta(minutes=minutes)
    exit_tap = TapFact(next(IDS), "out", DeviceRole.GATE_EXIT, alight, exit_at, CARD)
    leg = Leg("RAIL", board, alight, entry.at, exit_at)
    return PlacedRide(Ride(RideKind.GATE, entry, exit_tap), leg)


def bus(depart: str, trip: str | None = "BUS1@2026-03-02") -> PlacedRide:
    tap = TapFact(next(IDS), "bus-1", DeviceRole.BUS, None, at(depart), CARD, trip)
    leg = Leg("BUS", "B1", "B2", tap.at, tap.at + timedelta(minutes=20)) if trip else None
    return PlacedRide(Ride(RideKind.BUS, tap), leg)


def fares_of(journeys: list) -> list[int]:  # type: ignore[type-arg]
    return [journey.fare.amount for journey in journeys]


def test_a_bus_ride_within_the_transfer_time_joins_the_rail_journey_for_free() -> None:
    rail, connection = gate("CEN", "PARK", "08:00", 15), bus("08:40")

    (journey,) = price_rides(tables(), [rail, connection], RIDER, MAX)

    assert journey.complete
    assert journey.fare == Money(300, "PLN")
    assert [leg.amount for leg in journey.legs] == [Money(300, "PLN"), Money(0, "PLN")]
    assert [leg.fare_product_id for leg in journey.legs] == ["rail_1", "bus_ride"]
    assert "fare_transfer_rules row" in journey.explanation
    assert journey.taps == (*rail.ride.taps, *connection.ride.taps)


def test_a_bus_ride_after_the_transfer_time_is_a_journey_of_its_own() -> None:
    journeys = price_rides(tables(), [gate("CEN", "AIR", "08:00", 25), bus("09:01")], RIDER, MAX)

    assert fares_of(journeys) == [500, 200]


def test_rides_the_rules_do_not_join_stay_apart() -> None:
    journeys = price_rides(
        tables(), [bus("07:00"), gate("CEN", "PARK", "07:30", 10)], RIDER, MAX
    )  # bus then rail: no rule from bus to rail

    assert fares_of(journeys) == [200, 300]


def test_an_incomplete_ride_is_charged_the_maximum_fare_and_breaks_the_chain() -> None:
    rail = gate("CEN", "PARK", "08:00", 15)
    lost = bus("08:20", trip=None)

    first, incomplete, last = price_rides(tables(), [rail, lost, bus("08:40")], RIDER, MAX)

    assert (first.fare.amount, last.fare.amount) == (300, 200)
    assert (incomplete.complete, incomplete.fare) == (False, MAX)
    assert incomplete.explanation.startswith("incomplete: the bus validator knew no trip")
    assert incomplete.legs[0].amount is None


def test_a_ride_the_fares_cannot_price_is_charged_the_maximum_fare_with_the_reason() -> None:
    ride = gate("CEN", "NOWHERE", "08:00", 15)

    (journey,) = price_rides(tables(), [ride], RIDER, MAX)

    assert journey.complete
    assert journey.fare == MAX
    assert "no_fare: leg 0: no fare_leg_rules row matches" in journey.explanation


def test_a_ride_the_timetable_cannot_place_is_charged_the_maximum_fare() -> None:
    ride = bus("08:00")
    unplaced = PlacedRide(ride.ride, None, "trip_not_running: no")

    (journey,) = price_rides(tables(), [unplaced], RIDER, MAX)

    assert (journey.complete, journey.fare) == (True, MAX)
    assert "trip_not_running" in journey.explanation


def test_fares_v1_transfers_join_rides_too() -> None:
    v1 = sample_feed_1_tables()  # fare p (1.25 USD) on AB, STBA, BFC: no transfers allowed
    first = PlacedRide(
        Ride(RideKind.BUS, TapFact(1, "b", DeviceRole.BUS, None, at("08:00"), CARD, "AB1@x")),
        Leg("AB", "BEATTY_AIRPORT", "BULLFROG", at("08:00"), at("08:10")),
    )
    second = PlacedRide(
        Ride(RideKind.BUS, TapFact(2, "b", DeviceRole.BUS, None, at("08:20"), CARD, "BFC1@x")),
        Leg("BFC", "BULLFROG", "FUR_CREEK_RES", at("08:20"), at("09:20")),
    )

    journeys = price_rides(v1, [first, second], RiderChoice(None, None), Money(525, "USD"))

    assert fares_of(journeys) == [125, 125]


def test_the_maximum_fare_is_the_dearest_product_a_leg_rule_sells_or_the_setting() -> None:
    assert max_fare(tables(), 0) == Money(500, "PLN")  # not the monthly pass
    assert max_fare(tables(), 750) == Money(750, "PLN")
    assert max_fare(sample_feed_1_tables(), 0) == Money(525, "USD")
    assert max_fare(feed(), 0) == Money(0, "XXX")


def test_account_media_are_priced_as_the_configured_media_where_the_feed_has_it() -> None:
    assert rider_choice(tables(), "contactless") == RiderChoice(None, "contactless")
    assert rider_choice(tables(), "smartcard") == RiderChoice(None, None)
