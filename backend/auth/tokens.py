"""API bearer tokens: ``fg_`` + 43 random URL-safe characters, stored as a SHA-256 digest.

A token carries 256 bits of randomness, so a fast digest is enough to keep a stolen table
useless (unlike passwords, which get Argon2). The first characters are kept in clear as a
``prefix`` so people can tell their tokens apart in listings.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "fg_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = 10


@dataclass(frozen=True)
class IssuedToken:
    """A freshly made token: ``plaintext`` is shown once and never stored."""

    plaintext: str
    prefix: str
    digest: str


def issue_token(marker: str = TOKEN_PREFIX) -> IssuedToken:
    """Make a new random token, starting with ``marker`` (what kind of token it is)."""
    plaintext = marker + secrets.token_urlsafe(32)
    return IssuedToken(plaintext, plaintext[:PREFIX_LENGTH], digest_of(plaintext))


def digest_of(plaintext: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()
