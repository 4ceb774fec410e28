"""Turn raw GTFS fare rows (dicts of strings, empty string = absent) into fare records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fares.fare_model import (
    FareAttribute,
    FareProduct,
    FareTableError,
    LegRule,
    Timeframe,
    TransferRule,
)
from fares.money import Money, MoneyError, parse_amount

Row = Mapping[str, str]
DAY_SECONDS = 24 * 3600


def text(row: Row, name: str) -> str:
    """A field's value with surrounding blanks removed; absent fields are empty."""
    return (row.get(name) or "").strip()


def required(row: Row, name: str, file: str) -> str:
    """A field that must be present."""
    value = text(row, name)
    if not value:
        raise FareTableError("missing_field", f"{file}.txt: a row has no {name}")
    return value


def optional_int(row: Row, name: str, file: str) -> int | None:
    """An integer field, None when empty."""
    value = text(row, name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise FareTableError(
            "bad_integer", f"{file}.txt: {name}={value!r} is not an integer"
        ) from None


def money(
    row: Row, amount_field: str, currency_field: str, file: str, units: Mapping[str, int]
) -> Money:
    """An exact amount in the row's currency."""
    amount = required(row, amount_field, file)
    currency = required(row, currency_field, file)
    try:
        return parse_amount(amount, currency, units)
    except MoneyError as error:
        raise FareTableError(error.code, f"{file}.txt: {error.message}") from None


def seconds_of_day(value: str, default: int, file: str) -> int:
    """A GTFS HH:MM:SS time as seconds after midnight; timeframes forbid values past 24:00:00."""
    if not value:
        return default
    parts = value.split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise FareTableError("bad_time", f"{file}.txt: {value!r} is not HH:MM:SS")
    hours, minutes, seconds = (int(part) for part in parts)
    total = hours * 3600 + minutes * 60 + seconds
    if minutes > 59 or seconds > 59 or total > DAY_SECONDS:
        raise FareTableError("bad_time", f"{file}.txt: {value!r} is not a time of day")
    return total


def products(rows: Iterable[Row], units: Mapping[str, int]) -> list[FareProduct]:
    """fare_products rows."""
    return [
        FareProduct(
            fare_product_id=required(row, "fare_product_id", "fare_products"),
            name=text(row, "fare_product_name"),
            rider_category_id=text(row, "rider_category_id"),
            fare_media_id=text(row, "fare_media_id"),
            price=money(row, "amount", "currency", "fare_products", units),
        )
        for row in rows
    ]


def leg_rules(rows: Iterable[Row]) -> list[LegRule]:
    """fare_leg_rules rows, numbered from 1 in file order."""
    return [
        LegRule(
            row=number,
            leg_group_id=text(row, "leg_group_id"),
            network_id=text(row, "network_id"),
            from_area_id=text(row, "from_area_id"),
            to_area_id=text(row, "to_area_id"),
            from_timeframe_group_id=text(row, "from_timeframe_group_id"),
            to_timeframe_group_id=text(row, "to_timeframe_group_id"),
            fare_product_id=required(row, "fare_product_id", "fare_leg_rules"),
            rule_priority=optional_int(row, "rule_priority", "fare_leg_rules") or 0,
        )
        for number, row in enumerate(rows, start=1)
    ]


def transfer_rules(rows: Iterable[Row]) -> list[TransferRule]:
    """fare_transfer_rules rows, numbered from 1 in file order."""
    rules = []
    for number, row in enumerate(rows, start=1):
        kind = optional_int(row, "fare_transfer_type", "fare_transfer_rules")
        if kind not in (0, 1, 2):
            raise FareTableError(
                "bad_enum", f"fare_transfer_rules.txt row {number}: fare_transfer_type {kind}"
            )
        limit_type = optional_int(row, "duration_limit_type", "fare_transfer_rules")
        if limit_type not in (None, 0, 1, 2, 3):
            raise FareTableError(
                "bad_enum",
                f"fare_transfer_rules.txt row {number}: duration_limit_type {limit_type}",
            )
        rules.append(
            TransferRule(
                row=number,
                from_leg_group_id=text(row, "from_leg_group_id"),
                to_leg_group_id=text(row, "to_leg_group_id"),
                transfer_count=optional_int(row, "transfer_count", "fare_transfer_rules"),
                duration_limit=optional_int(row, "duration_limit", "fare_transfer_rules"),
                duration_limit_type=limit_type,
                fare_transfer_type=kind,
                fare_product_id=text(row, "fare_product_id"),
            )
        )
    return rules


def timeframes(rows: Iterable[Row]) -> list[Timeframe]:
    """timeframes rows; an empty start is 00:00:00 and an empty end 24:00:00."""
    return [
        Timeframe(
            timeframe_group_id=required(row, "timeframe_group_id", "timeframes"),
            start=seconds_of_day(text(row, "start_time"), 0, "timeframes"),
            end=seconds_of_day(text(row, "end_time"), DAY_SECONDS, "timeframes"),
            service_id=required(row, "service_id", "timeframes"),
        )
        for row in rows
    ]


def fare_attributes(rows: Iterable[Row], units: Mapping[str, int]) -> list[FareAttribute]:
    """Fares v1 fare_attributes rows; an empty ``transfers`` means unlimited transfers."""
    return [
        FareAttribute(
            fare_id=required(row, "fare_id", "fare_attributes"),
            price=money(row, "price", "currency_type", "fare_attributes", units),
            transfers=optional_int(row, "transfers", "fare_attributes"),
            transfer_duration=optional_int(row, "transfer_duration", "fare_attributes"),
        )
        for row in rows
    ]
