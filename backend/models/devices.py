"""Validator devices, the taps they upload, and the rule bundles they download.

A device is created by an operator with a one-time provisioning token; the device trades it
for its own token (both stored as SHA-256 digests only). Taps are stored once per
(device, nonce), however often a device re-sends them. Rule bundles are kept with the
fingerprint of what they were built from, so that every server process hands out the same
bytes (and ETag) until something they hold changes, and with what their deny list holds
(``deny_through`` and ``created_at``), so that a device holding one can be sent a delta.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base

DEVICE_ROLES = ("gate_entry", "gate_exit", "bus")


class Device(Base):
    """A validator at a gate or on a bus."""

    __tablename__ = "device"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    stop_id: Mapped[str | None] = mapped_column(String(128))
    vehicle_id: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    provisioning_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    provisioning_expires_at: Mapped[datetime | None]
    token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    provisioned_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    clock_skew_ms: Mapped[int | None]
    backlog: Mapped[int | None]
    bundle_version: Mapped[int | None] = mapped_column(BigInteger)
    acked_sequence: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (CheckConstraint("role in ('gate_entry', 'gate_exit', 'bus')", name="role"),)


class Tap(Base):
    """One tap as its device decided and journaled it."""

    __tablename__ = "tap"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"))
    sequence: Mapped[int] = mapped_column(BigInteger)
    nonce: Mapped[str] = mapped_column(String(32))
    tapped_at: Mapped[datetime]
    received_at: Mapped[datetime]
    media_kind: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    product_id: Mapped[str | None] = mapped_column(String(128))
    allowed: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(String(40))
    bundle_version: Mapped[int | None] = mapped_column(BigInteger)
    # The trip instance a bus was running (TRIP@YYYY-MM-DD); None at gates.
    trip_instance: Mapped[str | None] = mapped_column(String(160))

    __table_args__ = (
        UniqueConstraint("device_id", "nonce"),
        Index("ix_tap_tapped_at", "tapped_at"),
    )


class RuleBundleRecord(Base):
    """A signed rule bundle as handed to devices, and what it was built from."""

    __tablename__ = "rule_bundle"

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    etag: Mapped[str] = mapped_column(String(80))
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    # The greatest deny entry id the bundle's deny list was built from: it holds every entry up
    # to it still in force at ``created_at``. None for bundles made before deltas were sent.
    deny_through: Mapped[int | None] = mapped_column(BigInteger)
