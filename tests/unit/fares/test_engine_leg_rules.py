"""Fares v2 leg matching: networks, empty-field exclusion, priority, timeframes, products."""

from __future__ import annotations

import pytest

from fares.engine import FareError, price_journey
from fares.money import Money
from tests.unit.fares.fare_feeds import feed, journey, leg

PRODUCTS = """
    fare_product_id,fare_product_name,amount,currency
    bus,Bus ride,2.00,EUR
    rail,Rail ride,3.00,EUR
    other,Any other network,1.00,EUR
    peak,Peak ride,4.00,EUR
    zone,Zone ride,5.00,EUR
"""
ROUTES = """
    route_id,network_id
    b1,bus_net
    r1,rail_net
    f1,ferry_net
"""


def test_network_rule_beats_empty_network_rule() -> None:
    tables = feed(
        routes=ROUTES,
        fare_products=PRODUCTS,
        fare_leg_rules="""
            leg_group_id,network_id,fare_product_id
            g_bus,bus_net,bus
            g_any,,other
        """,
    )

    bus = price_journey(tables, journey(leg("b1", "s", "t")))
    ferry = price_journey(tables, journey(leg("f1", "s", "t")))

    assert bus.total == Money(200, "EUR")
    assert bus.legs[0].leg_group_id == "g_bus"
    assert ferry.total == Money(100, "EUR")
    assert "network (any)" in ferry.legs[0].explanation


def test_route_networks_file_assigns_networks() -> None:
    tables = feed(
        routes="route_id\nb1\nr1",
        route_networks="""
            network_id,route_id
            rail_net,r1
        """,
        networks="network_id,network_name\nrail_net,Rail",
        fare_products=PRODUCTS,
        fare_leg_rules="""
            leg_group_id,network_id,fare_product_id
            g_rail,rail_net,rail
        """,
    )

    assert price_journey(tables, journey(leg("r1", "s", "t"))).total == Money(300, "EUR")
    assert (
        "network rail_net Rail"
        in price_journey(tables, journey(leg("r1", "s", "t"))).legs[0].explanation
    )
    with pytest.raises(FareError) as raised:
        price_journey(tables, journey(leg("b1", "s", "t")))
    assert raised.value.code == "no_fare"


AREAS = {
    "stop_areas": """
        area_id,stop_id
        north,n1
        south,s1
        centre,station
    """,
    "stops": """
        stop_id,parent_station
        n1,
        s1,
        station,
        platform,station
        lonely,
    """,
    "areas": "area_id,area_name\nnorth,North\nsouth,South\ncentre,Centre",
}


def test_empty_area_rows_are_excluded_when_a_row_names_the_area() -> None:
    tables = feed(
        **AREAS,
        fare_products=PRODUCTS,
        fare_leg_rules="""
            leg_group_id,from_area_id,to_area_id,fare_product_id
            north_south,north,south,zone
            from_north,north,,bus
            anywhere,,,other
        """,
    )

    north_south = price_journey(tables, journey(leg("x", "n1", "s1")))
    north_elsewhere = price_journey(tables, journey(leg("x", "n1", "lonely")))
    elsewhere = price_journey(tables, journey(leg("x", "lonely", "lonely")))

    assert north_south.legs[0].leg_group_id == "north_south"
    assert north_elsewhere.legs[0].leg_group_id == "from_north"
    assert elsewhere.legs[0].leg_group_id == "anywhere"


def test_platform_takes_the_areas_of_its_station() -> None:
    tables = feed(
        **AREAS,
        fare_products=PRODUCTS,
        fare_leg_rules="""
            leg_group_id,from_area_id,to_area_id,fare_product_id
            centre_trip,centre,,rail
        """,
    )

    quote = price_journey(tables, journey(leg("x", "platform", "s1")))

    assert quote.total == Money(300, "EUR")


def test_highest_rule_priority_wins_and_empty_fields_are_wildcards() -> None:
    tables = feed(
        **AREAS,
        fare_products=PRODUCTS,
        fare_leg_rules="""
            leg_group_id,from_area_id,to_area_id,fare_product_id,rule_priority
            specific,north,south,zone,1
            general,,,other,
            urgent,,south,peak,2
        """,
    )

    to_south = price_journey(tables, journey(leg("x", "n1", "s1")))
    elsewhere = price_journey(tables, journey(leg("x", "n1", "lonely")))

    assert to_south.legs[0].leg_group_id == "urgent"
    assert "rule_priority 2" in to_south.legs[0].explanation
    # With rule_priority the empty from/to fields of "general" match any area.
    assert elsewhere.legs[0].leg_group_id == "general"


TIMEFRAMES = """
    timeframe_group_id,start_time,end_time,service_id
    peak,07:00:00,09:00:00,weekday
    evening,18:00:00,,weekday
"""


def test_leg_departing_in_timeframe_pays_peak_fare() -> None:
    tables = feed(
        fare_products=PRODUCTS,
        timeframes=TIMEFRAMES,
        fare_leg_rules="""
            leg_group_id,from_timeframe_group_id,fare_product_id
            peak_ride,peak,peak
            ride,,bus
        """,
    )

    peak = price_journey(tables, journey(leg("x", "s", "t", "07:00")))
    end_excluded = price_journey(tables, journey(leg("x", "s", "t", "09:00")))
    weekend = price_journey(
        tables, journey(leg("x", "s", "t", "08:00", services=frozenset({"sunday"})))
    )

    assert peak.total == Money(400, "EUR")
    assert end_excluded.total == Money(200, "EUR")
    assert weekend.total == Money(200, "EUR")


def test_to_timeframe_matches_the_arrival_time() -> None:
    tables = feed(
        fare_products=PRODUCTS,
        timeframes=TIMEFRAMES,
        fare_leg_rules="""
            leg_group_id,to_timeframe_group_id,fare_product_id
            late_arrival,evening,peak
            ride,,bus
        """,
    )

    arrives_in_evening = price_journey(tables, journey(leg("x", "s", "t", "17:50", minutes=20)))
    arrives_before = price_journey(tables, journey(leg("x", "s", "t", "17:30", minutes=20)))

    assert arrives_in_evening.legs[0].leg_group_id == "late_arrival"
    assert arrives_before.legs[0].leg_group_id == "ride"


MEDIA_PRODUCTS = {
    "fare_media": """
        fare_media_id,fare_media_name,fare_media_type
        paper,Paper ticket,1
        card,Transit card,2
    """,
    "rider_categories": """
        rider_category_id,rider_category_name,is_default_fare_category
        adult,Adult,1
        child,Child,0
    """,
    "fare_products": """
        fare_product_id,fare_product_name,amount,currency,fare_media_id,rider_category_id
        ride,Ride,3.00,EUR,paper,adult
        ride,Ride,2.50,EUR,card,adult
        ride,Ride,1.00,EUR,card,child
        flat,Flat ride,2.00,EUR,,
    """,
    "fare_leg_rules": """
        leg_group_id,network_id,fare_product_id
        g,bus_net,ride
        f,ferry_net,flat
    """,
    "routes": ROUTES,
}


def test_takes_cheapest_media_when_none_given_and_says_so() -> None:
    quote = price_journey(feed(**MEDIA_PRODUCTS), journey(leg("b1", "s", "t")))

    assert quote.total == Money(250, "EUR")
    assert "cheapest of 2 eligible options" in quote.legs[0].explanation


def test_prices_the_requested_media() -> None:
    quote = price_journey(feed(**MEDIA_PRODUCTS), journey(leg("b1", "s", "t"), media="paper"))

    assert quote.total == Money(300, "EUR")


def test_rider_category_selects_its_product_row() -> None:
    quote = price_journey(feed(**MEDIA_PRODUCTS), journey(leg("b1", "s", "t"), category="child"))

    assert quote.total == Money(100, "EUR")


def test_product_without_rider_category_applies_to_every_category() -> None:
    tables = feed(**MEDIA_PRODUCTS)

    adult = price_journey(tables, journey(leg("f1", "s", "t"), category="adult"))
    child = price_journey(tables, journey(leg("f1", "s", "t"), category="child", media="card"))

    assert adult.total == child.total == Money(200, "EUR")
    assert "for every rider category" in child.legs[0].explanation


def test_unknown_fare_media_is_reported() -> None:
    with pytest.raises(FareError) as raised:
        price_journey(feed(**MEDIA_PRODUCTS), journey(leg("b1", "s", "t"), media="phone"))

    assert raised.value.code == "unknown_fare_media"


def test_naive_times_are_rejected() -> None:
    tables = feed(**MEDIA_PRODUCTS)
    aware = leg("b1", "s", "t")
    naive = type(aware)("b1", "s", "t", aware.departure.replace(tzinfo=None), aware.arrival)

    with pytest.raises(FareError) as raised:
        price_journey(tables, journey(naive))

    assert raised.value.code == "naive_time"


def test_legs_in_different_currencies_cannot_be_totalled() -> None:
    tables = feed(
        routes=ROUTES,
        fare_products="""
            fare_product_id,amount,currency
            euro,2.00,EUR
            zloty,8.00,PLN
        """,
        fare_leg_rules="""
            network_id,fare_product_id
            bus_net,euro
            rail_net,zloty
        """,
    )

    with pytest.raises(FareError) as raised:
        price_journey(tables, journey(leg("b1", "s", "t"), leg("r1", "t", "u", "09:00")))

    assert raised.value.code == "mixed_currencies"
