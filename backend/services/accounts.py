"""Staff accounts and API tokens: create, authenticate, scope and revoke.

Every function takes the session and ``now`` from its caller and commits its own work, so a
refusal (a ``ServiceError``) leaves the database as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.auth.passwords import hash_password, password_problem, verify_password
from backend.auth.roles import Role, grants, parse_role
from backend.auth.tokens import TOKEN_PREFIX, digest_of, issue_token
from backend.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
)
from backend.models import ApiToken, StaffUser

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a staff user acting through one token with one role."""

    user_id: int
    email: str
    role: Role
    token_id: int


def create_user(
    session: Session, email: str, password: str, role: str, *, now: datetime
) -> StaffUser:
    """Create an active staff user; the email is stored in lower case."""
    address = _normalized_email(email)
    checked_role = _role(role)
    problem = password_problem(password)
    if problem:
        raise ServiceError("weak_password", problem, status=422)
    user = StaffUser(
        email=address,
        password_hash=hash_password(password),
        role=checked_role.value,
        active=True,
        created_at=now,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ConflictError("email_taken", f"a staff user {address} already exists") from exc
    return user


def list_users(session: Session) -> list[StaffUser]:
    """Every staff user, oldest first."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.id)))


def find_user(session: Session, email: str) -> StaffUser:
    """The staff user with ``email``."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise NotFoundError("user_not_found", f"no staff user {email}")
    return user


def set_password(session: Session, email: str, password: str) -> None:
    """Replace a user's password."""
    problem = password_problem(password)
    if problem:
        raise ServiceError("weak_password", problem, status=422)
    user = find_user(session, email)
    user.password_hash = hash_password(password)
    session.commit()


def set_active(session: Session, email: str, active: bool) -> StaffUser:
    """Enable or disable a user; a disabled user's tokens stop working at once."""
    user = find_user(session, email)
    user.active = active
    session.commit()
    return user


def check_password(session: Session, email: str, password: str) -> StaffUser:
    """The active user with these credentials; one error code whatever was wrong."""
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise AuthenticationError("invalid_credentials", "email or password is wrong")
    return user


def create_token(
    session: Session,
    user: StaffUser,
    *,
    name: str,
    role: str | None,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for ``user`` scoped to ``role`` (default: the user's own role).

    A user can only hand out a role they hold. Returns the stored row and the plaintext,
    which is never stored and cannot be shown again.
    """
    scoped = _role(role) if role else Role(user.role)
    if not grants(Role(user.role), scoped):
        raise PermissionDeniedError(
            "role_not_held", f"{user.email} is {user.role} and cannot issue a {scoped} token"
        )
    if not name.strip():
        raise ServiceError("invalid_name", "a token needs a name", status=422)
    if expires_at is not None and expires_at <= now:
        raise ServiceError("invalid_expiry", "a token must expire in the future", status=422)
    issued = issue_token()
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        role=scoped.value,
        prefix=issued.prefix,
        digest=issued.digest,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.commit()
    return token, issued.plaintext


def issue_token_for(
    session: Session,
    principal: Principal,
    *,
    name: str,
    role: str | None,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token to the caller; a token can mint tokens of its own role only (admins: any)."""
    scoped = _role(role) if role else principal.role
    if not grants(principal.role, scoped):
        raise PermissionDeniedError(
            "role_not_held", f"a {principal.role} token cannot issue a {scoped} token"
        )
    user = session.get(StaffUser, principal.user_id)
    if user is None:
        raise NotFoundError("user_not_found", f"no staff user {principal.email}")
    return create_token(session, user, name=name, role=scoped.value, now=now, expires_at=expires_at)


def list_tokens(session: Session, user_id: int | None = None) -> list[ApiToken]:
    """Tokens, newest first; only ``user_id``'s when given."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))


def revoke_token(
    session: Session, token_id: int, *, now: datetime, by: Principal | None = None
) -> ApiToken:
    """Revoke a token; ``by`` (when given) must own it or be an admin. Revoking twice is fine."""
    token = session.get(ApiToken, token_id)
    if token is None or (
        by is not None and by.role is not Role.ADMIN and token.user_id != by.user_id
    ):
        raise NotFoundError("token_not_found", f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
        session.commit()
    return token


def authenticate(session: Session, presented: str, *, now: datetime) -> Principal:
    """The principal behind a presented bearer token, checked against the database now."""
    if not presented.startswith(TOKEN_PREFIX):
        raise AuthenticationError("invalid_token", "the bearer token is not a Faregate token")
    token = session.scalar(select(ApiToken).where(ApiToken.digest == digest_of(presented)))
    if token is None:
        raise AuthenticationError("invalid_token", "the bearer token is not known")
    if token.revoked_at is not None:
        raise AuthenticationError("token_revoked", "the bearer token has been revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise AuthenticationError("token_expired", "the bearer token has expired")
    user = token.user
    if not user.active:
        raise AuthenticationError("account_disabled", "the token's user is disabled")
    scoped = Role(token.role)
    if not grants(Role(user.role), scoped):
        raise AuthenticationError(
            "token_role_withdrawn", "the token's role is no longer held by its user"
        )
    return Principal(user_id=user.id, email=user.email, role=scoped, token_id=token.id)


def _normalized_email(email: str) -> str:
    address = email.strip().lower()
    if not _EMAIL.match(address) or len(address) > 254:
        raise ServiceError("invalid_email", f"{email!r} is not an email address", status=422)
    return address


def _role(value: str) -> Role:
    role = parse_role(value)
    if role is None:
        choices = ", ".join(r.value for r in Role)
        raise ServiceError("invalid_role", f"role must be one of {choices}", status=422)
    return role
