"""Staff sessions of the web console: started at sign-in, looked up on every page, ended at
sign-out or when they expire.

A session is named by a random token (``fgs_`` + 43 characters) that the browser keeps in the
signed session cookie; the database keeps only its SHA-256 digest, the user and the times.
A session ends after ``idle`` without a request or ``lifetime`` after sign-in, whichever
comes first; one still waiting for the second factor ends ``SECOND_FACTOR_TIME`` after the
password was given. A new token is made at every sign-in and again when the second factor is
given, so a token known before signing in (a fixed session) is worth nothing after it.
Disabling a user ends their sessions on their next request, since the user is read each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Executable, delete, select, update
from sqlalchemy.orm import Session

from backend.auth.roles import Role
from backend.auth.tokens import digest_of, issue_token
from backend.models import StaffSession, StaffTwoFactor, StaffUser

SESSION_MARKER = "fgs_"
SECOND_FACTOR_TIME = timedelta(minutes=5)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions last: without a request (``idle``) and at most (``lifetime``)."""

    idle: timedelta
    lifetime: timedelta


@dataclass(frozen=True)
class SignedIn:
    """The staff member behind a live session, as read on this request."""

    session_id: int
    user_id: int
    email: str
    role: Role
    second_factor_due: bool
    two_factor_enabled: bool


@dataclass(frozen=True)
class Lookup:
    """What a session token leads to: a signed-in member, or nothing (``expired`` says why)."""

    staff: SignedIn | None
    expired: bool = False


def start(
    session: Session,
    user: StaffUser,
    *,
    second_factor_due: bool,
    address: str,
    policy: SessionPolicy,
    now: datetime,
) -> str:
    """A new session for ``user``; its token, to keep in the cookie (never stored)."""
    issued = issue_token(SESSION_MARKER)
    lifetime = SECOND_FACTOR_TIME if second_factor_due else policy.lifetime
    session.commit()  # start with the write (see write_alone)
    session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    session.add(
        StaffSession(
            token_digest=issued.digest,
            user_id=user.id,
            second_factor_due=second_factor_due,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            address=address[:64],
        )
    )
    session.commit()
    return issued.plaintext


def find(session: Session, token: str, *, policy: SessionPolicy, now: datetime) -> Lookup:
    """The live session named by ``token``; an expired one is deleted."""
    if not token.startswith(SESSION_MARKER):
        return Lookup(None)
    row = session.scalar(select(StaffSession).where(StaffSession.token_digest == digest_of(token)))
    if row is None:
        return Lookup(None, expired=True)  # ended elsewhere, or swept after expiring
    user = session.get(StaffUser, row.user_id)
    idle_end = row.last_seen_at + (SECOND_FACTOR_TIME if row.second_factor_due else policy.idle)
    if user is None or not user.active or now >= min(row.expires_at, idle_end):
        write_alone(session, delete(StaffSession).where(StaffSession.id == row.id))
        return Lookup(None, expired=True)
    if now - row.last_seen_at >= TOUCH_EVERY and not row.second_factor_due:
        write_alone(
            session,
            update(StaffSession)
            .where(StaffSession.id == row.id, StaffSession.last_seen_at <= now - TOUCH_EVERY)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False),
        )
    return Lookup(
        SignedIn(
            session_id=row.id,
            user_id=user.id,
            email=user.email,
            role=Role(user.role),
            second_factor_due=row.second_factor_due,
            two_factor_enabled=_two_factor_enabled(session, user.id),
        )
    )


def end(session: Session, token: str) -> None:
    """End the session named by ``token`` (nothing happens for an unknown one)."""
    write_alone(session, delete(StaffSession).where(StaffSession.token_digest == digest_of(token)))


def end_all(session: Session, user_id: int) -> None:
    """End every session of a user (e.g. after their two-factor sign-in was reset)."""
    write_alone(session, delete(StaffSession).where(StaffSession.user_id == user_id))


def write_alone(session: Session, statement: Executable) -> None:
    """Run one write in a transaction of its own, after ending the reads before it (travelers'
    sessions write the same way).

    A page's images load in parallel, each looking its session up; on SQLite a transaction
    that read before another writer committed could not write, while one that starts with
    its write waits its turn.
    """
    session.commit()
    session.execute(statement)
    session.commit()


def _two_factor_enabled(session: Session, user_id: int) -> bool:
    confirmed = session.scalar(
        select(StaffTwoFactor.confirmed_at).where(StaffTwoFactor.user_id == user_id)
    )
    return confirmed is not None
