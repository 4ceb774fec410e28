"""The fare engine's immutable, indexed view of a feed's fare files (Fares v2 and v1).

Built once per feed version from raw GTFS rows with :meth:`FareTables.from_rows`; every
lookup the engine makes afterwards is a dictionary access or a scan of one file's rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from fares import fare_rows
from fares.fare_model import (
    LEG_RULE_FIELDS,
    FareAttribute,
    FareProduct,
    FareRuleSet,
    LegRule,
    Timeframe,
    TransferRule,
)
from fares.fare_rows import Row, text

Rows = Mapping[str, Iterable[Mapping[str, str]]]


V = TypeVar("V")


def _frozen(mapping: Mapping[str, V]) -> Mapping[str, V]:
    return MappingProxyType(dict(mapping))


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for key, value in pairs:
        if key and value:
            groups[key].add(value)
    return {key: frozenset(values) for key, values in groups.items()}


@dataclass(frozen=True)
class FareTables:
    """Fare rules, products and their lookups for one feed; see :meth:`from_rows`."""

    minor_units: Mapping[str, int]
    route_ids: frozenset[str]
    route_networks: Mapping[str, frozenset[str]]
    network_names: Mapping[str, str]
    stop_ids: frozenset[str]
    stop_areas: Mapping[str, frozenset[str]]
    stop_zones: Mapping[str, str]
    area_names: Mapping[str, str]
    timeframes: Mapping[str, tuple[Timeframe, ...]]
    rider_categories: Mapping[str, str]
    default_rider_category: str | None
    fare_media: Mapping[str, str]
    products: Mapping[str, tuple[FareProduct, ...]]
    leg_rules: tuple[LegRule, ...]
    has_rule_priority: bool
    named_leg_values: Mapping[str, frozenset[str]]
    transfer_rules: tuple[TransferRule, ...]
    named_from_groups: frozenset[str]
    named_to_groups: frozenset[str]
    fare_attributes: Mapping[str, FareAttribute]
    fare_rule_sets: Mapping[str, FareRuleSet]

    @property
    def has_v2(self) -> bool:
        """Whether the feed prices with Fares v2 (fare_leg_rules has rows); else v1."""
        return bool(self.leg_rules)

    def exponent(self, currency: str) -> int:
        """Decimal digits of ``currency``, for display."""
        return self.minor_units.get(currency, 2)

    @classmethod
    def from_rows(cls, rows: Rows, minor_units: Mapping[str, int]) -> FareTables:
        """Build the tables from GTFS rows keyed by file name without ``.txt``."""
        files = {name: list(content) for name, content in rows.items()}

        def table(name: str) -> list[Row]:
            return files.get(name, [])

        leg_rules = fare_rows.leg_rules(table("fare_leg_rules"))
        transfer_rules = fare_rows.transfer_rules(table("fare_transfer_rules"))
        stops = table("stops")
        return cls(
            minor_units=_frozen(minor_units),
            route_ids=frozenset(_names(table("routes"), "route_id", "route_id")),
            route_networks=_frozen(_route_networks(table("routes"), table("route_networks"))),
            network_names=_frozen(_names(table("networks"), "network_id", "network_name")),
            stop_ids=frozenset(_names(stops, "stop_id", "stop_id")),
            stop_areas=_frozen(_stop_areas(stops, table("stop_areas"))),
            stop_zones=_frozen(_names(stops, "stop_id", "zone_id")),
            area_names=_frozen(_names(table("areas"), "area_id", "area_name")),
            timeframes=_frozen(_timeframes(table("timeframes"))),
            rider_categories=_frozen(
                _names(table("rider_categories"), "rider_category_id", "rider_category_name")
            ),
            default_rider_category=_default_category(table("rider_categories")),
            fare_media=_frozen(_names(table("fare_media"), "fare_media_id", "fare_media_name")),
            products=_frozen(_products(table("fare_products"), minor_units)),
            leg_rules=tuple(leg_rules),
            has_rule_priority=any("rule_priority" in row for row in table("fare_leg_rules")),
            named_leg_values=_frozen(_named_values(leg_rules)),
            transfer_rules=tuple(transfer_rules),
            named_from_groups=frozenset(rule.from_leg_group_id for rule in transfer_rules),
            named_to_groups=frozenset(rule.to_leg_group_id for rule in transfer_rules),
            fare_attributes=_frozen(
                {
                    fare.fare_id: fare
                    for fare in fare_rows.fare_attributes(table("fare_attributes"), minor_units)
                }
            ),
            fare_rule_sets=_frozen(_fare_rule_sets(table("fare_rules"))),
        )


def _names(rows: Iterable[Row], key: str, value: str) -> dict[str, str]:
    return {text(row, key): text(row, value) for row in rows if text(row, key)}


def _route_networks(
    routes: Iterable[Row], route_networks: Iterable[Row]
) -> dict[str, frozenset[str]]:
    # The spec makes routes.network_id and route_networks.txt exclusive; honour both anyway.
    pairs = [(text(row, "route_id"), text(row, "network_id")) for row in routes]
    pairs += [(text(row, "route_id"), text(row, "network_id")) for row in route_networks]
    return _grouped(pairs)


def _stop_areas(stops: Iterable[Row], stop_areas: Iterable[Row]) -> dict[str, frozenset[str]]:
    # A station listed in stop_areas puts all its platforms in that area as well.
    own = _grouped((text(row, "stop_id"), text(row, "area_id")) for row in stop_areas)
    parents = {text(row, "stop_id"): text(row, "parent_station") for row in stops}
    result = dict(own)
    for stop_id, parent in parents.items():
        if parent in own:
            result[stop_id] = own.get(stop_id, frozenset()) | own[parent]
    return result


def _timeframes(rows: Iterable[Row]) -> dict[str, tuple[Timeframe, ...]]:
    groups: dict[str, list[Timeframe]] = defaultdict(list)
    for timeframe in fare_rows.timeframes(rows):
        groups[timeframe.timeframe_group_id].append(timeframe)
    return {key: tuple(values) for key, values in groups.items()}


def _default_category(rows: Iterable[Row]) -> str | None:
    for row in rows:
        if text(row, "is_default_fare_category") == "1":
            return text(row, "rider_category_id")
    return None


def _products(rows: Iterable[Row], units: Mapping[str, int]) -> dict[str, tuple[FareProduct, ...]]:
    groups: dict[str, list[FareProduct]] = defaultdict(list)
    for product in fare_rows.products(rows, units):
        groups[product.fare_product_id].append(product)
    return {key: tuple(values) for key, values in groups.items()}


def _named_values(rules: Iterable[LegRule]) -> dict[str, frozenset[str]]:
    named: dict[str, set[str]] = {name: set() for name in LEG_RULE_FIELDS}
    for rule in rules:
        for name in LEG_RULE_FIELDS:
            if rule.field(name):
                named[name].add(rule.field(name))
    return {name: frozenset(values) for name, values in named.items()}


def _fare_rule_sets(rows: Iterable[Row]) -> dict[str, FareRuleSet]:
    routes: dict[str, set[str]] = defaultdict(set)
    pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    contains: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        fare_id = text(row, "fare_id")
        if route := text(row, "route_id"):
            routes[fare_id].add(route)
        origin, destination = text(row, "origin_id"), text(row, "destination_id")
        if origin or destination:
            pairs[fare_id].add((origin, destination))
        if zone := text(row, "contains_id"):
            contains[fare_id].add(zone)
    return {
        fare_id: FareRuleSet(
            frozenset(routes[fare_id]), frozenset(pairs[fare_id]), frozenset(contains[fare_id])
        )
        for fare_id in set(routes) | set(pairs) | set(contains)
    }
