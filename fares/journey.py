"""What the fare engine prices (a journey of legs) and what it answers (a quote)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fares.money import Money


@dataclass(frozen=True, slots=True)
class Leg:
    """One ride on one route; times are timezone-aware, in the agency's local time.

    ``services`` are the service_ids active on the leg's service day, used by timeframes.
    """

    route_id: str
    from_stop_id: str
    to_stop_id: str
    departure: datetime
    arrival: datetime
    services: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Journey:
    """Legs in travel order, for one rider category and fare media (None: the feed default)."""

    legs: tuple[Leg, ...]
    rider_category_id: str | None = None
    fare_media_id: str | None = None


@dataclass(frozen=True, slots=True)
class LegFare:
    """The fare product chosen for one leg and what the rider pays for it.

    ``product_price`` is the product's list price; ``amount`` is what this leg adds to the
    total after transfers (zero when a transfer or an earlier v1 fare covers the leg).
    """

    leg_index: int
    fare_product_id: str
    fare_product_name: str
    product_price: Money
    amount: Money
    leg_group_id: str | None
    fare_id: str | None
    explanation: str


@dataclass(frozen=True, slots=True)
class AppliedTransfer:
    """A transfer between two consecutive legs and the amount it adds."""

    from_leg: int
    to_leg: int
    rule: str
    fare_transfer_type: int | None
    fare_product_id: str | None
    amount: Money
    explanation: str


@dataclass(frozen=True, slots=True)
class Quote:
    """The price of a journey: per-leg fares, transfers, and their total."""

    legs: tuple[LegFare, ...]
    transfers: tuple[AppliedTransfer, ...]
    total: Money
    fares_version: int
    total_text: str

    def explanation(self) -> str:
        """Every leg's and transfer's explanation, then the total, one per line."""
        lines = [f"leg {fare.leg_index}: {fare.explanation}" for fare in self.legs]
        lines += [
            f"transfer {step.from_leg}->{step.to_leg}: {step.explanation}"
            for step in self.transfers
        ]
        lines.append(f"total: {self.total_text}")
        return "\n".join(lines)
