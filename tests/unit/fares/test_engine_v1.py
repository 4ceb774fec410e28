"""Fares v1 pricing: sample-feed-1 worked by hand, and small feeds for zones and transfers.

sample-feed-1: fare p costs 1.25 USD on routes AB, STBA and BFC; fare a costs 5.25 USD on
route AAMV; neither allows a transfer (transfers=0).
"""

from __future__ import annotations

import pytest

from fares.engine import FareError, price_journey
from fares.money import Money
from tests.unit.fares.fare_feeds import feed, journey, leg, sample_feed_1_tables

SAMPLE = sample_feed_1_tables()


def test_sample_feed_uses_fares_v1() -> None:
    assert not SAMPLE.has_v2


def test_charges_fare_p_on_route_ab() -> None:
    quote = price_journey(SAMPLE, journey(leg("AB", "BEATTY_AIRPORT", "BULLFROG")))

    assert quote.total == Money(125, "USD")
    assert quote.legs[0].fare_id == "p"
    assert quote.fares_version == 1


def test_charges_fare_a_on_route_aamv() -> None:
    quote = price_journey(SAMPLE, journey(leg("AAMV", "BEATTY_AIRPORT", "AMV")))

    assert quote.total == Money(525, "USD")
    assert quote.total_text == "5.25 USD"


def test_no_transfer_fare_charges_each_leg() -> None:
    quote = price_journey(
        SAMPLE,
        journey(
            leg("AB", "BEATTY_AIRPORT", "BULLFROG", "08:00"),
            leg("BFC", "BULLFROG", "FUR_CREEK_RES", "08:30"),
        ),
    )

    assert quote.total == Money(250, "USD")
    assert [fare.amount for fare in quote.legs] == [Money(125, "USD")] * 2


def test_route_without_fare_rules_has_no_fare() -> None:
    with pytest.raises(FareError) as raised:
        price_journey(SAMPLE, journey(leg("CITY", "NADAV", "EMSI")))

    assert raised.value.code == "no_fare"


ZONED = {
    "stops": """
        stop_id,zone_id
        a1,A
        a2,A
        b1,B
        c1,C
    """,
    "routes": """
        route_id
        r1
        r2
    """,
    "fare_attributes": """
        fare_id,price,currency_type,payment_method,transfers,transfer_duration
        local,2.00,EUR,0,,
        a_to_b,3.00,EUR,0,,
        through_b,4.50,EUR,0,1,3600
        cheap_but_unused,0.50,EUR,0,,
    """,
    "fare_rules": """
        fare_id,route_id,origin_id,destination_id,contains_id
        local,,A,A,
        a_to_b,,A,B,
        through_b,,,,A
        through_b,,,,B
        through_b,,,,C
        cheap_but_unused,r9,,,
    """,
}


def test_origin_and_destination_zones_select_the_fare() -> None:
    tables = feed(**ZONED)

    inside = price_journey(tables, journey(leg("r1", "a1", "a2")))
    across = price_journey(tables, journey(leg("r1", "a1", "b1")))

    assert inside.total == Money(200, "EUR")
    assert across.total == Money(300, "EUR")


def test_contains_requires_exactly_the_zones_travelled() -> None:
    tables = feed(**ZONED)

    through = price_journey(
        tables,
        journey(leg("r1", "a1", "b1", "08:00"), leg("r2", "b1", "c1", "08:30")),
    )

    # A->B then B->C touches zones {A, B, C}: one through_b ticket beats 3.00 + nothing
    # (no fare goes B->C on its own), so the journey rides on through_b.
    assert through.total == Money(450, "EUR")
    assert through.legs[1].amount == Money(0, "EUR")
    assert through.transfers[0].rule == "fare_attributes through_b"


def test_later_leg_outside_transfer_duration_needs_a_new_fare() -> None:
    tables = feed(**ZONED)

    with pytest.raises(FareError) as raised:
        price_journey(
            tables,
            journey(leg("r1", "a1", "b1", "08:00"), leg("r2", "b1", "c1", "09:30")),
        )

    assert raised.value.code == "no_fare"
    assert "leg 1" in raised.value.message


def test_fare_without_rules_applies_to_every_route() -> None:
    tables = feed(
        routes="route_id\nx\ny",
        fare_attributes="""
            fare_id,price,currency_type,payment_method,transfers,transfer_duration
            flat,1.50,USD,0,2,5400
        """,
    )

    quote = price_journey(
        tables,
        journey(
            leg("x", "s", "t", "08:00"), leg("y", "t", "u", "08:40"), leg("x", "u", "v", "09:20")
        ),
    )

    assert quote.total == Money(150, "USD")
    assert len(quote.transfers) == 2


def test_transfer_limit_starts_a_new_fare() -> None:
    tables = feed(
        fare_attributes="""
            fare_id,price,currency_type,payment_method,transfers,transfer_duration
            flat,1.50,USD,0,1,
        """,
    )

    quote = price_journey(
        tables,
        journey(
            leg("x", "s", "t", "08:00"), leg("y", "t", "u", "08:40"), leg("x", "u", "v", "09:20")
        ),
    )

    assert quote.total == Money(300, "USD")
    assert [fare.amount.amount for fare in quote.legs] == [150, 0, 150]


def test_feed_without_any_fares_has_no_fare() -> None:
    with pytest.raises(FareError) as raised:
        price_journey(feed(routes="route_id\nx"), journey(leg("x", "s", "t")))

    assert raised.value.code == "no_fare"
