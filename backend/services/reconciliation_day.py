"""One travel day's reconciliation work: each medium's taps in, flags, journeys and charges
out (``reconciliation`` drives it in one transaction; the pieces are pure modules).

Account media carry no rider category, so they are priced for the feed's default category
and the ``account_fare_media_id`` setting's fare media (left to the engine when the feed does
not define it), and capped under the caps of (default category or "", that setting). The
maximum fare is the ``max_fare_minor`` setting in the feed's currency, or with 0 the dearest
price of a product the feed's leg rules sell (Fares v1: of a fare_attributes fare).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from backend.errors import ServiceError
from backend.services import reconciliation_store as store
from backend.services.reconciliation_charges import ChargeItem, charge_day, day_totals
from backend.services.reconciliation_places import RidePlacer
from backend.services.reconciliation_pricing import PricedJourney, RiderChoice, price_rides
from backend.services.reconciliation_rides import PassbackHit, pair_rides, passback_hits
from backend.services.rule_bundles import PASSBACK_S
from backend.services.trip_lookup import TripStopsCache
from backend.services.version_facts import VersionFacts
from fares.cap_policy import CapError, CapPolicy
from fares.fare_tables import FareTables
from fares.money import Money
from fares.rules import DeviceRole

NO_CURRENCY = "XXX"  # ISO 4217 "no currency": a feed with no fares at all
# Entries at one station within the gates' passback window are one entry (a second gate).
FOLD_WITHIN = timedelta(seconds=PASSBACK_S.get(DeviceRole.GATE_ENTRY, 0))


@dataclass(frozen=True)
class ReconcileConfig:
    """The settings reconciliation runs with."""

    caps: CapPolicy | None
    fare_media_id: str
    max_journey: timedelta
    max_fare_minor: int


@dataclass
class DayWork:
    """Collects one travel day's flags and journeys, medium by medium, then writes them."""

    session: Session
    day: date
    bounds: tuple[datetime, datetime]
    policy: CapPolicy
    config: ReconcileConfig
    facts: VersionFacts
    trips: TripStopsCache
    tables: FareTables
    hits: list[PassbackHit] = field(default_factory=list)
    journeys: list[PricedJourney] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rider = rider_choice(self.tables, self.config.fare_media_id)
        self.max_fare = max_fare(self.tables, self.config.max_fare_minor)
        self.placer = RidePlacer(self.session, self.facts, self.trips, self.tables, self.rider)

    def add_medium(self, taps: Sequence[store.StoredTap], taken: set[int]) -> None:
        """Flag and price one medium's allowed taps of the day's window (``taken``: taps a
        journey of another day took, which no ride here may take)."""
        start, end = self.bounds
        hits = passback_hits((tap.fact for tap in taps), PASSBACK_S)
        self.hits += [hit for hit in hits if start <= hit.second.at < end]
        account = [
            tap.fact
            for tap in taps
            if tap.media_kind == store.ACCOUNT and tap.fact.tap_id not in taken
        ]
        if account:
            rides = pair_rides(account, start, end, self.config.max_journey, FOLD_WITHIN)
            placed = [self.placer.place(ride) for ride in rides]
            self.journeys += price_rides(self.tables, placed, self.rider, self.max_fare)

    def write(self, now: datetime) -> tuple[int, int, int]:
        """Replace the day's flags, journeys and charges; (journeys, incomplete, flags)."""
        session, day = self.session, self.day
        flags = store.sync_flags(session, day, self.hits, now)
        pair = cap_pair(self.tables, self.config.fare_media_id)
        today = [
            ChargeItem(store.journey_key(journey), journey.first.fingerprint, journey.first.at,
                       journey.fare)
            for journey in self.journeys
        ]  # fmt: skip
        earlier = store.earlier_in_week(session, self.policy.week_of(day), day)
        try:
            charged = charge_day(self.policy, pair, today, earlier)
        except CapError as error:
            raise ServiceError(f"caps_{error.code}", error.message) from error
        store.clear_day(session, day)
        store.write_journeys(session, day, self.journeys, charged)
        store.write_totals(session, day, day_totals(today, charged, day), pair)
        incomplete = sum(not journey.complete for journey in self.journeys)
        return len(self.journeys), incomplete, flags


def rider_choice(tables: FareTables, fare_media_id: str) -> RiderChoice:
    """The default rider category, and the configured media where the feed defines it."""
    return RiderChoice(None, fare_media_id if fare_media_id in tables.fare_media else None)


def cap_pair(tables: FareTables, fare_media_id: str) -> tuple[str, str]:
    """The (rider category, fare media) whose caps apply to account media."""
    return tables.default_rider_category or "", fare_media_id


def max_fare(tables: FareTables, configured: int) -> Money:
    """The fare of an incomplete or unpriceable journey; see the module docstring."""
    sold = {rule.fare_product_id for rule in tables.leg_rules}
    prices = [row.price for product in sold for row in tables.products.get(product, ())]
    prices += [fare.price for fare in tables.fare_attributes.values()]
    dearest = max(prices, key=lambda price: price.amount, default=None)
    currency = NO_CURRENCY if dearest is None else dearest.currency
    if configured > 0 or dearest is None:
        return Money(configured, currency)
    return dearest
