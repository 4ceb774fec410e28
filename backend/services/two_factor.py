"""Two-factor sign-in for staff: TOTP codes (RFC 6238, pyotp) and one-time recovery codes.

Enrolment makes a secret (160 random bits, base32), shown as an ``otpauth://`` QR code and
as text; it counts once a code from the authenticator app confirms it, and then
``RECOVERY_CODES`` recovery codes are made and shown once. Only their Argon2id hashes are
kept, and each is marked used when it is spent. A TOTP code is accepted for the time step
before, at and after ``now`` (clocks drift), and only for a step later than the last one
accepted, so a code seen over a shoulder cannot be replayed. The TOTP secret itself must be
read back to check codes, so it is stored as it is: protect database backups accordingly.

Administrators must have two-factor sign-in (the console sends one without it to enrolment
before anything else); for planners and support it is optional.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from backend.auth.passwords import hash_password, verify_password
from backend.errors import ConflictError, ServiceError
from backend.models import RecoveryCode, StaffTwoFactor

ISSUER = "Faregate"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
RECOVERY_GROUPS = 3  # of four characters: 60 random bits per code
_TOTP_CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class TwoFactorStatus:
    """Whether a user signs in with a second factor, and how many recovery codes are left."""

    enabled: bool
    recovery_codes_left: int


@dataclass(frozen=True)
class Verified:
    """A second factor that was accepted: a TOTP code, or a recovery code (now spent)."""

    method: str  # "totp" or "recovery"
    recovery_codes_left: int


def status(session: Session, user_id: int) -> TwoFactorStatus:
    """The user's two-factor state."""
    row = session.get(StaffTwoFactor, user_id)
    return TwoFactorStatus(
        enabled=row is not None and row.confirmed_at is not None,
        recovery_codes_left=_codes_left(session, user_id),
    )


def begin_enrolment(session: Session, user_id: int, *, now: datetime) -> str:
    """The secret being enrolled (made on first call); refused once two-factor is on."""
    row = session.get(StaffTwoFactor, user_id)
    if row is not None and row.confirmed_at is not None:
        raise ConflictError("two_factor_enabled", "two-factor sign-in is already on")
    if row is None:
        row = StaffTwoFactor(user_id=user_id, secret=pyotp.random_base32(32), created_at=now)
        session.add(row)
        session.commit()
    return row.secret


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def confirm_enrolment(session: Session, user_id: int, code: str, *, now: datetime) -> list[str]:
    """Switch two-factor on with a first code from the app; the new recovery codes (shown
    once)."""
    row = session.get(StaffTwoFactor, user_id)
    if row is None or row.confirmed_at is not None:
        raise ServiceError("no_enrolment", "start setting up two-factor sign-in first")
    if not _accept_totp(session, row, code, now):
        raise ServiceError("invalid_code", "that code is not right; try the next one", status=422)
    row.confirmed_at = now
    return replace_recovery_codes(session, user_id, now=now)


def verify(session: Session, user_id: int, code: str, *, now: datetime) -> Verified | None:
    """Check a TOTP code or a recovery code (which is then spent); None when wrong."""
    row = session.get(StaffTwoFactor, user_id)
    if row is None or row.confirmed_at is None:
        return None
    if _TOTP_CODE.fullmatch(_compact(code)):
        if not _accept_totp(session, row, _compact(code), now):
            return None
        session.commit()
        return Verified("totp", _codes_left(session, user_id))
    if not _spend_recovery_code(session, user_id, code, now):
        return None
    return Verified("recovery", _codes_left(session, user_id))


def replace_recovery_codes(session: Session, user_id: int, *, now: datetime) -> list[str]:
    """New recovery codes for the user (the old ones stop working); shown once."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.add_all(
        RecoveryCode(user_id=user_id, code_hash=hash_password(_normal(code)), created_at=now)
        for code in codes
    )
    session.commit()
    return codes


def turn_off(session: Session, user_id: int) -> None:
    """Remove the user's two-factor secret and recovery codes."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(StaffTwoFactor).where(StaffTwoFactor.user_id == user_id))
    session.commit()


def _accept_totp(session: Session, row: StaffTwoFactor, code: str, now: datetime) -> bool:
    """Whether ``code`` is the code of a step around ``now`` not used before; claims the step."""
    totp = pyotp.TOTP(row.secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if not hmac.compare_digest(totp.generate_otp(step), _compact(code)):
            continue
        session.commit()  # end the read: the claim below starts a transaction with its write
        claimed = session.execute(
            update(StaffTwoFactor)
            .where(
                StaffTwoFactor.user_id == row.user_id,
                or_(StaffTwoFactor.last_used_step.is_(None), StaffTwoFactor.last_used_step < step),
            )
            .values(last_used_step=step)
            .execution_options(synchronize_session=False)
        )
        return claimed.rowcount == 1  # type: ignore[attr-defined]
    return False


def _spend_recovery_code(session: Session, user_id: int, code: str, now: datetime) -> bool:
    presented = _normal(code)
    if len(presented) != 4 * RECOVERY_GROUPS:
        return False
    unused = session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    for code_id, code_hash in unused:
        if verify_password(code_hash, presented):
            session.commit()  # as in _accept_totp
            spent = session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == code_id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
            )
            session.commit()
            return spent.rowcount == 1  # type: ignore[attr-defined]
    return False


def _codes_left(session: Session, user_id: int) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return count or 0


def _new_recovery_code() -> str:
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4 * RECOVERY_GROUPS))
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def _compact(code: str) -> str:
    return re.sub(r"[\s-]", "", code)


def _normal(code: str) -> str:
    return _compact(code).upper()
