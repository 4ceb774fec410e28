"""Consistency check of the deny list against the tickets (``backend.models.tickets``).

Devices decide offline, so a ticket that must no longer open a gate has to be on the deny
list their rule bundles carry (``rule_bundles.current_deny_list``: every entry not yet past
its own expiry) for as long as the ticket is valid. A ticket must be denied when it was
revoked, when its booking was cancelled, or when its trip instance was cancelled and the
re-accommodation of that trip is done (its bookings were all moved or refunded, so a booking
still confirmed there is one the re-accommodation missed). While a cancellation is still
pending, its tickets not yet denied are a warning: the job runner resumes it.

Conversely nothing still good may be denied: a current entry must name a known ticket that
was revoked or whose booking was cancelled, and a ticket of a confirmed booking must not be
revoked. Tickets past their validity are left alone: devices refuse them anyway, and their
entries may drop off the list. Denied account media (``kind = 'media'``) have no ticket to
compare with and are not checked.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.orm import Session

from backend.models import Booking, DenyEntry, Ticket, TripCancellation
from backend.services.consistency import CheckOptions, CheckResult, Findings, Status, plural
from backend.services.rule_bundles import current_deny_list


def check_deny_list(connection: Connection, options: CheckOptions) -> CheckResult:
    """Every ticket that must be denied is on the devices' deny list, and no good one is."""
    with Session(bind=connection) as session:
        denied = current_deny_list(session, options.now).tickets
    found, pending = Findings(), Findings()
    _undenied(connection, options, denied, found, pending)
    _early_expiry(connection, options, found)
    _wrongly_denied(connection, options, found)
    scope = f"{plural(len(denied), 'denied ticket')} checked against the tickets still valid"
    if found.count:
        return found.result(
            "deny_list", ok="", failed=f"{plural(found.count, 'problem')} with the deny list"
        )
    return pending.result(
        "deny_list",
        ok=scope,
        failed=f"{plural(pending.count, 'ticket')} of cancelled trips await re-accommodation",
        status=Status.WARN,
    )


def _undenied(
    connection: Connection,
    options: CheckOptions,
    denied: frozenset[str],
    found: Findings,
    pending: Findings,
) -> None:
    """Valid tickets that must be denied and are not."""
    rows = connection.execute(
        select(
            Ticket.id,
            Ticket.revoked_at,
            Booking.reference,
            Booking.status,
            TripCancellation.trip_instance,
            TripCancellation.status,
        )
        .outerjoin(Booking, Booking.id == Ticket.booking_id)
        .outerjoin(TripCancellation, TripCancellation.trip_instance == Booking.trip_instance)
        .where(
            Ticket.valid_until > options.now,
            or_(
                Ticket.revoked_at.is_not(None),
                Booking.status == "cancelled",
                TripCancellation.trip_instance.is_not(None),
            ),
        )
        .order_by(Ticket.id)
    )
    for ticket_id, revoked_at, reference, booking_status, cancelled_trip, progress in rows:
        if ticket_id in denied:
            continue
        subject = f"ticket {ticket_id}"
        if revoked_at is not None:
            found.add(subject, "revoked but not on the deny list devices receive")
        elif booking_status == "cancelled":
            found.add(subject, f"of cancelled booking {reference}, not on the deny list")
        elif progress == "done":
            found.add(
                subject,
                f"of booking {reference}, still confirmed on cancelled trip {cancelled_trip} "
                "whose re-accommodation is done, not on the deny list",
            )
        else:
            pending.add(
                subject,
                f"of booking {reference} on cancelled trip {cancelled_trip}, "
                "re-accommodation pending",
            )


def _early_expiry(connection: Connection, options: CheckOptions, found: Findings) -> None:
    """Entries that leave the list before their ticket's validity ends."""
    rows = connection.execute(
        select(Ticket.id, DenyEntry.expires_at, Ticket.valid_until)
        .join(DenyEntry, and_(DenyEntry.kind == "ticket", DenyEntry.value == Ticket.id))
        .where(
            Ticket.valid_until > options.now,
            DenyEntry.expires_at.is_not(None),
            DenyEntry.expires_at < Ticket.valid_until,
        )
        .order_by(Ticket.id)
    )
    for ticket_id, expires_at, valid_until in rows:
        found.add(
            f"ticket {ticket_id}",
            f"its deny entry expires at {expires_at}, before the ticket's validity ends at "
            f"{valid_until}",
        )


def _wrongly_denied(connection: Connection, options: CheckOptions, found: Findings) -> None:
    """Current entries naming no ticket, or a ticket still good; revoked good tickets."""
    current = or_(DenyEntry.expires_at.is_(None), DenyEntry.expires_at > options.now)
    rows = connection.execute(
        select(DenyEntry.id, DenyEntry.value, Ticket.id, Booking.reference)
        .outerjoin(Ticket, Ticket.id == DenyEntry.value)
        .outerjoin(Booking, Booking.id == Ticket.booking_id)
        .where(DenyEntry.kind == "ticket", current)
        .where(
            or_(
                Ticket.id.is_(None),
                and_(
                    Ticket.revoked_at.is_(None),
                    func.coalesce(Booking.status, "confirmed") == "confirmed",
                ),
            )
        )
        .order_by(DenyEntry.id)
    )
    for entry_id, value, ticket_id, reference in rows:
        if ticket_id is None:
            found.add(f"deny entry {entry_id}", f"names {value}, which is no known ticket")
        else:
            owner = f"of confirmed booking {reference}" if reference else "not revoked"
            found.add(f"ticket {ticket_id}", f"denied, but it is {owner}: a good ticket denied")
    revoked = connection.execute(
        select(Ticket.id, Booking.reference)
        .join(Booking, Booking.id == Ticket.booking_id)
        .outerjoin(TripCancellation, TripCancellation.trip_instance == Booking.trip_instance)
        .where(
            Ticket.valid_until > options.now,
            Ticket.revoked_at.is_not(None),
            Booking.status == "confirmed",
            TripCancellation.trip_instance.is_(None),
        )
        .order_by(Ticket.id)
    )
    for ticket_id, reference in revoked:
        found.add(f"ticket {ticket_id}", f"revoked, but its booking {reference} is confirmed")
