"""Password hashing with Argon2id (argon2-cffi's recommended parameters, RFC 9106's low-memory
choice: about 0.15 s a hash here). A hash names its own parameters, so hashes made with other
parameters still verify."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

PARAMETERS = profiles.RFC_9106_LOW_MEMORY
_hasher = PasswordHasher.from_parameters(PARAMETERS)

MIN_LENGTH = 12
MAX_LENGTH = 1024


def hash_password(password: str) -> str:
    """An encoded Argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(encoded: str, password: str) -> bool:
    """Whether ``password`` matches ``encoded``; a malformed hash never matches."""
    try:
        return _hasher.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def stand_in_hash() -> str:
    """A hash no password matches in practice: checked against when no account has the email
    given, so that signing in takes as long whether or not the account exists."""
    return hash_password("a password nobody has")


def password_problem(password: str) -> str | None:
    """Why ``password`` is not acceptable for a staff or traveler account, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    return None
