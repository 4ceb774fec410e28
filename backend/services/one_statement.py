"""PostgreSQL's rush path: a hold's writes, or a confirmation's, as one statement of its own.

On PostgreSQL a hold's row and its seat claims are inserted by one statement, and confirming a
hold (the hold, its claims, the booking and its passengers) is one statement too. Each runs
outside any explicit transaction (``write_sessions.single_statements``): a statement is atomic
by itself, and the exclusion constraint refuses an overlapping claim just as it does inside a
transaction. The confirming statement also writes the booking's passengers at the hold's fare
and one ticket per passenger (``tickets``). Each statement first takes the claim writers'
locks of its seats (``write_sessions.lock_claim_writers``). This spares a booking the BEGIN and
COMMIT round trips and the separate statements of the general path, which remains the path for
SQLite, for requests with an ``Idempotency-Key``, for unassigned places and for every refusal:
when the confirming statement finds no live seat hold to confirm, the general path runs and
says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from backend.db import Executor
from backend.lean_statements import LeanStatement
from backend.services.hold_pricing import RESERVATION_PRODUCT
from backend.services.reservation_store import HoldRow, new_reference
from backend.services.write_sessions import CLAIM_WRITERS_LOCK_CLASS

_HOLD_COLUMNS = (
    "id",
    "trip_instance",
    "board",
    "alight",
    "board_stop_id",
    "alight_stop_id",
    "seat_class",
    "party",
    "status",
    "assignment",
    "created_at",
    "expires_at",
    "fare_product_id",
    "fare_amount",
    "currency",
    "rider_category_id",
    "valid_from",
    "valid_until",
)

# The hold, then its claims in the order of ``seats`` (claim ids keep that order), only while
# the feed version the hold was resolved in is the active one and the trip is not cancelled.
_INSERT_HOLD = LeanStatement(
    text(
        """
    WITH writers AS MATERIALIZED (
        SELECT pg_advisory_xact_lock(CAST(:lock_class AS integer), key)
        FROM (SELECT DISTINCT hashtext(CAST(:trip_instance AS text) || ' ' || seat) AS key
              FROM unnest(CAST(:seats AS text[])) AS chosen (seat) ORDER BY key) AS keys
    ), locked AS (
        SELECT count(*) AS seats FROM writers
    ), held AS (
        INSERT INTO hold (id, trip_instance, board, alight, board_stop_id, alight_stop_id,
                          seat_class, party, status, assignment, created_at, expires_at,
                          fare_product_id, fare_amount, currency, rider_category_id,
                          valid_from, valid_until)
        SELECT :id, :trip_instance, :board, :alight, :board_stop_id, :alight_stop_id,
               :seat_class, :party, :status, :assignment, :created_at, :expires_at,
               :fare_product_id, :fare_amount, :currency, :rider_category_id,
               :valid_from, :valid_until
        FROM locked, active_feed
        WHERE active_feed.id = 1 AND active_feed.feed_version_id = :version
          AND NOT EXISTS (SELECT FROM trip_cancellation WHERE trip_instance = :trip_instance)
        RETURNING id
    )
    INSERT INTO seat_claim (hold_id, trip_instance, seat, board, alight, expires_at)
    SELECT held.id, :trip_instance, chosen.seat, :board, :alight, :expires_at
    FROM held, unnest(CAST(:seats AS text[])) WITH ORDINALITY AS chosen (seat, n)
    ORDER BY chosen.n
    RETURNING seat_claim.id
    """
    )
)

# A live seat hold for exactly as many travelers as are named, on a trip not cancelled:
# confirmed, its claims made permanent, the booking, its passengers (seated in claim order,
# each at the hold's fare) and one ticket per passenger recorded. No row comes back when there
# is no such hold.
_CONFIRM = LeanStatement(
    text(
        """
    WITH writers AS MATERIALIZED (
        SELECT pg_advisory_xact_lock(CAST(:lock_class AS integer), key)
        FROM (SELECT DISTINCT hashtext(trip_instance || ' ' || seat) AS key
              FROM seat_claim WHERE hold_id = :hold_id ORDER BY key) AS keys
    ), locked AS (
        SELECT count(*) AS seats FROM writers
    ), held AS (
        UPDATE hold SET status = 'confirmed', ended_at = :now
        FROM locked
        WHERE id = :hold_id AND status = 'held' AND expires_at > :now AND party = :party
          AND assignment IS DISTINCT FROM 'places'
          AND NOT EXISTS (SELECT FROM trip_cancellation
                          WHERE trip_cancellation.trip_instance = hold.trip_instance)
        RETURNING id, trip_instance, board_stop_id, alight_stop_id, seat_class, party,
                  fare_product_id, fare_amount, currency, rider_category_id,
                  coalesce(valid_from, :now) AS valid_from,
                  coalesce(valid_until, :unpriced_until) AS valid_until
    ), claims AS (
        UPDATE seat_claim SET expires_at = NULL
        WHERE hold_id = (SELECT id FROM held)
        RETURNING id, seat
    ), seated AS (
        SELECT seat, row_number() OVER (ORDER BY id) - 1 AS position FROM claims
    ), booked AS (
        INSERT INTO booking (reference, hold_id, trip_instance, status, contact_email, created_at,
                             total_amount, currency)
        SELECT :reference, id, trip_instance, 'confirmed', :email, :now,
               fare_amount * party, currency
        FROM held
        RETURNING id
    ), named AS (
        INSERT INTO booking_passenger (booking_id, position, name, seat, seat_class,
                                       rider_category_id, fare_product_id, fare_amount)
        SELECT booked.id, named.n - 1, named.name, seated.seat, coalesce(held.seat_class, ''),
               held.rider_category_id, held.fare_product_id, held.fare_amount
        FROM booked CROSS JOIN held
        CROSS JOIN unnest(CAST(:names AS text[])) WITH ORDINALITY AS named (name, n)
        LEFT JOIN seated ON seated.position = named.n - 1
        RETURNING position, seat, seat_class
    ), ticketed AS (
        INSERT INTO ticket (id, kind, booking_id, passenger_position, product_id,
                            rider_category_id, trip_instance, seat, board_stop_id,
                            alight_stop_id, kid, issued_at, valid_from, valid_until)
        SELECT ticket.id, 'reserved', booked.id, ticket.n - 1,
               coalesce(held.fare_product_id, :reservation), held.rider_category_id,
               held.trip_instance, seated.seat,
               held.board_stop_id, held.alight_stop_id, :kid, :now, held.valid_from,
               held.valid_until
        FROM booked CROSS JOIN held
        CROSS JOIN unnest(CAST(:ticket_ids AS text[])) WITH ORDINALITY AS ticket (id, n)
        LEFT JOIN seated ON seated.position = ticket.n - 1
        RETURNING id
    )
    SELECT held.trip_instance, held.board_stop_id, held.alight_stop_id,
           (SELECT array_agg(seat ORDER BY position) FROM named) AS seats,
           (SELECT min(seat_class) FROM named) AS seat_class,
           held.fare_product_id, held.fare_amount, held.currency
    FROM held
    """
    )
)


def insert_hold(session: Executor, hold: HoldRow, seats: Sequence[str], *, version: int) -> bool:
    """Insert ``hold`` and a claim on each of ``seats`` over its legs, in one statement, if
    feed ``version`` is still the active one; whether it was."""
    values: dict[str, Any] = {name: getattr(hold, name) for name in _HOLD_COLUMNS}
    values["seats"] = list(seats)
    values["lock_class"] = CLAIM_WRITERS_LOCK_CLASS
    values["version"] = version
    return bool(_INSERT_HOLD.rows(session, values))


@dataclass(frozen=True)
class Confirmed:
    """What one confirming statement recorded."""

    reference: str
    trip_instance: str
    board_stop_id: str
    alight_stop_id: str
    seats: tuple[str | None, ...]
    seat_class: str
    fare_product_id: str | None
    fare_amount: int | None
    currency: str | None


@dataclass(frozen=True)
class Ticketing:
    """What the tickets of a booking being confirmed are issued with."""

    kid: int
    ticket_ids: Sequence[str]
    unpriced_until: datetime  # the validity end of a ticket whose hold predates pricing


def confirm_hold(
    session: Executor,
    hold_id: str,
    names: Sequence[str],
    email: str,
    *,
    now: datetime,
    ticketing: Ticketing,
) -> Confirmed | None:
    """Confirm a live seat hold for ``names`` in one statement, issuing their tickets; None
    when there is no such hold."""
    while True:
        reference = new_reference()
        try:
            rows = _CONFIRM.rows(
                session,
                {
                    "hold_id": hold_id,
                    "party": len(names),
                    "names": list(names),
                    "email": email,
                    "now": now,
                    "reference": reference,
                    "lock_class": CLAIM_WRITERS_LOCK_CLASS,
                    "kid": ticketing.kid,
                    "ticket_ids": list(ticketing.ticket_ids),
                    "unpriced_until": ticketing.unpriced_until,
                    "reservation": RESERVATION_PRODUCT,
                },
            )
        except IntegrityError as error:
            if "uq_booking_reference" in str(error.orig):
                session.rollback()
                continue  # the reference was taken (the whole statement was undone): draw again
            raise
        if not rows:
            return None
        trip_instance, board, alight, seats, seat_class, product, amount, currency = rows[0]
        return Confirmed(
            reference, trip_instance, board, alight, tuple(seats), seat_class, product, amount,
            currency,
        )  # fmt: skip
