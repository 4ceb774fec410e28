"""Money arithmetic and parsing, and building FareTables from raw GTFS rows."""

from __future__ import annotations

import pytest

from fares.fare_model import FareTableError
from fares.fare_tables import FareTables
from fares.money import Money, MoneyError, parse_amount
from gtfs.currencies import MINOR_UNITS
from tests.unit.fares.fare_feeds import feed, zakroczym_tables


def test_parses_gtfs_amount_exactly() -> None:
    assert parse_amount("4.00", "PLN", MINOR_UNITS) == Money(400, "PLN")
    assert parse_amount("0.1", "EUR", MINOR_UNITS) == Money(10, "EUR")
    assert parse_amount("1500", "JPY", MINOR_UNITS) == Money(1500, "JPY")
    assert parse_amount("1.234", "KWD", MINOR_UNITS) == Money(1234, "KWD")
    assert parse_amount("-0.50", "USD", MINOR_UNITS) == Money(-50, "USD")


@pytest.mark.parametrize(
    ("text", "currency", "code"),
    [
        ("1.001", "PLN", "too_many_decimals"),
        ("1.5", "JPY", "too_many_decimals"),
        ("abc", "PLN", "bad_amount"),
        ("NaN", "PLN", "bad_amount"),
        ("1.00", "XYZ", "unknown_currency"),
    ],
)
def test_rejects_amounts_the_currency_cannot_hold(text: str, currency: str, code: str) -> None:
    with pytest.raises(MoneyError) as raised:
        parse_amount(text, currency, MINOR_UNITS)

    assert raised.value.code == code


def test_adds_and_compares_within_one_currency() -> None:
    assert Money(150, "PLN") + Money(250, "PLN") == Money(400, "PLN")
    assert Money(100, "PLN") < Money(200, "PLN") <= Money(200, "PLN")
    assert Money.zero("PLN") == Money(0, "PLN")


def test_refuses_to_mix_currencies() -> None:
    with pytest.raises(MoneyError) as raised:
        _ = Money(1, "PLN") + Money(1, "EUR")
    with pytest.raises(MoneyError):
        _ = Money(1, "PLN") < Money(1, "EUR")

    assert raised.value.code == "mixed_currencies"


def test_formats_with_the_currency_exponent() -> None:
    assert Money(400, "PLN").format(2) == "4.00 PLN"
    assert Money(-5, "USD").format(2) == "-0.05 USD"
    assert Money(1500, "JPY").format(0) == "1500 JPY"
    assert Money(1234, "KWD").format(3) == "1.234 KWD"


def test_builds_indexes_from_the_zakroczym_feed() -> None:
    tables = zakroczym_tables()

    assert tables.stop_areas["117"] == frozenset({"2"})
    assert tables.area_names["3"] == "Nowy Dwór Mazowiecki"
    assert len(tables.products["monthly_discount"]) == 3
    assert len(tables.leg_rules) == 9
    assert not tables.has_rule_priority


def test_missing_files_are_empty() -> None:
    tables = FareTables.from_rows({}, MINOR_UNITS)

    assert not tables.has_v2
    assert tables.transfer_rules == ()
    assert tables.default_rider_category is None


def test_tables_are_read_only() -> None:
    tables = feed(areas="area_id,area_name\n1,One")

    with pytest.raises(TypeError):
        tables.area_names["2"] = "Two"  # type: ignore[index]


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ({"fare_products": "fare_product_id,amount,currency\np,1.001,EUR"}, "too_many_decimals"),
        ({"fare_products": "fare_product_id,amount,currency\np,1.00,ABC"}, "unknown_currency"),
        ({"fare_products": "fare_product_id,amount,currency\np,,EUR"}, "missing_field"),
        ({"fare_leg_rules": "leg_group_id,fare_product_id,rule_priority\ng,p,high"}, "bad_integer"),
        ({"fare_leg_rules": "leg_group_id,network_id\ng,n"}, "missing_field"),
        ({"fare_transfer_rules": "from_leg_group_id,fare_transfer_type\ng,7"}, "bad_enum"),
        (
            {"timeframes": "timeframe_group_id,start_time,end_time,service_id\nt,25:00:00,,s"},
            "bad_time",
        ),
        ({"fare_attributes": "fare_id,price,currency_type,transfers\nf,1,USD,x"}, "bad_integer"),
    ],
)
def test_reports_bad_fare_values_with_a_code(files: dict[str, str], code: str) -> None:
    with pytest.raises(FareTableError) as raised:
        feed(**files)

    assert raised.value.code == code
