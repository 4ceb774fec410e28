"""Reconciliation's reads and writes: a travel day's taps, what other days took, passback
flags, the week's earlier journeys, and a day's journeys, charges and run, replaced at once.

Every function runs in the caller's transaction; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from backend.models import (
    DailyCharge,
    Device,
    Journey,
    JourneyLeg,
    PassbackFlag,
    ReconciledTap,
    ReconciliationRun,
    Tap,
)
from backend.services.reconciliation_charges import ChargeItem, DayTotal
from backend.services.reconciliation_pricing import LegCharge, PricedJourney
from backend.services.reconciliation_rides import PassbackHit, TapFact
from fares.caps import CappedTap
from fares.money import Money
from fares.rules import DeviceRole
from fares.tap import MediaKind

ACCOUNT = MediaKind.ACCOUNT.value
TAP_COLUMNS = (
    Tap.id, Tap.device_id, Device.role, Device.stop_id, Tap.tapped_at, Tap.fingerprint,
    Tap.trip_instance, Tap.media_kind,
)  # fmt: skip
EARLIER_COLUMNS = (
    Journey.first_tap_id, Journey.fingerprint, Journey.started_at, Journey.fare_minor,
    Journey.currency,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredTap:
    """A tap as reconciliation reads it, with its media kind."""

    fact: TapFact
    media_kind: str


def _window(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Tap.allowed.is_(True), Tap.tapped_at >= start, Tap.tapped_at < end)


def allowed_taps(session: Session, start: datetime, end: datetime) -> Iterator[StoredTap]:
    """Allowed taps in [start, end) with their devices' roles and stops, by medium and time."""
    rows = session.execute(
        select(*TAP_COLUMNS)
        .join(Device, Device.id == Tap.device_id)
        .where(_window(start, end))
        .order_by(Tap.fingerprint, Tap.tapped_at, Tap.id)
        .execution_options(yield_per=5000)
    )
    for tap_id, device_id, role, stop_id, at, fingerprint, trip, kind in rows:
        fact = TapFact(tap_id, device_id, DeviceRole(role), stop_id, at, fingerprint, trip)
        yield StoredTap(fact, kind)


def count_allowed_taps(session: Session, start: datetime, end: datetime) -> int:
    """How many allowed taps [start, end) holds now."""
    return session.scalar(select(func.count()).select_from(Tap).where(_window(start, end))) or 0


def taken_by_other_days(session: Session, day: date, start: datetime, end: datetime) -> set[int]:
    """Taps of [start, end) that journeys of other travel days took."""
    return set(
        session.scalars(
            select(ReconciledTap.tap_id)
            .join(Tap, Tap.id == ReconciledTap.tap_id)
            .where(ReconciledTap.travel_day != day, _window(start, end))
        )
    )


def sync_flags(session: Session, day: date, hits: Sequence[PassbackHit], now: datetime) -> int:
    """Make the day's flags exactly ``hits``, keeping the ones already there as they are."""
    wanted = {(hit.first.tap_id, hit.second.tap_id): hit for hit in hits}
    existing = dict(
        session.execute(
            select(PassbackFlag.second_tap_id, PassbackFlag.first_tap_id).where(
                PassbackFlag.travel_day == day
            )
        ).all()
    )
    stale = [second for second, first in existing.items() if (first, second) not in wanted]
    if stale:
        session.execute(delete(PassbackFlag).where(PassbackFlag.second_tap_id.in_(stale)))
    new = [hit for key, hit in wanted.items() if existing.get(key[1]) != key[0]]
    if new:
        session.execute(insert(PassbackFlag), [_flag_row(hit, day, now) for hit in new])
    return len(wanted)


def _flag_row(hit: PassbackHit, day: date, now: datetime) -> dict[str, object]:
    return {
        "fingerprint": hit.second.fingerprint,
        "first_tap_id": hit.first.tap_id,
        "second_tap_id": hit.second.tap_id,
        "travel_day": day,
        "gap_ms": hit.gap_ms,
        "window_s": hit.window_s,
        "flagged_at": now,
    }


def earlier_in_week(session: Session, week_start: date, day: date) -> list[ChargeItem]:
    """The journeys of the travel week's days before ``day``, as charge items."""
    rows = session.execute(
        select(*EARLIER_COLUMNS)
        .where(Journey.travel_day >= week_start, Journey.travel_day < day)
        .order_by(Journey.started_at, Journey.first_tap_id)
    )
    return [
        ChargeItem(f"tap:{first}", fingerprint, started, Money(fare, currency))
        for first, fingerprint, started, fare, currency in rows
    ]


def later_week_run(session: Session, week_start: date, day: date, than: datetime) -> bool:
    """Whether a day of [week_start, day) was reconciled after ``than``."""
    newer = session.scalar(
        select(func.count())
        .select_from(ReconciliationRun)
        .where(
            ReconciliationRun.travel_day >= week_start,
            ReconciliationRun.travel_day < day,
            ReconciliationRun.reconciled_at > than,
        )
    )
    return bool(newer)


def journey_key(journey: PricedJourney) -> str:
    """The charge key of a journey: its first tap, which no other journey has."""
    return f"tap:{journey.first.tap_id}"


def clear_day(session: Session, day: date) -> None:
    """Remove a travel day's journeys (with their legs and taps) and charges."""
    journeys = select(Journey.id).where(Journey.travel_day == day)
    session.execute(delete(ReconciledTap).where(ReconciledTap.journey_id.in_(journeys)))
    session.execute(delete(JourneyLeg).where(JourneyLeg.journey_id.in_(journeys)))
    session.execute(delete(Journey).where(Journey.travel_day == day))
    session.execute(delete(DailyCharge).where(DailyCharge.travel_day == day))


def write_journeys(
    session: Session,
    day: date,
    journeys: Sequence[PricedJourney],
    charged: dict[str, CappedTap],
) -> None:
    """Store a day's journeys, their legs and the taps they took."""
    if not journeys:
        return
    ids = dict(
        session.execute(
            insert(Journey).returning(
                Journey.first_tap_id, Journey.id, sort_by_parameter_order=True
            ),
            [_journey_row(journey, day, charged[journey_key(journey)]) for journey in journeys],
        ).all()
    )
    legs, taps = [], []
    for journey in journeys:
        journey_id = ids[journey.first.tap_id]
        legs += [_leg_row(journey_id, position, leg) for position, leg in enumerate(journey.legs)]
        taps += [
            {"tap_id": tap.tap_id, "journey_id": journey_id, "travel_day": day}
            for tap in journey.taps
        ]
    session.execute(insert(JourneyLeg), legs)
    session.execute(insert(ReconciledTap), taps)


def _journey_row(journey: PricedJourney, day: date, charge: CappedTap) -> dict[str, object]:
    limited = None if charge.limited_by is None else charge.limited_by.value
    return {
        "fingerprint": journey.first.fingerprint,
        "travel_day": day,
        "status": "complete" if journey.complete else "incomplete",
        "first_tap_id": journey.first.tap_id,
        "started_at": journey.first.at,
        "ended_at": journey.ended_at,
        "currency": journey.fare.currency,
        "fare_minor": journey.fare.amount,
        "charged_minor": charge.charged.amount,
        "limited_by": limited,
        "explanation": f"{journey.explanation}\ncaps: {charge.explanation}",
    }


def _leg_row(journey_id: int, position: int, charge: LegCharge) -> dict[str, object]:
    placed, ride = charge.placed, charge.placed.ride
    leg = placed.leg
    return {
        "journey_id": journey_id,
        "position": position,
        "kind": ride.kind.value,
        "entry_tap_id": ride.entry.tap_id,
        "exit_tap_id": None if ride.exit is None else ride.exit.tap_id,
        "trip_instance": ride.entry.trip_instance,
        "route_id": leg.route_id if leg is not None else None,
        "from_stop_id": leg.from_stop_id if leg is not None else ride.entry.stop_id,
        "to_stop_id": leg.to_stop_id if leg is not None else None,
        "entered_at": ride.entry.at,
        "exited_at": None if ride.exit is None else ride.exit.at,
        "fare_product_id": charge.fare_product_id,
        "amount_minor": None if charge.amount is None else charge.amount.amount,
        "explanation": charge.explanation,
    }


def write_totals(
    session: Session, day: date, totals: Sequence[DayTotal], pair: tuple[str, str]
) -> None:
    """Store each medium's charge for the day."""
    if totals:
        session.execute(insert(DailyCharge), [_total_row(total, day, pair) for total in totals])


def _total_row(total: DayTotal, day: date, pair: tuple[str, str]) -> dict[str, object]:
    return {
        "fingerprint": total.fingerprint,
        "travel_day": day,
        "currency": total.currency,
        "rider_category_id": pair[0],
        "fare_media_id": pair[1],
        "journeys": total.journeys,
        "fare_minor": total.fare,
        "charged_minor": total.charged,
        "explanation": total.explanation,
    }


def record_run(session: Session, run: ReconciliationRun) -> None:
    """Keep ``run`` as the day's last reconciliation."""
    session.merge(run)
