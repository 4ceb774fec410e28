"""Fares v2 leg matching: which fare_leg_rules rows apply to a leg.

Each leg is described by the values it has for every matching column: its networks, the
areas of its boarding and alighting stops, and the timeframe groups active at departure
and arrival. Two regimes, as the spec defines them:

* without a ``rule_priority`` column, an empty field stands for "every value not named in
  that column": for each field, if any row names a value the leg has, rows leaving the
  field empty are excluded;
* with a ``rule_priority`` column, an empty field does not affect matching, and only the
  matching rows with the highest priority (empty = 0) are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fares.fare_model import LEG_RULE_FIELDS, FareError, LegRule
from fares.fare_tables import FareTables
from fares.journey import Leg


@dataclass(frozen=True, slots=True)
class LegFacts:
    """The values a leg offers for each fare_leg_rules matching column."""

    values: Mapping[str, frozenset[str]]


def leg_facts(tables: FareTables, leg: Leg, index: int) -> LegFacts:
    """Look up a leg's networks, areas and timeframes; unknown routes and stops are errors."""
    if tables.route_ids and leg.route_id not in tables.route_ids:
        raise FareError("unknown_route", f"leg {index}: route {leg.route_id!r} is not in the feed")
    for stop_id in (leg.from_stop_id, leg.to_stop_id):
        if tables.stop_ids and stop_id not in tables.stop_ids:
            raise FareError("unknown_stop", f"leg {index}: stop {stop_id!r} is not in the feed")
    return LegFacts(
        {
            "network_id": tables.route_networks.get(leg.route_id, frozenset()),
            "from_area_id": tables.stop_areas.get(leg.from_stop_id, frozenset()),
            "to_area_id": tables.stop_areas.get(leg.to_stop_id, frozenset()),
            "from_timeframe_group_id": _active_timeframes(tables, leg, departure=True),
            "to_timeframe_group_id": _active_timeframes(tables, leg, departure=False),
        }
    )


def _active_timeframes(tables: FareTables, leg: Leg, *, departure: bool) -> frozenset[str]:
    # Timeframes compare the local wall-clock time of the event; the caller gives the
    # service_ids of the leg's service day, which decide whether a timeframe runs at all.
    moment = leg.departure if departure else leg.arrival
    if moment.tzinfo is None:
        raise FareError("naive_time", "leg times must be timezone-aware local times")
    second = moment.hour * 3600 + moment.minute * 60 + moment.second
    return frozenset(
        group_id
        for group_id, frames in tables.timeframes.items()
        if any(frame.contains(second, leg.services) for frame in frames)
    )


def matching_rules(tables: FareTables, facts: LegFacts) -> tuple[LegRule, ...]:
    """The fare_leg_rules rows that apply to a leg described by ``facts``."""
    if tables.has_rule_priority:
        matched = [
            rule
            for rule in tables.leg_rules
            if all(
                _wildcard_match(rule.field(name), facts.values[name]) for name in LEG_RULE_FIELDS
            )
        ]
        if not matched:
            return ()
        top = max(rule.rule_priority for rule in matched)
        return tuple(rule for rule in matched if rule.rule_priority == top)
    excluding_empty = {
        name: bool(facts.values[name] & tables.named_leg_values[name]) for name in LEG_RULE_FIELDS
    }
    return tuple(
        rule
        for rule in tables.leg_rules
        if all(
            _exclusive_match(rule.field(name), facts.values[name], excluding_empty[name])
            for name in LEG_RULE_FIELDS
        )
    )


def _wildcard_match(value: str, leg_values: frozenset[str]) -> bool:
    return not value or value in leg_values


def _exclusive_match(value: str, leg_values: frozenset[str], excluding_empty: bool) -> bool:
    if not value:
        return not excluding_empty
    return value in leg_values


def describe_rule(tables: FareTables, rule: LegRule) -> str:
    """Say what a rule row requires, with area and network names where the feed has them."""
    parts = [
        f"network {_named(rule.network_id, tables.network_names)}",
        f"from area {_named(rule.from_area_id, tables.area_names)}",
        f"to area {_named(rule.to_area_id, tables.area_names)}",
    ]
    if rule.from_timeframe_group_id or rule.to_timeframe_group_id:
        parts.append(f"departing in timeframe {rule.from_timeframe_group_id or '(any)'}")
        parts.append(f"arriving in timeframe {rule.to_timeframe_group_id or '(any)'}")
    if tables.has_rule_priority:
        parts.append(f"rule_priority {rule.rule_priority}")
    group = f" (leg group {rule.leg_group_id})" if rule.leg_group_id else ""
    return f"fare_leg_rules row {rule.row}{group}: " + ", ".join(parts)


def _named(value: str, names: Mapping[str, str]) -> str:
    if not value:
        return "(any)"
    name = names.get(value, "")
    return f"{value} {name}" if name else value
