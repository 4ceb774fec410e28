"""Fares v2 transfers: transfer types, transfer products, transfer_count, duration limits."""

from __future__ import annotations

import pytest

from fares.engine import price_journey
from fares.fare_tables import FareTables
from fares.journey import Journey
from fares.money import Money
from tests.unit.fares.fare_feeds import feed, journey, leg

ROUTES = """
    route_id,network_id
    bus,bus_net
    rail,rail_net
"""
PRODUCTS = """
    fare_product_id,fare_product_name,amount,currency
    bus_ride,Bus ride,2.00,EUR
    rail_ride,Rail ride,3.00,EUR
    upgrade,Transfer upgrade,0.50,EUR
"""
LEG_RULES = """
    leg_group_id,network_id,fare_product_id
    A,bus_net,bus_ride
    B,rail_net,rail_ride
"""
TRANSFER_HEADER = (
    "from_leg_group_id,to_leg_group_id,transfer_count,duration_limit,duration_limit_type,"
    "fare_transfer_type,fare_product_id\n"
)


def tables_with(transfer_rows: str) -> FareTables:
    return feed(
        routes=ROUTES,
        fare_products=PRODUCTS,
        fare_leg_rules=LEG_RULES,
        fare_transfer_rules=TRANSFER_HEADER + transfer_rows,
    )


def bus_then_rail(rail_departs: str = "08:30") -> Journey:
    return journey(leg("bus", "s", "t", "08:00"), leg("rail", "t", "u", rail_departs))


@pytest.mark.parametrize(
    ("transfer_type", "total"),
    [(0, 250), (1, 550), (2, 50)],
    ids=["A+AB", "A+AB+B", "AB"],
)
def test_transfer_type_decides_which_leg_fares_are_paid(transfer_type: int, total: int) -> None:
    tables = tables_with(f"A,B,,,,{transfer_type},upgrade")

    quote = price_journey(tables, bus_then_rail())

    assert quote.total == Money(total, "EUR")
    assert quote.total.amount == sum(f.amount.amount for f in quote.legs) + 50
    assert quote.transfers[0].fare_product_id == "upgrade"
    assert f"type {transfer_type}" in quote.transfers[0].explanation


def test_transfer_without_product_is_free() -> None:
    quote = price_journey(tables_with("A,B,,,,0,"), bus_then_rail())

    assert quote.total == Money(200, "EUR")
    assert quote.legs[1].amount == Money(0, "EUR")
    assert "covered by fare_transfer_rules row 1" in quote.legs[1].explanation


def test_charges_transfer_product_within_duration_limit() -> None:
    tables = tables_with("A,B,,3600,1,0,upgrade")

    within = price_journey(tables, bus_then_rail("08:59"))
    too_late = price_journey(tables, bus_then_rail("09:01"))

    assert within.total == Money(250, "EUR")
    assert too_late.total == Money(500, "EUR")
    assert too_late.transfers == ()


@pytest.mark.parametrize(
    ("limit_type", "limit", "applies"),
    [
        (0, 3000, False),  # 08:00 departure -> 09:10 arrival = 70 min
        (1, 3000, True),  # 08:00 departure -> 08:50 departure = 50 min
        (2, 1800, True),  # 08:20 arrival -> 08:50 departure = 30 min
        (3, 1800, False),  # 08:20 arrival -> 09:10 arrival = 50 min
        (3, 3000, True),
    ],
)
def test_duration_limit_type_picks_the_measured_events(
    limit_type: int, limit: int, applies: bool
) -> None:
    tables = tables_with(f"A,B,,{limit},{limit_type},0,")

    quote = price_journey(
        tables,
        journey(
            leg("bus", "s", "t", "08:00", minutes=20), leg("rail", "t", "u", "08:50", minutes=20)
        ),
    )

    assert bool(quote.transfers) is applies


def three_buses() -> Journey:
    return journey(
        leg("bus", "s", "t", "08:00"), leg("bus", "t", "u", "08:30"), leg("bus", "u", "v", "09:00")
    )


def test_transfer_count_limits_consecutive_transfers() -> None:
    quote = price_journey(tables_with("A,A,1,,,0,"), three_buses())

    assert quote.total == Money(400, "EUR")
    assert [step.to_leg for step in quote.transfers] == [1]


def test_unlimited_transfer_count() -> None:
    quote = price_journey(tables_with("A,A,-1,,,0,"), three_buses())

    assert quote.total == Money(200, "EUR")
    assert len(quote.transfers) == 2


def test_selects_smallest_transfer_count_covering_the_transfer_number() -> None:
    tables = tables_with("A,A,1,,,0,\nA,A,2,,,0,upgrade")

    quote = price_journey(tables, three_buses())

    assert quote.total == Money(250, "EUR")
    assert [step.amount.amount for step in quote.transfers] == [0, 50]


def test_duration_limit_counts_from_first_leg_of_sub_journey() -> None:
    tables = tables_with("A,A,-1,3600,1,0,")

    quote = price_journey(
        tables,
        journey(
            leg("bus", "s", "t", "08:00"),
            leg("bus", "t", "u", "08:40"),
            leg("bus", "u", "v", "09:20"),
        ),
    )

    # 09:20 is 80 minutes after the 08:00 validation: the third bus needs a new ticket.
    assert quote.total == Money(400, "EUR")
    assert "from the departure of leg 0" in quote.transfers[0].explanation


def test_empty_from_leg_group_matches_groups_not_named() -> None:
    tables = tables_with(",B,,,,0,\nB,B,-1,,,1,upgrade")

    quote = price_journey(tables, bus_then_rail())

    # A is not named as a from_leg_group_id, so the empty row applies to it.
    assert quote.total == Money(200, "EUR")
    assert quote.transfers[0].rule == "fare_transfer_rules row 1"


def test_named_from_group_excludes_empty_row() -> None:
    tables = tables_with(",B,,,,0,\nA,B,,,,1,upgrade")

    quote = price_journey(tables, bus_then_rail())

    assert quote.total == Money(550, "EUR")
    assert quote.transfers[0].rule == "fare_transfer_rules row 2"


def test_chooses_the_transfer_rule_that_costs_least() -> None:
    tables = tables_with("A,B,,,,1,upgrade\nA,B,,,,0,upgrade")

    quote = price_journey(tables, bus_then_rail())

    assert quote.total == Money(250, "EUR")
