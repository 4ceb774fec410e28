"""The rider's view of an account medium: its journeys, their legs and rules, and what each
travel day was charged after caps, over a range of travel days.

A medium is named by its fingerprint (``fares.tap.media_fingerprint`` of the read technology
and the card's UID), which a rider's app can work out from the card itself.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.errors import ServiceError
from backend.models import DailyCharge, Journey, JourneyLeg
from backend.services.fare_quotes import money_json
from fares.money import Money
from fares.tap import MAX_TECHNOLOGY, MAX_UID, media_fingerprint

MAX_SPAN_DAYS = 92
DEFAULT_SPAN_DAYS = 31
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_UID = re.compile(r"(?:[0-9a-fA-F]{2})+")


def card_fingerprint(technology: str, uid_hex: str) -> str:
    """The fingerprint of a card read with ``technology`` whose UID is ``uid_hex``; 400
    ``invalid_card`` when either cannot be a card's."""
    if not 0 < len(technology) <= MAX_TECHNOLOGY:
        raise ServiceError("invalid_card", f"technology must be 1 to {MAX_TECHNOLOGY} characters")
    if _UID.fullmatch(uid_hex) is None or len(uid_hex) > 2 * MAX_UID:
        raise ServiceError("invalid_card", f"uid must be 1 to {MAX_UID} bytes in hex")
    return media_fingerprint(technology, bytes.fromhex(uid_hex))


def day_range(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The travel days asked for (by default the ``DEFAULT_SPAN_DAYS`` up to ``today``);
    400 ``invalid_date_range`` or ``date_range_too_long``."""
    last = last or (today if first is None else _shifted(first, DEFAULT_SPAN_DAYS - 1))
    first = first or _shifted(last, -(DEFAULT_SPAN_DAYS - 1))
    if last < first:
        raise ServiceError("invalid_date_range", "to comes before from")
    if (last - first).days >= MAX_SPAN_DAYS:
        raise ServiceError(
            "date_range_too_long", f"ask for at most {MAX_SPAN_DAYS} travel days at once"
        )
    return first, last


def _shifted(day: date, days: int) -> date:
    """``day`` moved by ``days``, stopping at the first or last date there is (a default
    range next to year 1 or 9999 is cut short rather than failing)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def media_journeys(session: Session, fingerprint: str, first: date, last: date) -> dict[str, Any]:
    """The journeys and daily charges of one medium over travel days [first, last]."""
    if _FINGERPRINT.fullmatch(fingerprint) is None:
        raise ServiceError("invalid_fingerprint", "a fingerprint is 64 lower-case hex characters")
    journeys = session.scalars(
        select(Journey)
        .where(Journey.fingerprint == fingerprint, Journey.travel_day.between(first, last))
        .order_by(Journey.started_at, Journey.id)
    ).all()
    legs: dict[int, list[JourneyLeg]] = {journey.id: [] for journey in journeys}
    if journeys:
        for leg in session.scalars(
            select(JourneyLeg)
            .where(JourneyLeg.journey_id.in_(legs))
            .order_by(JourneyLeg.journey_id, JourneyLeg.position)
        ):
            legs[leg.journey_id].append(leg)
    charges = session.scalars(
        select(DailyCharge)
        .where(DailyCharge.fingerprint == fingerprint, DailyCharge.travel_day.between(first, last))
        .order_by(DailyCharge.travel_day, DailyCharge.currency)
    ).all()
    return {
        "fingerprint": fingerprint,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": [_day_json(charge) for charge in charges],
        "journeys": [_journey_json(journey, legs[journey.id]) for journey in journeys],
    }


def _day_json(charge: DailyCharge) -> dict[str, Any]:
    return {
        "travel_day": charge.travel_day.isoformat(),
        "journeys": charge.journeys,
        "fare": money_json(Money(charge.fare_minor, charge.currency)),
        "charged": money_json(Money(charge.charged_minor, charge.currency)),
        "explanation": charge.explanation,
    }


def _journey_json(journey: Journey, legs: list[JourneyLeg]) -> dict[str, Any]:
    currency = journey.currency
    return {
        "id": journey.id,
        "travel_day": journey.travel_day.isoformat(),
        "status": journey.status,
        "started_at": journey.started_at.isoformat(),
        "ended_at": None if journey.ended_at is None else journey.ended_at.isoformat(),
        "fare": money_json(Money(journey.fare_minor, currency)),
        "charged": money_json(Money(journey.charged_minor, currency)),
        "limited_by": journey.limited_by,
        "explanation": journey.explanation,
        "legs": [_leg_json(leg, currency) for leg in legs],
    }


def _leg_json(leg: JourneyLeg, currency: str) -> dict[str, Any]:
    amount = None if leg.amount_minor is None else money_json(Money(leg.amount_minor, currency))
    return {
        "kind": leg.kind,
        "from_stop_id": leg.from_stop_id,
        "to_stop_id": leg.to_stop_id,
        "route_id": leg.route_id,
        "trip_instance": leg.trip_instance,
        "entered_at": leg.entered_at.isoformat(),
        "exited_at": None if leg.exited_at is None else leg.exited_at.isoformat(),
        "fare_product_id": leg.fare_product_id,
        "amount": amount,
        "explanation": leg.explanation,
    }
