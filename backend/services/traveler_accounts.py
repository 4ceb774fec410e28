"""Travelers' optional accounts: signing up and signing in, and the bookings that belong to an
account (booked while signed in, or added with the proof the find page asks for).

Booking needs no account; an account only gathers a traveler's bookings under My trips
(``traveler_trips``). Its e-mail address is stored lower case and compared so; its password as
an Argon2id hash (``backend.auth.passwords``, the staff accounts' rules: 12 to 1024
characters). Signing in goes through the same rate limits as staff sign-in
(``login_throttle``, counted in the ``traveler`` realm): 5 attempts per e-mail and 20 per
client address in 15 minutes, unknown e-mails counted like known ones and checked as slowly.

Refusals: 400 ``invalid_email``, 422 ``weak_password``, 409 ``email_taken`` (signing up with an
address that has an account), 401 ``invalid_credentials`` (whichever of e-mail and password is
wrong), 429 ``login_locked``, 404 ``booking_not_found`` (a reference and contact e-mail that do
not match, whichever is wrong), 409 ``booking_in_another_account``, 401 ``sign_in_again`` (the
account is gone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.auth.passwords import hash_password, password_problem, stand_in_hash, verify_password
from backend.db import Database
from backend.errors import AuthenticationError, ConflictError, ServiceError
from backend.models import Booking, TravelerAccount, TravelerSession
from backend.services import login_throttle, traveler_sessions
from backend.services.bookings import booking_for
from backend.services.personal_data import normalized_email


@dataclass(frozen=True)
class AddedBooking:
    """A booking added to an account; ``already`` when it was in the account before."""

    reference: str
    already: bool


def sign_up(
    session: Session, email: str, password: str, *, lifetime: timedelta, now: datetime
) -> str:
    """Open an account and sign it in; the new session's token."""
    address = normalized_email(email)
    problem = password_problem(password)
    if problem:
        raise ServiceError("weak_password", problem, status=422)
    account = TravelerAccount(email=address, password_hash=hash_password(password), created_at=now)
    session.commit()  # end the reads before writing (SQLite)
    session.add(account)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError("email_taken", "that e-mail address already has an account") from exc
    return traveler_sessions.start(session, account.id, lifetime=lifetime, now=now)


def sign_in(
    database: Database,
    session: Session,
    email: str,
    password: str,
    *,
    address: str,
    lifetime: timedelta,
    now: datetime,
) -> str:
    """Check e-mail and password; the new session's token.

    The rate limits are kept in transactions of their own on ``database``; ``session`` does
    the rest.
    """
    attempt = login_throttle.begin_attempt(
        database, email, address, now=now, realm=login_throttle.TRAVELER
    )
    account = session.scalar(select(TravelerAccount).where(TravelerAccount.email == attempt.email))
    stored = account.password_hash if account is not None else stand_in_hash()
    if not verify_password(stored, password) or account is None:
        raise AuthenticationError("invalid_credentials", "e-mail address or password is wrong")
    session.commit()  # end the reads before other transactions write (SQLite)
    login_throttle.succeeded(database, attempt)
    return traveler_sessions.start(session, account.id, lifetime=lifetime, now=now)


def add_booking(database: Database, account_id: int, reference: str, email: str) -> AddedBooking:
    """Add the booking with ``reference`` and contact ``email`` to the account.

    A booking in another account stays there (409): it is that traveler's trip. Nothing is
    changed by a refusal.
    """
    with database.writer_sessions() as session:
        booking = booking_for(session, reference, email, lock=True)
        if session.get(TravelerAccount, account_id) is None:
            raise AuthenticationError("sign_in_again", "this account no longer exists")
        owner = booking.traveler_account_id
        if owner is not None and owner != account_id:
            raise ConflictError(
                "booking_in_another_account", "that booking is in another account's trips"
            )
        booking.traveler_account_id = account_id
        session.commit()
        return AddedBooking(booking.reference, already=owner == account_id)


def link_booking(session: Session, reference: str, account_id: int) -> None:
    """Make a booking just made by a signed-in traveler theirs, in the caller's transaction
    (nothing happens if the account was erased meanwhile, or the booking has an account)."""
    session.execute(
        update(Booking)
        .where(
            Booking.reference == reference,
            Booking.traveler_account_id.is_(None),
            exists().where(TravelerAccount.id == account_id),
        )
        .values(traveler_account_id=account_id)
        .execution_options(synchronize_session=False)
    )


def owns(session: Session, account_id: int, reference: str) -> bool:
    """Whether the booking with ``reference`` belongs to the account."""
    found = session.scalar(
        select(Booking.id).where(
            Booking.reference == reference.upper(), Booking.traveler_account_id == account_id
        )
    )
    return found is not None


def delete_account(session: Session, account_id: int) -> None:
    """Delete an account, in the caller's transaction (its erasure): its sessions end, and its
    bookings stay, in no account."""
    for statement in (
        update(Booking)
        .where(Booking.traveler_account_id == account_id)
        .values(traveler_account_id=None),
        delete(TravelerSession).where(TravelerSession.account_id == account_id),
        delete(TravelerAccount).where(TravelerAccount.id == account_id),
    ):
        session.execute(statement.execution_options(synchronize_session=False))
