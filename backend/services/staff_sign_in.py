"""Signing staff in to the web console: password, then the second factor when they have one.

Both steps go through the rate limits of ``login_throttle`` (counted per email and per client
address), and each success starts a fresh session token (``staff_sessions``): one waiting
for the second factor after the password, a full one after the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.passwords import stand_in_hash, verify_password
from backend.db import Database
from backend.errors import AuthenticationError
from backend.models import StaffUser
from backend.services import accounts, login_throttle, staff_sessions, two_factor
from backend.services.staff_sessions import SessionPolicy


@dataclass(frozen=True)
class SignInStep:
    """A step passed: the new session token, and what is still due."""

    token: str
    second_factor_due: bool
    recovery_codes_left: int | None = None  # after a recovery code was spent


def with_password(
    database: Database,
    session: Session,
    email: str,
    password: str,
    *,
    address: str,
    policy: SessionPolicy,
    now: datetime,
) -> SignInStep:
    """Check email and password; 401 ``invalid_credentials`` or 429 ``login_locked``.

    The rate limits are kept in transactions of their own on ``database``; ``session`` does
    the rest.
    """
    attempt = login_throttle.begin_attempt(database, email, address, now=now)
    known = session.scalar(select(StaffUser.id).where(StaffUser.email == attempt.email))
    if known is None:
        verify_password(stand_in_hash(), password)  # as slow as a real check
    user = accounts.check_password(session, email, password)
    session.commit()  # end the reads before other transactions write (SQLite)
    login_throttle.succeeded(database, attempt)
    due = two_factor.status(session, user.id).enabled
    token = staff_sessions.start(
        session, user, second_factor_due=due, address=address, policy=policy, now=now
    )
    return SignInStep(token, second_factor_due=due)


def with_second_factor(
    database: Database,
    session: Session,
    token: str,
    code: str,
    *,
    address: str,
    policy: SessionPolicy,
    now: datetime,
) -> SignInStep:
    """Check the code for a session waiting for it; a full session replaces that one."""
    pending = staff_sessions.find(session, token, policy=policy, now=now).staff
    if pending is None or not pending.second_factor_due:
        raise AuthenticationError("sign_in_again", "Your sign-in has expired; start again.")
    session.commit()  # end the reads before other transactions write (SQLite)
    attempt = login_throttle.begin_attempt(database, pending.email, address, now=now)
    verified = two_factor.verify(session, pending.user_id, code, now=now)
    if verified is None:
        raise AuthenticationError("invalid_code", "That code is not right.")
    login_throttle.succeeded(database, attempt)
    staff_sessions.end(session, token)
    user = session.get(StaffUser, pending.user_id)
    if user is None:  # deleted in between
        raise AuthenticationError("sign_in_again", "Your sign-in has expired; start again.")
    fresh = staff_sessions.start(
        session, user, second_factor_due=False, address=address, policy=policy, now=now
    )
    left = verified.recovery_codes_left if verified.method == "recovery" else None
    return SignInStep(fresh, second_factor_due=False, recovery_codes_left=left)
