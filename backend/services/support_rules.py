"""Rules that work support cases on their own: the charged-twice check, and the case the
system opens for a booking whose trip was cancelled.

Charged twice
-------------
Reconciliation makes each tap part of at most one journey, so a tap cannot be charged twice
as such; what can charge a card twice for one ride is two *stored taps* of one ride. A journey
of the card on the travel day is a **duplicate charge** when it was charged (``charged_minor >
0``) and its first tap repeats a tap of another journey of the same card:

1. *replayed tap*: the same device, the same device sequence number and the same tap time as
   a tap of another journey, stored again under a new nonce (the server stores each
   (device, nonce) once, so a journal row re-sent with a new nonce is the only way one
   decided tap arrives twice); the copy stored later is the duplicate; or
2. *passback missed*: a passback flag names it as the later of two entries of the card on two
   devices within the passback window (one validator holding both taps would have refused
   the second), at the same place: two bus validators on the same trip instance (front and
   rear doors), or two entry gates of the same stop, so one rider boarded once. (Gate
   entries at one stop within the window are folded into one ride by reconciliation, so this
   is mostly the bus case. Entries at different places are left to staff: they may be a
   copied card rather than one rider.)

The refund of a duplicate is what that journey was charged, and is worked out automatically
only when no journey of the card from the travel day to six days after it was limited by a
cap: then every journey was charged its full fare, and without the duplicate the others would
have been charged the same, so the rider lost exactly the duplicate's charge. Under a cap the
loss is smaller (possibly nothing), so such a case is left to staff with an internal note.

A refund is a ``SupportRefund`` row per duplicate journey (unique on the journey's first tap,
which survives reconciling the day again), paid back to the card's account by whatever pays
account-based travel; a duplicate already refunded on another case is not refunded again.
When a refund is made the case gets a note to the traveler with the amounts and is closed;
when none is found it gets an internal note of what was checked and stays open for staff.

Disruption
----------
``open_disruption_case`` is called when a cancelled trip's booking is re-accommodated or
refunded; see its docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import NotFoundError
from backend.models import (
    Booking,
    Device,
    Journey,
    PassbackFlag,
    Reaccommodation,
    ReconciledTap,
    SupportCase,
    SupportRefund,
    Tap,
)
from backend.services import support_cases as cases
from backend.services import support_policy as policy
from backend.services.payments import amount_text

CAP_HORIZON = timedelta(days=6)  # a weekly cap counts at most a week of travel days


@dataclass(frozen=True)
class _TapRow:
    tap_id: int
    device_id: str
    sequence: int
    at: datetime
    role: str
    stop_id: str | None
    trip_instance: str | None


@dataclass(frozen=True)
class Duplicate:
    """A journey charged for a ride another journey of the card already paid for."""

    journey: Journey
    why: str


@dataclass(frozen=True)
class ChargeCheck:
    """What the charged-twice rule found for a card's travel day."""

    journeys: int
    duplicates: list[Duplicate]
    capped: bool
    already_refunded: list[str]  # references of cases that refunded a duplicate found here


def find_duplicates(session: Session, fingerprint: str, day: date) -> ChargeCheck:
    """The duplicate charges of a card's travel day (see the module docstring)."""
    journeys = list(
        session.scalars(
            select(Journey)
            .where(Journey.fingerprint == fingerprint, Journey.travel_day == day)
            .order_by(Journey.started_at, Journey.first_tap_id)
        )
    )
    journey_of = dict(
        session.execute(
            select(ReconciledTap.tap_id, ReconciledTap.journey_id).where(
                ReconciledTap.journey_id.in_([journey.id for journey in journeys])
            )
        ).all()
    )
    taps = _taps(session, list(journey_of))
    flags = dict(
        session.execute(
            select(PassbackFlag.second_tap_id, PassbackFlag.first_tap_id).where(
                PassbackFlag.fingerprint == fingerprint, PassbackFlag.travel_day == day
            )
        ).all()
    )
    duplicates = []
    for journey in journeys:
        first = taps.get(journey.first_tap_id)
        if journey.charged_minor <= 0 or first is None:
            continue
        why = _replay_of(first, taps, journey_of, journey.id) or _passback_of(
            first, flags, taps, journey_of, journey.id
        )
        if why is not None:
            duplicates.append(Duplicate(journey, why))
    refunded = dict(
        session.execute(
            select(SupportRefund.journey_first_tap_id, SupportCase.reference)
            .join(SupportCase, SupportCase.id == SupportRefund.case_id)
            .where(
                SupportRefund.journey_first_tap_id.in_(
                    [found.journey.first_tap_id for found in duplicates]
                )
            )
        ).all()
    )
    return ChargeCheck(
        journeys=len(journeys),
        duplicates=[found for found in duplicates if found.journey.first_tap_id not in refunded],
        capped=_capped(session, fingerprint, day),
        already_refunded=sorted(set(refunded.values())),
    )


def check_charged_twice(session: Session, case: SupportCase, now: datetime) -> bool:
    """Run the charged-twice rule on a case linked to a card and a travel day: refund and
    close when a duplicate charge is found (True), else an internal note (False)."""
    if case.media_fingerprint is None or case.travel_day is None:
        _internal(session, case, "Automatic check skipped: the case names no card and day.", now)
        return False
    day = case.travel_day
    check = find_duplicates(session, case.media_fingerprint, day)
    if not check.duplicates:
        _internal(session, case, _nothing_found(check, day), now)
        return False
    if check.capped:
        _internal(session, case, _capped_text(check, day), now)
        return False
    lines = []
    for found in check.duplicates:
        journey = found.journey
        session.add(
            SupportRefund(
                case_id=case.id,
                fingerprint=journey.fingerprint,
                travel_day=day,
                journey_first_tap_id=journey.first_tap_id,
                amount_minor=journey.charged_minor,
                currency=journey.currency,
                reason=found.why,
                created_at=now,
            )
        )
        lines.append(
            f"- {amount_text(journey.charged_minor, journey.currency)} for the journey that "
            f"started at {journey.started_at:%H:%M} UTC: {found.why}"
        )
    session.flush()
    case.tap_id = check.duplicates[0].journey.first_tap_id
    cases.change_status(session, case, "closed", now)
    total = sum(found.journey.charged_minor for found in check.duplicates)
    currency = check.duplicates[0].journey.currency
    cases.add_note(
        session,
        case,
        author="system",
        body=(
            f"We checked your card's journeys on travel day {day.isoformat()} and found that "
            f"you were charged twice. We are refunding "
            f"{amount_text(total, currency)} to your card's account:\n" + "\n".join(lines)
        ),
        internal=False,
        now=now,
    )
    cases.record_event(session, case, "refunded", now, amount_minor=total, currency=currency)
    return True


def open_disruption_case(
    session: Session,
    *,
    booking_id: int,
    summary: str,
    now: datetime,
    sla: policy.SlaPolicy = policy.DEFAULT_SLA,
) -> SupportCase:
    """The disruption case of a booking whose trip was cancelled, opened once per booking.

    Called when the booking is re-accommodated or refunded, in the caller's transaction (the
    caller commits). The case is of kind ``disruption``, source ``system``, linked to the
    booking and its contact e-mail, with ``summary`` as its first note (visible to the
    traveler, not e-mailed: the re-accommodation tells the traveler itself). It is
    ``resolved`` when the booking's ``Reaccommodation`` says it was rebooked (the traveler can
    reopen it by replying) and ``open`` otherwise (refunded, or not recorded yet), for staff
    to follow up. Calling it again for the same booking returns the case already opened and
    changes nothing.
    """
    key = f"disruption:booking:{booking_id}"
    existing = session.scalar(select(SupportCase).where(SupportCase.dedupe_key == key))
    if existing is not None:
        return existing
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFoundError("booking_not_found", f"there is no booking {booking_id}")
    outcome = session.scalar(
        select(Reaccommodation.outcome).where(Reaccommodation.booking_id == booking_id)
    )
    new = cases.NewCase(
        kind="disruption",
        subject=f"Trip cancelled: booking {booking.reference}",
        source="system",
        body=summary,
        contact_email=booking.contact_email,
        booking_id=booking.id,
        dedupe_key=key,
        status="resolved" if outcome == "rebooked" else "open",
    )
    try:
        with session.begin_nested():
            return cases.open_case(session, new, sla=sla, now=now)
    except IntegrityError:  # opened meanwhile by another transaction
        found = session.scalar(select(SupportCase).where(SupportCase.dedupe_key == key))
        if found is None:
            raise
        return found


def _taps(session: Session, tap_ids: Sequence[int]) -> dict[int, _TapRow]:
    rows = session.execute(
        select(
            Tap.id, Tap.device_id, Tap.sequence, Tap.tapped_at, Device.role, Device.stop_id,
            Tap.trip_instance,
        )
        .join(Device, Device.id == Tap.device_id)
        .where(Tap.id.in_(tap_ids))
    )  # fmt: skip
    return {row[0]: _TapRow(*row) for row in rows}


def _replay_of(
    first: _TapRow, taps: dict[int, _TapRow], journey_of: dict[int, int], journey_id: int
) -> str | None:
    for other in taps.values():
        if (
            other.tap_id < first.tap_id
            and journey_of[other.tap_id] != journey_id
            and (other.device_id, other.sequence, other.at)
            == (first.device_id, first.sequence, first.at)
        ):
            return (
                f"tap {first.sequence} of validator {first.device_id} was received twice "
                "and charged as two journeys"
            )
    return None


def _passback_of(
    first: _TapRow,
    flags: dict[int, int],
    taps: dict[int, _TapRow],
    journey_of: dict[int, int],
    journey_id: int,
) -> str | None:
    earlier = taps.get(flags.get(first.tap_id, -1))
    if earlier is None or journey_of[earlier.tap_id] == journey_id or earlier.role != first.role:
        return None
    same_bus = first.role == "bus" and first.trip_instance is not None
    same_bus = same_bus and earlier.trip_instance == first.trip_instance
    same_gates = first.role == "gate_entry" and first.stop_id is not None
    same_gates = same_gates and earlier.stop_id == first.stop_id
    if not (same_bus or same_gates):
        return None
    gap = int((first.at - earlier.at).total_seconds())
    where = "two validators of the same bus" if same_bus else "two entry gates of the same stop"
    return f"the card was read by {where} {gap} s apart and charged for two rides"


def _capped(session: Session, fingerprint: str, day: date) -> bool:
    limited = session.scalar(
        select(Journey.id)
        .where(
            Journey.fingerprint == fingerprint,
            # A horizon past the last date there is ends on that date.
            Journey.travel_day.between(day, min(day, date.max - CAP_HORIZON) + CAP_HORIZON),
            Journey.limited_by.is_not(None),
        )
        .limit(1)
    )
    return limited is not None


def _internal(session: Session, case: SupportCase, text: str, now: datetime) -> None:
    cases.add_note(session, case, author="system", body=text, internal=True, now=now)


def _nothing_found(check: ChargeCheck, day: date) -> str:
    if check.journeys == 0:
        return (
            f"Automatic check: the card has no reconciled journeys on travel day "
            f"{day.isoformat()} (the day may not be reconciled yet). Left open for staff."
        )
    text = (
        f"Automatic check: no duplicate charge among the card's {check.journeys} journeys of "
        f"travel day {day.isoformat()} (no replayed tap, no missed passback at one place)."
    )
    if check.already_refunded:
        text += f" Duplicates were refunded already on {', '.join(check.already_refunded)}."
    return text + " Left open for staff."


def _capped_text(check: ChargeCheck, day: date) -> str:
    amounts = ", ".join(
        amount_text(found.journey.charged_minor, found.journey.currency) or "0"
        for found in check.duplicates
    )
    return (
        f"Automatic check: {len(check.duplicates)} duplicate charge(s) found on travel day "
        f"{day.isoformat()} ({amounts}), but a fare cap limited the card's charges that week, "
        "so the amount actually lost needs working out by hand. Left open for staff."
    )
