"""Tickets: issued with bookings and passes, shown with their signed credential, revoked.

A ticket's credential (``fares.credentials``) is made from the ticket's row whenever it is
asked for, with the key of the row's ``kid``; Ed25519 signatures are deterministic, so the
same ticket always gives the same bytes, and a credential lost by a traveler can be fetched
again. A ticket id is 8 random bytes (hex): knowing it is holding the ticket, as the QR code
carries it anyway. Revoking a ticket (a cancelled booking) puts it on the deny list that rule
bundles carry to validators. Deny entries are added under the deny-list writers' lock
(``lock_deny_list``), so that their ids grow in commit order, as deny-list deltas rely on.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import segno
from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.orm import Session

from backend.errors import NotFoundError
from backend.models import DenyEntry, Ticket
from backend.services.signing_keys import KeyringError, KeyringFile
from fares.credentials import Credential, Reservation, issue, new_ticket_id
from fares.keys import epoch_seconds
from fares.media import ndef_message, qr_text

TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
DENY_ENTRIES: Table = DenyEntry.__table__  # type: ignore[assignment]
QR_FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
# (class, key) of the advisory lock of deny-list writers; 7318 is Faregate's lock class.
DENY_WRITERS_LOCK = (7318, 2)


def new_ticket_ids(count: int) -> list[str]:
    """Fresh ticket ids for ``count`` travelers."""
    return [new_ticket_id() for _ in range(count)]


def credential_of(ticket: Ticket) -> Credential:
    """The credential a ticket's row stands for (an empty rider category is the feed's
    default one)."""
    reservation = None
    if ticket.trip_instance is not None:
        reservation = Reservation(
            ticket.trip_instance,
            ticket.seat,
            ticket.board_stop_id or "",
            ticket.alight_stop_id or "",
        )
    return Credential(
        kid=ticket.kid,
        ticket_id=ticket.id,
        product_id=ticket.product_id,
        rider_category=ticket.rider_category_id or "",
        issued_at=epoch_seconds(ticket.issued_at),
        valid_from=epoch_seconds(ticket.valid_from),
        valid_until=epoch_seconds(ticket.valid_until),
        reservation=reservation,
    )


def signed_credential(ticket: Ticket, keyring: KeyringFile) -> bytes:
    """The credential's signed bytes; 503 when the key that issued it is gone."""
    key = keyring.get().key(ticket.kid)
    if key is None:
        raise KeyringError(
            "signing_key_gone", f"the key {ticket.kid} that issued ticket {ticket.id} is gone"
        )
    return issue(credential_of(ticket), key)


def find_ticket(session: Session, ticket_id: str) -> Ticket:
    """One ticket; 404 ``ticket_not_found``."""
    ticket = session.get(Ticket, ticket_id.lower())
    if ticket is None:
        raise NotFoundError("ticket_not_found", f"no ticket {ticket_id}")
    return ticket


def ticket_body(ticket: Ticket, keyring: KeyringFile, now: datetime) -> dict[str, Any]:
    """A ticket as the API shows it, with its credential as QR text and NDEF message."""
    blob = signed_credential(ticket, keyring)
    return {
        "id": ticket.id,
        "kind": ticket.kind,
        "status": ticket_status(ticket, now),
        "product_id": ticket.product_id,
        "rider_category": ticket.rider_category_id,
        "trip_instance": ticket.trip_instance,
        "seat": ticket.seat,
        "from": ticket.board_stop_id,
        "to": ticket.alight_stop_id,
        "valid_from": ticket.valid_from.isoformat(),
        "valid_until": ticket.valid_until.isoformat(),
        "issued_at": ticket.issued_at.isoformat(),
        "qr_text": qr_text(blob),
        "ndef": base64.b64encode(ndef_message(blob)).decode("ascii"),
    }


def ticket_status(ticket: Ticket, now: datetime) -> str:
    """revoked, expired or valid."""
    if ticket.revoked_at is not None:
        return "revoked"
    return "expired" if ticket.valid_until <= now else "valid"


def qr_image(ticket: Ticket, keyring: KeyringFile, kind: str) -> bytes:
    """The ticket's QR code as an SVG or PNG image (``kind`` is a key of QR_FORMATS)."""
    code = segno.make_qr(qr_text(signed_credential(ticket, keyring)), error="m")
    out = io.BytesIO()
    code.save(out, kind=kind, scale=6, border=4)
    return out.getvalue()


def booking_ticket_ids(session: Session, booking_id: int) -> list[str]:
    """The ids of a booking's tickets, in passenger order."""
    return list(
        session.scalars(
            select(Ticket.id)
            .where(Ticket.booking_id == booking_id)
            .order_by(Ticket.passenger_position)
        )
    )


def insert_booking_tickets(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write the tickets of a booking being confirmed (one row per passenger)."""
    session.connection().execute(insert(TICKETS), list(rows))


def revoke_booking_tickets(session: Session, booking_id: int, now: datetime) -> None:
    """Revoke a booking's tickets and put them on the deny list."""
    revoked = session.execute(
        update(TICKETS)
        .where(TICKETS.c.booking_id == booking_id, TICKETS.c.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(TICKETS.c.id, TICKETS.c.valid_until)
    ).all()
    if revoked:
        lock_deny_list(session)
        session.execute(
            insert(DENY_ENTRIES),
            [
                {
                    "kind": "ticket",
                    "value": ticket_id,
                    "reason": "cancelled",
                    "added_at": now,
                    "expires_at": valid_until,
                }
                for ticket_id, valid_until in revoked
            ],
        )


def lock_deny_list(session: Session) -> None:
    """Hold the deny-list writers' lock until the transaction ends, before adding entries.

    On PostgreSQL an entry's id is drawn when it is inserted but seen when its transaction
    commits: two writers at once could make entry 7 visible before entry 6, and a delta from a
    list that held 7 would then never carry 6. One writer at a time makes ids grow in commit
    order. SQLite lets one transaction write at a time anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        lock_class, key = DENY_WRITERS_LOCK
        session.execute(
            text("SELECT pg_advisory_xact_lock(:lock_class, :key)"),
            {"lock_class": lock_class, "key": key},
        )
