"""Charge a travel day's journeys under the daily and weekly caps, per account medium.

Pure. Each medium's journeys are charged in time order by ``fares.caps.apply_caps``, each
journey being one priced "tap" at its start. Weekly caps count what the medium was charged on
the earlier travel days of the same travel week: those days' journeys are charged again with
today's, in the same order, so that today's charges come out as if the week had been charged
in one go. Every medium is priced for the same rider category and fare media (account media
carry no category), so the caps of that pair apply.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from fares.caps import CapKind, CappedTap, CapPolicy, PricedTap, apply_caps
from fares.money import Money


@dataclass(frozen=True, slots=True)
class ChargeItem:
    """One journey to charge: a key naming it, its medium, start and fare before caps."""

    key: str
    fingerprint: str
    started_at: datetime
    fare: Money


@dataclass(frozen=True, slots=True)
class DayTotal:
    """What one medium pays for the travel day in one currency, and why."""

    fingerprint: str
    currency: str
    journeys: int
    fare: int
    charged: int
    explanation: str


def charge_day(
    policy: CapPolicy,
    pair: tuple[str, str],
    today: Sequence[ChargeItem],
    earlier: Sequence[ChargeItem],
) -> dict[str, CappedTap]:
    """Today's journeys charged under the caps of ``pair`` (rider category, fare media),
    after ``earlier`` (the same media's journeys on the travel week's earlier days)."""
    by_medium: dict[str, list[ChargeItem]] = defaultdict(list)
    for item in (*earlier, *today):
        by_medium[item.fingerprint].append(item)
    wanted = {item.key for item in today}
    charged: dict[str, CappedTap] = {}
    for items in by_medium.values():
        taps = [PricedTap(item.started_at, pair[0], pair[1], item.fare, item.key) for item in items]
        for result in apply_caps(policy, taps):
            if result.tap.tap_id in wanted:
                charged[result.tap.tap_id] = result
    return charged


def day_totals(
    today: Sequence[ChargeItem], charged: dict[str, CappedTap], day: date
) -> list[DayTotal]:
    """Per medium and currency: journeys, fares, charges, and which cap (if any) limited it."""
    groups: dict[tuple[str, str], list[CappedTap]] = defaultdict(list)
    for item in today:
        groups[(item.fingerprint, item.fare.currency)].append(charged[item.key])
    totals = []
    for (fingerprint, currency), results in sorted(groups.items()):
        fare = sum(result.tap.fare.amount for result in results)
        paid = sum(result.charged.amount for result in results)
        totals.append(
            DayTotal(fingerprint, currency, len(results), fare, paid, _explain(results, day))
        )
    return totals


def _explain(results: Sequence[CappedTap], day: date) -> str:
    limits = {result.limited_by for result in results}
    if CapKind.DAILY in limits:
        return f"daily cap reached on travel day {day.isoformat()}"
    if CapKind.WEEKLY in limits:
        return f"weekly cap reached in the travel week of {day.isoformat()}"
    return results[-1].explanation if results else ""
