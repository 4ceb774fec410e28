"""Validator devices, their uploaded taps (once per device and nonce), and rule bundles.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("stop_id", sa.String(length=128), nullable=True),
        sa.Column("vehicle_id", sa.String(length=128), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("provisioning_digest", sa.String(length=64), nullable=True),
        sa.Column("provisioning_expires_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("token_digest", sa.String(length=64), nullable=True),
        sa.Column("provisioned_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("clock_skew_ms", sa.Integer(), nullable=True),
        sa.Column("backlog", sa.Integer(), nullable=True),
        sa.Column("bundle_version", sa.BigInteger(), nullable=True),
        sa.Column("acked_sequence", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "role in ('gate_entry', 'gate_exit', 'bus')", name=op.f("ck_device_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("provisioning_digest", name=op.f("uq_device_provisioning_digest")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_device_token_digest")),
    )
    op.create_table(
        "rule_bundle",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_rule_bundle")),
    )
    op.create_index(op.f("ix_rule_bundle_fingerprint"), "rule_bundle", ["fingerprint"])
    op.create_table(
        "tap",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("tapped_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("media_kind", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("product_id", sa.String(length=128), nullable=True),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("bundle_version", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], name=op.f("fk_tap_device_id_device")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tap")),
        sa.UniqueConstraint("device_id", "nonce", name=op.f("uq_tap_device_id")),
    )
    op.create_index(op.f("ix_tap_fingerprint"), "tap", ["fingerprint"])


def downgrade() -> None:
    op.drop_table("tap")
    op.drop_table("rule_bundle")
    op.drop_table("device")
