"""The engine on the real Zakroczym feed (Fares v2), against prices worked out by hand.

fare_leg_rules.txt maps (from area, to area) to a product: 1->2 single_ride_zones12_normal
(4.00 PLN), 1->3 single_ride_zones13_normal (5.00 PLN), 1->1 single_ride_zone1_normal
(0.00 PLN); all single-ride products are priced for rider category 0 only, on fare media 0.
Stops (stop_areas.txt): 100 Czarna and 105 Błogosławie-Staw are in area 1 Zakroczym,
117 Modlin Chrzanowskiego 01 in area 2 Modlin-Twierdza, 120 Nowy Dwór Mazowiecki
Warszawska-HIT in area 3 Nowy Dwór Mazowiecki.
"""

from __future__ import annotations

import pytest

from fares.engine import FareError, price_journey
from fares.fare_tables import FareTables
from fares.money import Money
from tests.unit.fares.fare_feeds import journey, leg, zakroczym_tables

CZARNA, BLOGOSLAWIE, MODLIN, NDM_HIT = "100", "105", "117", "120"


@pytest.fixture(scope="module")
def tables() -> FareTables:
    return zakroczym_tables()


def test_zakroczym_feed_uses_fares_v2(tables: FareTables) -> None:
    assert tables.has_v2
    assert tables.default_rider_category == "0"


def test_charges_four_zloty_from_zakroczym_to_modlin(tables: FareTables) -> None:
    quote = price_journey(tables, journey(leg("Z1", CZARNA, MODLIN), category="0"))

    assert quote.total == Money(400, "PLN")
    assert quote.total_text == "4.00 PLN"
    fare = quote.legs[0]
    assert fare.fare_product_id == "single_ride_zones12_normal"
    assert fare.leg_group_id == "flr_12"
    assert "from area 1 Zakroczym" in fare.explanation
    assert "to area 2 Modlin-Twierdza" in fare.explanation
    assert "rider category 0 Bilet normalny" in fare.explanation


def test_charges_five_zloty_from_zakroczym_to_nowy_dwor(tables: FareTables) -> None:
    quote = price_journey(tables, journey(leg("Z1", CZARNA, NDM_HIT), category="0"))

    assert quote.total == Money(500, "PLN")
    assert quote.legs[0].fare_product_id == "single_ride_zones13_normal"


def test_ride_within_zakroczym_is_free(tables: FareTables) -> None:
    quote = price_journey(tables, journey(leg("Z1", CZARNA, BLOGOSLAWIE), category="0"))

    assert quote.total == Money(0, "PLN")
    assert quote.legs[0].leg_group_id == "flr_1"


def test_reverse_direction_uses_its_own_rule(tables: FareTables) -> None:
    quote = price_journey(tables, journey(leg("Z1", NDM_HIT, MODLIN), category="0"))

    assert quote.total == Money(400, "PLN")
    assert quote.legs[0].leg_group_id == "flr_32"


def test_uses_default_rider_category_when_none_given(tables: FareTables) -> None:
    quote = price_journey(tables, journey(leg("Z1", CZARNA, MODLIN)))

    assert quote.total == Money(400, "PLN")
    assert "default category" in quote.legs[0].explanation


def test_category_without_single_ride_product_has_no_fare(tables: FareTables) -> None:
    with pytest.raises(FareError) as raised:
        price_journey(tables, journey(leg("Z1", CZARNA, MODLIN), category="2"))

    assert raised.value.code == "no_fare"


def test_unknown_rider_category_is_reported(tables: FareTables) -> None:
    with pytest.raises(FareError) as raised:
        price_journey(tables, journey(leg("Z1", CZARNA, MODLIN), category="9"))

    assert raised.value.code == "unknown_rider_category"


def test_monthly_pass_media_has_no_single_ride(tables: FareTables) -> None:
    with pytest.raises(FareError) as raised:
        price_journey(tables, journey(leg("Z1", CZARNA, MODLIN), category="0", media="1"))

    assert raised.value.code == "no_fare"


def test_unknown_stop_and_route_are_reported(tables: FareTables) -> None:
    with pytest.raises(FareError) as stop:
        price_journey(tables, journey(leg("Z1", "nowhere", MODLIN)))
    with pytest.raises(FareError) as route:
        price_journey(tables, journey(leg("Z9", CZARNA, MODLIN)))

    assert stop.value.code == "unknown_stop"
    assert route.value.code == "unknown_route"


def test_two_legs_without_transfer_rules_pay_both(tables: FareTables) -> None:
    quote = price_journey(
        tables,
        journey(leg("Z1", CZARNA, MODLIN, "08:00"), leg("Z2", MODLIN, NDM_HIT, "08:30")),
    )

    assert quote.total == Money(800, "PLN")
    assert quote.transfers == ()
    assert quote.explanation().endswith("total: 8.00 PLN")


def test_empty_journey_is_an_error(tables: FareTables) -> None:
    with pytest.raises(FareError) as raised:
        price_journey(tables, journey())

    assert raised.value.code == "empty_journey"
