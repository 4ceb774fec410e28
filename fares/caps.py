"""Apply daily and weekly fare caps to the priced taps of account-based fare media.

Taps are charged in time order, separately for each (rider category, fare media): each
pays the smallest of its fare, what is left of the daily cap for its travel day and what
is left of the weekly cap for its travel week. Taps without a configured cap pay their fare.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from fares.cap_policy import Cap, CapConfigError, CapError, CapPolicy
from fares.money import Money

__all__ = [
    "CapConfigError",
    "CapError",
    "CapKind",
    "CapPolicy",
    "CappedTap",
    "PricedTap",
    "apply_caps",
]


class CapKind(StrEnum):
    """Which cap limited a charge."""

    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True, slots=True)
class PricedTap:
    """A tap with its fare before capping."""

    at: datetime
    rider_category_id: str
    fare_media_id: str
    fare: Money
    tap_id: str


@dataclass(frozen=True, slots=True)
class CappedTap:
    """What a tap is charged after caps, and which cap (if any) lowered it."""

    tap: PricedTap
    charged: Money
    limited_by: CapKind | None
    travel_day: date
    explanation: str


@dataclass
class _Spent:
    daily: dict[tuple[str, str, date], int]
    weekly: dict[tuple[str, str, date], int]


def apply_caps(policy: CapPolicy, taps: Sequence[PricedTap]) -> list[CappedTap]:
    """Charge every tap under the policy's caps; results come in the order of ``taps``."""
    for tap in taps:
        if tap.at.tzinfo is None:
            raise CapError("naive_time", f"tap {tap.tap_id}: time must be timezone-aware")
        if tap.fare.amount < 0:
            raise CapError("negative_fare", f"tap {tap.tap_id}: fare is negative")
    spent = _Spent(defaultdict(int), defaultdict(int))
    results: dict[int, CappedTap] = {}
    for index in sorted(range(len(taps)), key=lambda i: (taps[i].at, i)):
        results[index] = _charge(policy, taps[index], spent)
    return [results[index] for index in range(len(taps))]


def _charge(policy: CapPolicy, tap: PricedTap, spent: _Spent) -> CappedTap:
    day = policy.travel_day(tap.at)
    cap = policy.cap_for(tap.rider_category_id, tap.fare_media_id)
    if cap is None:
        return CappedTap(tap, tap.fare, None, day, "no cap configured; full fare")
    _check_currency(cap, tap)
    day_key = (tap.rider_category_id, tap.fare_media_id, day)
    week_key = (tap.rider_category_id, tap.fare_media_id, policy.week_of(day))
    left_day = None if cap.daily is None else cap.daily.amount - spent.daily[day_key]
    left_week = None if cap.weekly is None else cap.weekly.amount - spent.weekly[week_key]
    charged = min(amount for amount in (tap.fare.amount, left_day, left_week) if amount is not None)
    spent.daily[day_key] += charged
    spent.weekly[week_key] += charged
    limited_by = None
    if charged < tap.fare.amount:
        limited_by = CapKind.DAILY if charged == left_day else CapKind.WEEKLY
    return CappedTap(
        tap=tap,
        charged=Money(charged, tap.fare.currency),
        limited_by=limited_by,
        travel_day=day,
        explanation=_explain(limited_by, day, policy.week_of(day)),
    )


def _check_currency(cap: Cap, tap: PricedTap) -> None:
    limit = cap.daily or cap.weekly
    if limit is not None and limit.currency != tap.fare.currency:
        raise CapError(
            "mixed_currencies",
            f"tap {tap.tap_id}: fare in {tap.fare.currency}, cap in {limit.currency}",
        )


def _explain(limited_by: CapKind | None, day: date, week: date) -> str:
    if limited_by is CapKind.DAILY:
        return f"daily cap reached for travel day {day.isoformat()}"
    if limited_by is CapKind.WEEKLY:
        return f"weekly cap reached for the travel week from {week.isoformat()}"
    return f"full fare; under the caps for travel day {day.isoformat()}"
