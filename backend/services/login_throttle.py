"""Rate limits on signing in, shared by every server process through the database.

Each sign-in attempt (a password, or a second-factor code) is checked and recorded in one
writer transaction before the password is looked at: when the email already has
``ACCOUNT_LIMIT`` rows in ``login_failure`` within the last ``WINDOW``, or the client
address ``ADDRESS_LIMIT``, the attempt is refused (429 ``login_locked``) and nothing is
written; otherwise a row is added for it. A failed attempt keeps its row; a successful one
deletes every row of that email. A refused attempt leaves no row, so it does not lengthen
the lock.

- ``ACCOUNT_LIMIT`` = 5 attempts per email in 15 minutes, as a sliding window: after 5
  failures the next try is possible 15 minutes after the oldest of them, so a guesser gets at
  most 5 tries a quarter of an hour. Unknown emails are counted the same way, so the answer
  tells nothing about which accounts exist.
- ``ADDRESS_LIMIT`` = 20 attempts per client address in 15 minutes, against one client
  trying many accounts.

Staff signing in to the console and travelers signing in on the traveler pages are counted
apart (``realm``): a traveler account and a staff account may share an address, and neither's
failures may lock, nor its success unlock, the other.

Attempts on one email or address are serialized (PostgreSQL: transaction-level advisory
locks, email first then address; SQLite: the database's write lock), so attempts sent in
parallel are counted exactly: of many concurrent tries only the first ``ACCOUNT_LIMIT`` get
a password check.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from backend.db import Database
from backend.errors import ServiceError
from backend.models import LoginFailure

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
KEEP = timedelta(days=1)  # rows older than this are deleted as new ones come
# Advisory lock classes beside the seat-claim and reconciliation ones.
EMAIL_LOCK_CLASS = 0x46470003
ADDRESS_LOCK_CLASS = 0x46470004
STAFF = "staff"
TRAVELER = "traveler"


class LoginLockedError(ServiceError):
    """Too many recent failed sign-ins for this email or from this address."""

    status = 429

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(
            "login_locked",
            "Too many failed sign-ins for this account or from this address. "
            f"Try again after {retry_at:%H:%M} UTC.",
            details={"retry_at": retry_at.isoformat()},
        )
        self.retry_at = retry_at


@dataclass(frozen=True)
class Attempt:
    """An attempt let through: it counts as a failure unless ``succeeded`` is called."""

    email: str
    realm: str = STAFF


def begin_attempt(
    database: Database, email: str, address: str, *, now: datetime, realm: str = STAFF
) -> Attempt:
    """Record an attempt, or refuse it with ``LoginLockedError`` when a limit of ``realm`` is
    reached."""
    email = email.strip().lower()[:254]
    address = address[:64]
    with database.writer_sessions() as session:
        _serialize(
            session,
            [(EMAIL_LOCK_CLASS, f"{realm}:{email}"), (ADDRESS_LOCK_CLASS, f"{realm}:{address}")],
        )
        for column, key, limit in (
            (LoginFailure.email, email, ACCOUNT_LIMIT),
            (LoginFailure.address, address, ADDRESS_LIMIT),
        ):
            recent = session.scalars(
                select(LoginFailure.failed_at)
                .where(
                    LoginFailure.realm == realm,
                    column == key,
                    LoginFailure.failed_at > now - WINDOW,
                )
                .order_by(LoginFailure.failed_at)
            ).all()
            if len(recent) >= limit:
                # Free again once enough of them have left the window for one more try.
                raise LoginLockedError(max(recent[len(recent) - limit] + WINDOW, now))
        session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - KEEP))
        session.add(LoginFailure(realm=realm, email=email, address=address, failed_at=now))
        session.commit()
    return Attempt(email, realm)


def succeeded(database: Database, attempt: Attempt) -> None:
    """The attempt was right: forget it and the email's earlier failures in its realm."""
    with database.writer_sessions() as session:
        _serialize(session, [(EMAIL_LOCK_CLASS, f"{attempt.realm}:{attempt.email}")])
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.realm == attempt.realm, LoginFailure.email == attempt.email
            )
        )
        session.commit()


def _serialize(session: Session, locks: list[tuple[int, str]]) -> None:
    """On PostgreSQL, wait for other attempts on the same email, then address, to finish."""
    if session.get_bind().dialect.name != "postgresql":
        return  # a writer session holds SQLite's write lock already
    for lock_class, name in locks:
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)
        session.execute(
            text("SELECT pg_advisory_xact_lock(:lock_class, :key)"),
            {"lock_class": lock_class, "key": key},
        )
