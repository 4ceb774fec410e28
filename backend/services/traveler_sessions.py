"""Travelers' sessions on the traveler pages: started at sign-up or sign-in, looked up on the
pages that show the account, ended at sign-out, when they expire, or with the account.

As with staff sessions (``staff_sessions``), a session is named by a random token (``fgt_`` +
43 characters) that the browser keeps in its signed session cookie, under a key of its own;
the database keeps only its SHA-256 digest, the account and the times. A session ends
``lifetime`` after signing in (``traveler_session_days``). A new token is made at every
sign-in, so a token known before signing in is worth nothing after it; erasing an account
deletes its sessions with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.auth.tokens import digest_of, issue_token
from backend.models import TravelerAccount, TravelerSession
from backend.services.staff_sessions import write_alone

SESSION_MARKER = "fgt_"


@dataclass(frozen=True)
class SignedInTraveler:
    """The account behind a live session, as read on this request."""

    account_id: int
    email: str


def start(session: Session, account_id: int, *, lifetime: timedelta, now: datetime) -> str:
    """A new session for the account; its token, to keep in the cookie (never stored)."""
    issued = issue_token(SESSION_MARKER)
    session.commit()  # start with the write (see write_alone)
    session.execute(delete(TravelerSession).where(TravelerSession.expires_at <= now))
    session.add(
        TravelerSession(
            token_digest=issued.digest,
            account_id=account_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.commit()
    return issued.plaintext


def find(session: Session, token: str, *, now: datetime) -> SignedInTraveler | None:
    """The account of the live session named by ``token``; an expired session is deleted."""
    if not token.startswith(SESSION_MARKER):
        return None
    found = session.execute(
        select(
            TravelerSession.id,
            TravelerSession.expires_at,
            TravelerAccount.id,
            TravelerAccount.email,
        )
        .join(TravelerAccount, TravelerAccount.id == TravelerSession.account_id)
        .where(TravelerSession.token_digest == digest_of(token))
    ).first()
    if found is None:
        return None  # ended elsewhere, swept after expiring, or its account erased
    session_id, expires_at, account_id, email = found
    if now >= expires_at:
        write_alone(session, delete(TravelerSession).where(TravelerSession.id == session_id))
        return None
    return SignedInTraveler(account_id, email)


def end(session: Session, token: str) -> None:
    """End the session named by ``token`` (nothing happens for an unknown one)."""
    write_alone(
        session, delete(TravelerSession).where(TravelerSession.token_digest == digest_of(token))
    )
