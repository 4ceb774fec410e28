"""The records the fare engine reads: parsed GTFS fare rows (Fares v2 and v1)."""

from __future__ import annotations

from dataclasses import dataclass

from fares.errors import CodedError
from fares.money import Money

#: fare_leg_rules columns that select legs, in the order explanations list them.
LEG_RULE_FIELDS = (
    "network_id",
    "from_area_id",
    "to_area_id",
    "from_timeframe_group_id",
    "to_timeframe_group_id",
)


class FareError(CodedError):
    """No price can be given for a journey; ``code`` is stable, ``message`` says why."""


class FareTableError(FareError):
    """A fare file holds a value the engine cannot use (bad number, time, currency...)."""


@dataclass(frozen=True, slots=True)
class FareProduct:
    """One fare_products row: a price for a product, rider category and fare media."""

    fare_product_id: str
    name: str
    rider_category_id: str
    fare_media_id: str
    price: Money


@dataclass(frozen=True, slots=True)
class LegRule:
    """One fare_leg_rules row; empty strings are empty (absent) fields."""

    row: int
    leg_group_id: str
    network_id: str
    from_area_id: str
    to_area_id: str
    from_timeframe_group_id: str
    to_timeframe_group_id: str
    fare_product_id: str
    rule_priority: int

    def field(self, name: str) -> str:
        """The value of one of the matching columns in LEG_RULE_FIELDS."""
        value: str = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class TransferRule:
    """One fare_transfer_rules row; durations in seconds, None where the field is empty."""

    row: int
    from_leg_group_id: str
    to_leg_group_id: str
    transfer_count: int | None
    duration_limit: int | None
    duration_limit_type: int | None
    fare_transfer_type: int
    fare_product_id: str


@dataclass(frozen=True, slots=True)
class Timeframe:
    """One timeframes row: [start, end) seconds after local midnight on days of service_id."""

    timeframe_group_id: str
    start: int
    end: int
    service_id: str

    def contains(self, second_of_day: int, services: frozenset[str]) -> bool:
        """Whether a local time of day on a day running ``services`` falls inside."""
        return self.service_id in services and self.start <= second_of_day < self.end


@dataclass(frozen=True, slots=True)
class FareAttribute:
    """One Fares v1 fare_attributes row; ``transfers`` None means unlimited."""

    fare_id: str
    price: Money
    transfers: int | None
    transfer_duration: int | None


@dataclass(frozen=True, slots=True)
class FareRuleSet:
    """The fare_rules rows of one v1 fare_id, combined; an empty set restricts nothing."""

    routes: frozenset[str]
    origin_destinations: frozenset[tuple[str, str]]
    contains: frozenset[str]

    def matches(self, routes: frozenset[str], start: str, end: str, zones: frozenset[str]) -> bool:
        """Whether a ride on ``routes`` from zone ``start`` to ``end`` through ``zones`` fits."""
        if self.routes and not routes <= self.routes:
            return False
        if self.contains and zones != self.contains:
            return False
        if not self.origin_destinations:
            return True
        return any(
            origin in ("", start) and destination in ("", end)
            for origin, destination in self.origin_destinations
        )
