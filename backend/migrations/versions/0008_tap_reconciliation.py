"""Tap reconciliation: the bus's trip instance on taps, passback flags, journeys of account
media with their legs, the taps they took, daily charges after caps, and reconciliation runs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def _tap(table: str, column: str, *, nullable: bool = False) -> list[Any]:
    """A column naming a tap, with its foreign key."""
    return [
        sa.Column(column, BIG_ID, nullable=nullable),
        sa.ForeignKeyConstraint([column], ["tap.id"], name=op.f(f"fk_{table}_{column}_tap")),
    ]


def upgrade() -> None:
    op.add_column("tap", sa.Column("trip_instance", sa.String(length=160), nullable=True))
    op.create_index("ix_tap_tapped_at", "tap", ["tapped_at"])
    _passback_flags()
    _journeys()
    _charges_and_runs()


def _passback_flags() -> None:
    op.create_table(
        "passback_flag",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        *_tap("passback_flag", "first_tap_id"),
        *_tap("passback_flag", "second_tap_id"),
        sa.Column("travel_day", sa.Date(), nullable=False),
        sa.Column("gap_ms", sa.BigInteger(), nullable=False),
        sa.Column("window_s", sa.Integer(), nullable=False),
        _when("flagged_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passback_flag")),
        sa.UniqueConstraint("second_tap_id", name=op.f("uq_passback_flag_second_tap_id")),
    )
    op.create_index(op.f("ix_passback_flag_fingerprint"), "passback_flag", ["fingerprint"])
    op.create_index(op.f("ix_passback_flag_travel_day"), "passback_flag", ["travel_day"])


def _journeys() -> None:
    op.create_table(
        "journey",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("travel_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *_tap("journey", "first_tap_id"),
        _when("started_at"),
        _when("ended_at", nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("fare_minor", sa.BigInteger(), nullable=False),
        sa.Column("charged_minor", sa.BigInteger(), nullable=False),
        sa.Column("limited_by", sa.String(length=8), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.CheckConstraint("status in ('complete', 'incomplete')", name=op.f("ck_journey_status")),
        sa.CheckConstraint(
            "charged_minor >= 0 AND charged_minor <= fare_minor", name=op.f("ck_journey_charged")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey")),
        sa.UniqueConstraint("first_tap_id", name=op.f("uq_journey_first_tap_id")),
    )
    op.create_index("ix_journey_fingerprint_travel_day", "journey", ["fingerprint", "travel_day"])
    op.create_index("ix_journey_travel_day", "journey", ["travel_day"])
    op.create_table(
        "journey_leg",
        sa.Column("journey_id", BIG_ID, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        *_tap("journey_leg", "entry_tap_id"),
        *_tap("journey_leg", "exit_tap_id", nullable=True),
        sa.Column("trip_instance", sa.String(length=160), nullable=True),
        sa.Column("route_id", sa.String(length=128), nullable=True),
        sa.Column("from_stop_id", sa.String(length=128), nullable=True),
        sa.Column("to_stop_id", sa.String(length=128), nullable=True),
        _when("entered_at"),
        _when("exited_at", nullable=True),
        sa.Column("fare_product_id", sa.String(length=128), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.CheckConstraint("kind in ('gate', 'bus')", name=op.f("ck_journey_leg_kind")),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journey.id"],
            name=op.f("fk_journey_leg_journey_id_journey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("journey_id", "position", name=op.f("pk_journey_leg")),
    )
    op.create_table(
        "reconciled_tap",
        *_tap("reconciled_tap", "tap_id"),
        sa.Column("journey_id", BIG_ID, nullable=False),
        sa.Column("travel_day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journey.id"],
            name=op.f("fk_reconciled_tap_journey_id_journey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tap_id", name=op.f("pk_reconciled_tap")),
    )
    op.create_index(op.f("ix_reconciled_tap_journey_id"), "reconciled_tap", ["journey_id"])
    op.create_index(op.f("ix_reconciled_tap_travel_day"), "reconciled_tap", ["travel_day"])


def _charges_and_runs() -> None:
    op.create_table(
        "daily_charge",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("travel_day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rider_category_id", sa.String(length=128), nullable=False),
        sa.Column("fare_media_id", sa.String(length=128), nullable=False),
        sa.Column("journeys", sa.Integer(), nullable=False),
        sa.Column("fare_minor", sa.BigInteger(), nullable=False),
        sa.Column("charged_minor", sa.BigInteger(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "fingerprint", "travel_day", "currency", name=op.f("pk_daily_charge")
        ),
    )
    op.create_index("ix_daily_charge_travel_day", "daily_charge", ["travel_day"])
    op.create_table(
        "reconciliation_run",
        sa.Column("travel_day", sa.Date(), nullable=False),
        _when("reconciled_at"),
        sa.Column("taps_seen", sa.Integer(), nullable=False),
        sa.Column("journeys", sa.Integer(), nullable=False),
        sa.Column("incomplete", sa.Integer(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("travel_day", name=op.f("pk_reconciliation_run")),
    )


def downgrade() -> None:
    for table in (
        "reconciliation_run",
        "daily_charge",
        "reconciled_tap",
        "journey_leg",
        "journey",
        "passback_flag",
    ):
        op.drop_table(table)
    op.drop_index("ix_tap_tapped_at", table_name="tap")
    with op.batch_alter_table("tap") as batch:
        batch.drop_column("trip_instance")
