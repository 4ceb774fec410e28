"""Seat inventory: trip inventories, holds, seat and place claims, bookings, idempotency.

The guard against selling a seat-leg twice lives in the database. On PostgreSQL an exclusion
constraint (btree_gist) refuses two seat claims on the same trip instance and seat whose
int4range(board, alight) overlap; on SQLite a trigger refuses the same. On both, a CHECK keeps
each leg's used places within its capacity.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NO_OVERLAP = "ex_seat_claim_no_overlap"


def upgrade() -> None:
    op.create_table(
        "idempotency_record",
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_record")),
    )
    op.create_index(
        op.f("ix_idempotency_record_created_at"), "idempotency_record", ["created_at"], unique=False
    )
    op.create_table(
        "trip_inventory",
        sa.Column("trip_instance", sa.String(length=160), nullable=False),
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("trip_id", sa.String(length=128), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("route_id", sa.String(length=128), nullable=False),
        sa.Column("seat_map", sa.String(length=80), nullable=False),
        sa.Column("stop_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trip_instance", name=op.f("pk_trip_inventory")),
    )
    op.create_table(
        "hold",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("trip_instance", sa.String(length=160), nullable=False),
        sa.Column("board", sa.Integer(), nullable=False),
        sa.Column("alight", sa.Integer(), nullable=False),
        sa.Column("board_stop_id", sa.String(length=128), nullable=False),
        sa.Column("alight_stop_id", sa.String(length=128), nullable=False),
        sa.Column("seat_class", sa.String(length=40), nullable=True),
        sa.Column("party", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignment", sa.String(length=16), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status in ('held', 'confirmed', 'released', 'expired')", name=op.f("ck_hold_status")
        ),
        sa.CheckConstraint("board >= 0 AND alight > board", name=op.f("ck_hold_legs")),
        sa.CheckConstraint("party >= 1", name=op.f("ck_hold_party")),
        sa.ForeignKeyConstraint(
            ["trip_instance"],
            ["trip_inventory.trip_instance"],
            name=op.f("fk_hold_trip_instance_trip_inventory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold")),
    )
    op.create_index(op.f("ix_hold_expires_at"), "hold", ["expires_at"], unique=False)
    op.create_index(op.f("ix_hold_trip_instance"), "hold", ["trip_instance"], unique=False)
    op.create_table(
        "leg_capacity",
        sa.Column("trip_instance", sa.String(length=160), nullable=False),
        sa.Column("seat_class", sa.String(length=40), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "used >= 0 AND used <= capacity", name=op.f("ck_leg_capacity_within_capacity")
        ),
        sa.ForeignKeyConstraint(
            ["trip_instance"],
            ["trip_inventory.trip_instance"],
            name=op.f("fk_leg_capacity_trip_instance_trip_inventory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("trip_instance", "seat_class", "leg", name=op.f("pk_leg_capacity")),
    )
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=12), nullable=False),
        sa.Column("hold_id", sa.String(length=32), nullable=False),
        sa.Column("trip_instance", sa.String(length=160), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('confirmed', 'cancelled')", name=op.f("ck_booking_status")),
        sa.ForeignKeyConstraint(["hold_id"], ["hold.id"], name=op.f("fk_booking_hold_id_hold")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_booking_hold_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_booking_reference")),
    )
    op.create_index(op.f("ix_booking_trip_instance"), "booking", ["trip_instance"], unique=False)
    op.create_table(
        "place_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.String(length=32), nullable=False),
        sa.Column("trip_instance", sa.String(length=160), nullable=False),
        sa.Column("seat_class", sa.String(length=40), nullable=False),
        sa.Column("board", sa.Integer(), nullable=False),
        sa.Column("alight", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("board >= 0 AND alight > board", name=op.f("ck_place_claim_legs")),
        sa.CheckConstraint("places >= 1", name=op.f("ck_place_claim_places")),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["hold.id"], name=op.f("fk_place_claim_hold_id_hold"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_claim")),
    )
    op.create_index(op.f("ix_place_claim_hold_id"), "place_claim", ["hold_id"], unique=False)
    op.create_index(
        op.f("ix_place_claim_trip_instance"), "place_claim", ["trip_instance"], unique=False
    )
    op.create_table(
        "seat_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.String(length=32), nullable=False),
        sa.Column("trip_instance", sa.String(length=160), nullable=False),
        sa.Column("seat", sa.String(length=40), nullable=False),
        sa.Column("board", sa.Integer(), nullable=False),
        sa.Column("alight", sa.Integer(), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("board >= 0 AND alight > board", name=op.f("ck_seat_claim_legs")),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["hold.id"], name=op.f("fk_seat_claim_hold_id_hold"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_claim")),
    )
    op.create_index(op.f("ix_seat_claim_hold_id"), "seat_claim", ["hold_id"], unique=False)
    op.create_index(
        "ix_seat_claim_trip_instance_seat", "seat_claim", ["trip_instance", "seat"], unique=False
    )
    op.create_table(
        "booking_passenger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("seat", sa.String(length=40), nullable=True),
        sa.Column("seat_class", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["booking.id"],
            name=op.f("fk_booking_passenger_booking_id_booking"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_passenger")),
    )
    op.create_index(
        op.f("ix_booking_passenger_booking_id"), "booking_passenger", ["booking_id"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            f"ALTER TABLE seat_claim ADD CONSTRAINT {NO_OVERLAP} EXCLUDE USING gist "
            "(trip_instance WITH =, seat WITH =, int4range(board, alight) WITH &&)"
        )
    else:
        op.execute(
            "CREATE TRIGGER ex_seat_claim_no_overlap BEFORE INSERT ON seat_claim "
            "WHEN EXISTS (SELECT 1 FROM seat_claim AS other "
            "WHERE other.trip_instance = NEW.trip_instance AND other.seat = NEW.seat "
            "AND other.board < NEW.alight AND NEW.board < other.alight) "
            "BEGIN SELECT RAISE(ABORT, 'seat_claim overlaps another claim on the seat'); END"
        )


def downgrade() -> None:
    for table in (
        "booking_passenger",
        "booking",
        "place_claim",
        "seat_claim",
        "leg_capacity",
        "hold",
        "trip_inventory",
        "idempotency_record",
    ):
        op.drop_table(table)
