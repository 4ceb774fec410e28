"""Validator devices: created by operators, provisioned with a one-time token, revoked.

An operator creates a device (its id, role, and stop or vehicle) and gets a one-time
provisioning token, valid for ``PROVISIONING_TTL``, to enter on the device. The device trades
it for a device token of its own (``POST /api/v1/devices/provision``), which it then presents
as ``Authorization: Device <token>``. Both are stored as SHA-256 digests only; revoking a
device makes its token worthless at once; provisioning again replaces the token.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.tokens import digest_of, issue_token
from backend.errors import AuthenticationError, ConflictError, NotFoundError, ServiceError
from backend.models import Device
from backend.models.devices import DEVICE_ROLES

PROVISIONING_MARKER = "fgp_"
DEVICE_MARKER = "fgd_"
PROVISIONING_TTL = timedelta(hours=24)
_DEVICE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def create_device(
    session: Session,
    device_id: str,
    role: str,
    *,
    stop_id: str | None,
    vehicle_id: str | None,
    description: str,
    now: datetime,
) -> tuple[Device, str]:
    """A new device and its one-time provisioning token (shown once)."""
    if not _DEVICE_ID.fullmatch(device_id):
        raise ServiceError("invalid_device_id", "a device id is 1-64 letters, digits, . _ or -")
    if role not in DEVICE_ROLES:
        raise ServiceError("invalid_role", f"a device role is one of {', '.join(DEVICE_ROLES)}")
    if (role == "bus") != (vehicle_id is not None) or (role != "bus") != (stop_id is not None):
        raise ServiceError(
            "invalid_placement", "a gate device names its stop_id, a bus device its vehicle_id"
        )
    if session.get(Device, device_id) is not None:
        raise ConflictError("device_exists", f"there is already a device {device_id}")
    device = Device(
        id=device_id,
        role=role,
        stop_id=stop_id,
        vehicle_id=vehicle_id,
        description=description,
        created_at=now,
        acked_sequence=0,
    )
    session.add(device)
    token = _new_provisioning_token(device, now)
    session.commit()
    return device, token


def _new_provisioning_token(device: Device, now: datetime) -> str:
    issued = issue_token(PROVISIONING_MARKER)
    device.provisioning_digest = issued.digest
    device.provisioning_expires_at = now + PROVISIONING_TTL
    return issued.plaintext


def reissue_provisioning_token(session: Session, device_id: str, now: datetime) -> str:
    """A fresh one-time token for an existing device (e.g. a replaced unit)."""
    device = find_device(session, device_id)
    if device.revoked_at is not None:
        raise ConflictError("device_revoked", f"device {device_id} is revoked")
    token = _new_provisioning_token(device, now)
    session.commit()
    return token


def provision(session: Session, token: str, now: datetime) -> tuple[Device, str]:
    """Trade a one-time provisioning token for the device's own token (shown once)."""
    device = session.scalar(select(Device).where(Device.provisioning_digest == digest_of(token)))
    if device is None or device.revoked_at is not None:
        raise AuthenticationError("invalid_provisioning_token", "unknown or used token")
    expires = device.provisioning_expires_at
    if expires is None or expires <= now:
        raise AuthenticationError("provisioning_token_expired", "ask for a new token")
    issued = issue_token(DEVICE_MARKER)
    device.token_digest = issued.digest
    device.provisioned_at = now
    device.provisioning_digest = None
    device.provisioning_expires_at = None
    session.commit()
    return device, issued.plaintext


def revoke_device(session: Session, device_id: str, now: datetime) -> Device:
    """Revoke a device: its token stops working at once (idempotent)."""
    device = find_device(session, device_id)
    if device.revoked_at is None:
        device.revoked_at = now
        device.token_digest = None
        device.provisioning_digest = None
    session.commit()
    return device


def authenticate_device(session: Session, presented: str) -> Device:
    """The device whose token is ``presented``; 401 ``device_unauthorized`` otherwise."""
    device = session.scalar(select(Device).where(Device.token_digest == digest_of(presented)))
    if device is None or device.revoked_at is not None:
        raise AuthenticationError("device_unauthorized", "unknown or revoked device token")
    return device


def find_device(session: Session, device_id: str) -> Device:
    """One device; 404 ``device_not_found``."""
    device = session.get(Device, device_id)
    if device is None:
        raise NotFoundError("device_not_found", f"no device {device_id}")
    return device


def list_devices(session: Session) -> list[Device]:
    """Every device, by id."""
    return list(session.scalars(select(Device).order_by(Device.id)))


def device_json(device: Device) -> dict[str, Any]:
    """A device and its state as the operator API shows it."""
    state = "revoked" if device.revoked_at else "active" if device.provisioned_at else "new"
    return {
        "id": device.id,
        "role": device.role,
        "stop_id": device.stop_id,
        "vehicle_id": device.vehicle_id,
        "description": device.description,
        "state": state,
        "created_at": device.created_at.isoformat(),
        "last_sync_at": device.last_sync_at.isoformat() if device.last_sync_at else None,
        "clock_skew_ms": device.clock_skew_ms,
        "backlog": device.backlog,
        "bundle_version": device.bundle_version,
        "acked_sequence": device.acked_sequence,
    }
