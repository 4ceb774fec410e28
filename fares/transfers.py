"""Fares v2 transfers: which fare_transfer_rules row joins consecutive legs, and its cost.

Legs joined by transfers form a sub-journey. Walking the legs in order, each pair of
consecutive legs is matched on (from_leg_group_id, to_leg_group_id) with the spec's empty
semantics (an empty id stands for every leg group not named in that column). Among rules
with a transfer_count (from group = to group), the one with the smallest transfer_count at
least the sub-journey's transfer number is kept (-1 = unlimited). duration_limit is
measured from the first leg of the sub-journey, where the rider validated the product the
transfers extend, to the next leg; for a single transfer that is the spec's "current leg".
When several rules still apply, the one that adds least to the total is taken. A leg
whose fare_leg_rules row has no leg_group_id cannot take part in a transfer.

Costs (spec: A + AB, A + AB + B, AB): type 0 drops the next leg's fare, type 1 keeps both
leg fares, type 2 drops both; the transfer product is always added (empty = free).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fares.fare_model import TransferRule
from fares.fare_tables import FareTables
from fares.journey import AppliedTransfer, Leg
from fares.money import Money
from fares.product_choice import Rider, cheapest

TRANSFER_TYPES = {0: "A + AB", 1: "A + AB + B", 2: "AB"}
LIMIT_TYPES = {
    0: ("departure", "arrival"),
    1: ("departure", "departure"),
    2: ("arrival", "departure"),
    3: ("arrival", "arrival"),
}
UNLIMITED = 1 << 62


@dataclass(frozen=True, slots=True)
class PricedLeg:
    """A leg with the leg group and product price its fare_leg_rules row gave it."""

    leg: Leg
    leg_group_id: str
    price: Money


@dataclass(frozen=True, slots=True)
class TransferOutcome:
    """The transfers taken and, per covered leg index, what covers its fare."""

    transfers: tuple[AppliedTransfer, ...]
    covered: dict[int, str]


@dataclass(frozen=True, slots=True)
class _Option:
    rule: TransferRule
    price: Money
    product_id: str | None
    delta: int


def apply_transfers(tables: FareTables, legs: Sequence[PricedLeg], rider: Rider) -> TransferOutcome:
    """Join consecutive legs by the fare transfer rules and say which leg fares they drop."""
    steps: list[AppliedTransfer] = []
    covered: dict[int, str] = {}
    start, count = 0, 0
    for index in range(len(legs) - 1):
        option = _best_option(
            tables,
            legs=legs,
            start=start,
            index=index,
            number=count + 1,
            covered=covered,
            rider=rider,
        )
        if option is None:
            start, count = index + 1, 0
            continue
        count += 1
        steps.append(
            _applied(tables, option=option, legs=legs, start=start, index=index, count=count)
        )
        _cover(option.rule, index, covered)
    return TransferOutcome(tuple(steps), covered)


def _cover(rule: TransferRule, index: int, covered: dict[int, str]) -> None:
    kind = rule.fare_transfer_type
    note = f"covered by fare_transfer_rules row {rule.row} (type {kind}: {TRANSFER_TYPES[kind]})"
    if kind in (0, 2):
        covered[index + 1] = note
    if kind == 2:
        covered.setdefault(index, note)


def _best_option(
    tables: FareTables,
    *,
    legs: Sequence[PricedLeg],
    start: int,
    index: int,
    number: int,
    covered: dict[int, str],
    rider: Rider,
) -> _Option | None:
    before, after = legs[index], legs[index + 1]
    if not before.leg_group_id or not after.leg_group_id:
        return None
    rules = _by_transfer_count(
        _group_matches(tables, before.leg_group_id, after.leg_group_id), number
    )
    options = [
        option
        for rule in rules
        if _within_limit(rule, legs[start].leg, after.leg)
        and (
            option := _priced(
                tables,
                rule=rule,
                before=before,
                after=after,
                before_covered=index in covered,
                rider=rider,
            )
        )
        is not None
    ]
    return min(options, key=lambda option: option.delta, default=None)


def _group_matches(tables: FareTables, from_group: str, to_group: str) -> list[TransferRule]:
    wanted_from = from_group if from_group in tables.named_from_groups else ""
    wanted_to = to_group if to_group in tables.named_to_groups else ""
    return [
        rule
        for rule in tables.transfer_rules
        if rule.from_leg_group_id == wanted_from and rule.to_leg_group_id == wanted_to
    ]


def _by_transfer_count(rules: list[TransferRule], number: int) -> list[TransferRule]:
    def limit(rule: TransferRule) -> int:
        count = rule.transfer_count
        return UNLIMITED if count is None or count == -1 else count

    counted = [rule for rule in rules if rule.transfer_count is not None and limit(rule) >= number]
    if counted:
        smallest = min(limit(rule) for rule in counted)
        counted = [rule for rule in counted if limit(rule) == smallest]
    return [rule for rule in rules if rule.transfer_count is None] + counted


def _within_limit(rule: TransferRule, first: Leg, following: Leg) -> bool:
    if rule.duration_limit is None:
        return True
    start_event, end_event = LIMIT_TYPES[rule.duration_limit_type or 0]
    start = first.departure if start_event == "departure" else first.arrival
    end = following.departure if end_event == "departure" else following.arrival
    return (end - start).total_seconds() <= rule.duration_limit


def _priced(
    tables: FareTables,
    *,
    rule: TransferRule,
    before: PricedLeg,
    after: PricedLeg,
    before_covered: bool,
    rider: Rider,
) -> _Option | None:
    if not rule.fare_product_id:
        price, product_id = Money.zero(before.price.currency), None
    else:
        choice = cheapest(tables, [(rule, rule.fare_product_id)], rider)
        if choice is None:
            return None
        price, product_id = choice.product.price, rule.fare_product_id
    delta = price.amount
    if rule.fare_transfer_type in (0, 2):
        delta -= after.price.amount
    if rule.fare_transfer_type == 2 and not before_covered:
        delta -= before.price.amount
    return _Option(rule, price, product_id, delta)


def _applied(
    tables: FareTables,
    *,
    option: _Option,
    legs: Sequence[PricedLeg],
    start: int,
    index: int,
    count: int,
) -> AppliedTransfer:
    rule = option.rule
    kind = rule.fare_transfer_type
    parts = [
        f"fare_transfer_rules row {rule.row}: leg group {legs[index].leg_group_id}"
        f" to {legs[index + 1].leg_group_id}",
        f"transfer {count} of the sub-journey starting at leg {start}",
    ]
    if rule.transfer_count is not None:
        parts.append(f"transfer_count {rule.transfer_count}")
    if rule.duration_limit is not None:
        start_event, end_event = LIMIT_TYPES[rule.duration_limit_type or 0]
        parts.append(
            f"within {rule.duration_limit} s from the {start_event} of leg {start}"
            f" to the {end_event} of leg {index + 1}"
        )
    price = option.price.format(tables.exponent(option.price.currency))
    product = option.product_id or "no transfer product (free)"
    parts.append(f"type {kind} ({TRANSFER_TYPES[kind]}), {product} {price}")
    return AppliedTransfer(
        from_leg=index,
        to_leg=index + 1,
        rule=f"fare_transfer_rules row {rule.row}",
        fare_transfer_type=kind,
        fare_product_id=option.product_id,
        amount=option.price,
        explanation="; ".join(parts),
    )
