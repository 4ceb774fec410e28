"""Feed versions, their notices, the active feed pointer and the GTFS tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from backend.models.base import UtcDateTime
from backend.models.gtfs_tables import GtfsTime

# GTFS ids compare bytewise on PostgreSQL; each GTFS table is partitioned by feed version.
ID_TEXT = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")
PARTITIONED: dict[str, Any] = {"postgresql_partition_by": "LIST (feed_version_id)"}


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("feed_label", sa.String(length=255), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.Column("info_count", sa.Integer(), nullable=False),
        sa.Column("notice_counts", sa.JSON(), nullable=False),
        sa.Column("row_counts", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("status in ('loaded', 'draft')", name=op.f("ck_feed_version_status")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_user.id"],
            name=op.f("fk_feed_version_created_by_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_version")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "active_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_active_feed_singleton")),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_active_feed_feed_version_id_feed_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_active_feed")),
    )
    op.create_table(
        "feed_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("file", sa.String(length=80), nullable=True),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=80), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_feed_notice_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_notice")),
    )
    op.create_index(
        op.f("ix_feed_notice_feed_version_id"), "feed_notice", ["feed_version_id"], unique=False
    )
    op.create_table(
        "gtfs_agency",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("agency_id", ID_TEXT, nullable=True),
        sa.Column("agency_name", sa.Text(), nullable=False),
        sa.Column("agency_url", sa.Text(), nullable=False),
        sa.Column("agency_timezone", sa.Text(), nullable=False),
        sa.Column("agency_lang", sa.Text(), nullable=True),
        sa.Column("agency_phone", sa.Text(), nullable=True),
        sa.Column("agency_fare_url", sa.Text(), nullable=True),
        sa.Column("agency_email", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_agency_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "row_index", name=op.f("pk_gtfs_agency")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_areas",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("area_id", ID_TEXT, nullable=False),
        sa.Column("area_name", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_areas_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "area_id", name=op.f("pk_gtfs_areas")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_calendar",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("service_id", ID_TEXT, nullable=False),
        sa.Column("monday", sa.Integer(), nullable=False),
        sa.Column("tuesday", sa.Integer(), nullable=False),
        sa.Column("wednesday", sa.Integer(), nullable=False),
        sa.Column("thursday", sa.Integer(), nullable=False),
        sa.Column("friday", sa.Integer(), nullable=False),
        sa.Column("saturday", sa.Integer(), nullable=False),
        sa.Column("sunday", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_calendar_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "service_id", name=op.f("pk_gtfs_calendar")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_calendar_dates",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("service_id", ID_TEXT, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("exception_type", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_calendar_dates_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed_version_id", "service_id", "date", name=op.f("pk_gtfs_calendar_dates")
        ),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_fare_attributes",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("fare_id", ID_TEXT, nullable=False),
        sa.Column("price", sa.Text(), nullable=False),
        sa.Column("currency_type", sa.Text(), nullable=False),
        sa.Column("payment_method", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=True),
        sa.Column("agency_id", ID_TEXT, nullable=True),
        sa.Column("transfer_duration", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_fare_attributes_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "fare_id", name=op.f("pk_gtfs_fare_attributes")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_fare_leg_rules",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("leg_group_id", ID_TEXT, nullable=True),
        sa.Column("network_id", ID_TEXT, nullable=True),
        sa.Column("from_area_id", ID_TEXT, nullable=True),
        sa.Column("to_area_id", ID_TEXT, nullable=True),
        sa.Column("from_timeframe_group_id", ID_TEXT, nullable=True),
        sa.Column("to_timeframe_group_id", ID_TEXT, nullable=True),
        sa.Column("fare_product_id", ID_TEXT, nullable=False),
        sa.Column("rule_priority", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_fare_leg_rules_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed_version_id", "row_index", name=op.f("pk_gtfs_fare_leg_rules")
        ),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_fare_media",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("fare_media_id", ID_TEXT, nullable=False),
        sa.Column("fare_media_name", sa.Text(), nullable=True),
        sa.Column("fare_media_type", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_fare_media_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed_version_id", "fare_media_id", name=op.f("pk_gtfs_fare_media")
        ),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_fare_products",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("fare_product_id", ID_TEXT, nullable=False),
        sa.Column("fare_product_name", sa.Text(), nullable=True),
        sa.Column("rider_category_id", ID_TEXT, nullable=True),
        sa.Column("fare_media_id", ID_TEXT, nullable=True),
        sa.Column("amount", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_fare_products_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "row_index", name=op.f("pk_gtfs_fare_products")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_fare_rules",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("fare_id", ID_TEXT, nullable=False),
        sa.Column("route_id", ID_TEXT, nullable=True),
        sa.Column("origin_id", ID_TEXT, nullable=True),
        sa.Column("destination_id", ID_TEXT, nullable=True),
        sa.Column("contains_id", ID_TEXT, nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_fare_rules_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "row_index", name=op.f("pk_gtfs_fare_rules")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_fare_transfer_rules",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("from_leg_group_id", ID_TEXT, nullable=True),
        sa.Column("to_leg_group_id", ID_TEXT, nullable=True),
        sa.Column("transfer_count", sa.Integer(), nullable=True),
        sa.Column("duration_limit", sa.Integer(), nullable=True),
        sa.Column("duration_limit_type", sa.Integer(), nullable=True),
        sa.Column("fare_transfer_type", sa.Integer(), nullable=False),
        sa.Column("fare_product_id", ID_TEXT, nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_fare_transfer_rules_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed_version_id", "row_index", name=op.f("pk_gtfs_fare_transfer_rules")
        ),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_feed_info",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("feed_publisher_name", sa.Text(), nullable=False),
        sa.Column("feed_publisher_url", sa.Text(), nullable=False),
        sa.Column("feed_lang", sa.Text(), nullable=False),
        sa.Column("default_lang", sa.Text(), nullable=True),
        sa.Column("feed_start_date", sa.Date(), nullable=True),
        sa.Column("feed_end_date", sa.Date(), nullable=True),
        sa.Column("feed_version", sa.Text(), nullable=True),
        sa.Column("feed_contact_email", sa.Text(), nullable=True),
        sa.Column("feed_contact_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_feed_info_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "row_index", name=op.f("pk_gtfs_feed_info")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_frequencies",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("trip_id", ID_TEXT, nullable=False),
        sa.Column("start_time", GtfsTime(), nullable=False),
        sa.Column("end_time", GtfsTime(), nullable=False),
        sa.Column("headway_secs", sa.Integer(), nullable=False),
        sa.Column("exact_times", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_frequencies_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed_version_id", "trip_id", "start_time", name=op.f("pk_gtfs_frequencies")
        ),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_networks",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("network_id", ID_TEXT, nullable=False),
        sa.Column("network_name", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_networks_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "network_id", name=op.f("pk_gtfs_networks")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_rider_categories",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("rider_category_id", ID_TEXT, nullable=False),
        sa.Column("rider_category_name", sa.Text(), nullable=False),
        sa.Column("is_default_fare_category", sa.Integer(), nullable=True),
        sa.Column("eligibility_url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_rider_categories_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed_version_id", "rider_category_id", name=op.f("pk_gtfs_rider_categories")
        ),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_route_networks",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("network_id", ID_TEXT, nullable=False),
        sa.Column("route_id", ID_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_route_networks_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "route_id", name=op.f("pk_gtfs_route_networks")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_routes",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("route_id", ID_TEXT, nullable=False),
        sa.Column("agency_id", ID_TEXT, nullable=True),
        sa.Column("route_short_name", sa.Text(), nullable=True),
        sa.Column("route_long_name", sa.Text(), nullable=True),
        sa.Column("route_desc", sa.Text(), nullable=True),
        sa.Column("route_type", sa.Integer(), nullable=False),
        sa.Column("route_url", sa.Text(), nullable=True),
        sa.Column("route_color", sa.Text(), nullable=True),
        sa.Column("route_text_color", sa.Text(), nullable=True),
        sa.Column("route_sort_order", sa.Integer(), nullable=True),
        sa.Column("continuous_pickup", sa.Integer(), nullable=True),
        sa.Column("continuous_drop_off", sa.Integer(), nullable=True),
        sa.Column("network_id", ID_TEXT, nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_routes_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "route_id", name=op.f("pk_gtfs_routes")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_shapes",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("shape_id", ID_TEXT, nullable=False),
        sa.Column("shape_pt_lat", sa.Float(), nullable=False),
        sa.Column("shape_pt_lon", sa.Float(), nullable=False),
        sa.Column("shape_pt_sequence", sa.Integer(), nullable=False),
        sa.Column("shape_dist_traveled", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_shapes_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed_version_id", "shape_id", "shape_pt_sequence", name=op.f("pk_gtfs_shapes")
        ),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_stop_areas",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("area_id", ID_TEXT, nullable=False),
        sa.Column("stop_id", ID_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_stop_areas_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed_version_id", "area_id", "stop_id", name=op.f("pk_gtfs_stop_areas")
        ),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_stop_times",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("trip_id", ID_TEXT, nullable=False),
        sa.Column("arrival_time", GtfsTime(), nullable=True),
        sa.Column("departure_time", GtfsTime(), nullable=True),
        sa.Column("stop_id", ID_TEXT, nullable=False),
        sa.Column("stop_sequence", sa.Integer(), nullable=False),
        sa.Column("stop_headsign", sa.Text(), nullable=True),
        sa.Column("pickup_type", sa.Integer(), nullable=True),
        sa.Column("drop_off_type", sa.Integer(), nullable=True),
        sa.Column("continuous_pickup", sa.Integer(), nullable=True),
        sa.Column("continuous_drop_off", sa.Integer(), nullable=True),
        sa.Column("shape_dist_traveled", sa.Float(), nullable=True),
        sa.Column("timepoint", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_stop_times_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed_version_id", "trip_id", "stop_sequence", name=op.f("pk_gtfs_stop_times")
        ),
        **PARTITIONED,
    )
    op.create_index(
        "ix_gtfs_stop_times_stop_id",
        "gtfs_stop_times",
        ["stop_id"],
        unique=False,
    )
    op.create_table(
        "gtfs_stops",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("stop_id", ID_TEXT, nullable=False),
        sa.Column("stop_code", sa.Text(), nullable=True),
        sa.Column("stop_name", sa.Text(), nullable=True),
        sa.Column("tts_stop_name", sa.Text(), nullable=True),
        sa.Column("stop_desc", sa.Text(), nullable=True),
        sa.Column("stop_lat", sa.Float(), nullable=True),
        sa.Column("stop_lon", sa.Float(), nullable=True),
        sa.Column("zone_id", ID_TEXT, nullable=True),
        sa.Column("stop_url", sa.Text(), nullable=True),
        sa.Column("location_type", sa.Integer(), nullable=True),
        sa.Column("parent_station", ID_TEXT, nullable=True),
        sa.Column("stop_timezone", sa.Text(), nullable=True),
        sa.Column("wheelchair_boarding", sa.Integer(), nullable=True),
        sa.Column("level_id", ID_TEXT, nullable=True),
        sa.Column("platform_code", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_stops_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "stop_id", name=op.f("pk_gtfs_stops")),
        **PARTITIONED,
    )
    op.create_index(
        "ix_gtfs_stops_parent_station",
        "gtfs_stops",
        ["parent_station"],
        unique=False,
    )
    op.create_table(
        "gtfs_timeframes",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("timeframe_group_id", ID_TEXT, nullable=False),
        sa.Column("start_time", GtfsTime(), nullable=True),
        sa.Column("end_time", GtfsTime(), nullable=True),
        sa.Column("service_id", ID_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_timeframes_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "row_index", name=op.f("pk_gtfs_timeframes")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_transfers",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("row_index", sa.Integer(), nullable=False),
        sa.Column("from_stop_id", ID_TEXT, nullable=True),
        sa.Column("to_stop_id", ID_TEXT, nullable=True),
        sa.Column("from_route_id", ID_TEXT, nullable=True),
        sa.Column("to_route_id", ID_TEXT, nullable=True),
        sa.Column("from_trip_id", ID_TEXT, nullable=True),
        sa.Column("to_trip_id", ID_TEXT, nullable=True),
        sa.Column("transfer_type", sa.Integer(), nullable=False),
        sa.Column("min_transfer_time", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_transfers_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "row_index", name=op.f("pk_gtfs_transfers")),
        **PARTITIONED,
    )
    op.create_table(
        "gtfs_trips",
        sa.Column("feed_version_id", sa.Integer(), nullable=False),
        sa.Column("route_id", ID_TEXT, nullable=False),
        sa.Column("service_id", ID_TEXT, nullable=False),
        sa.Column("trip_id", ID_TEXT, nullable=False),
        sa.Column("trip_headsign", sa.Text(), nullable=True),
        sa.Column("trip_short_name", sa.Text(), nullable=True),
        sa.Column("direction_id", sa.Integer(), nullable=True),
        sa.Column("block_id", ID_TEXT, nullable=True),
        sa.Column("shape_id", ID_TEXT, nullable=True),
        sa.Column("wheelchair_accessible", sa.Integer(), nullable=True),
        sa.Column("bikes_allowed", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feed_version_id"],
            ["feed_version.id"],
            name=op.f("fk_gtfs_trips_feed_version_id_feed_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_version_id", "trip_id", name=op.f("pk_gtfs_trips")),
        **PARTITIONED,
    )


def downgrade() -> None:
    op.drop_table("gtfs_trips")
    op.drop_table("gtfs_transfers")
    op.drop_table("gtfs_timeframes")
    op.drop_index("ix_gtfs_stops_parent_station", table_name="gtfs_stops")
    op.drop_table("gtfs_stops")
    op.drop_index("ix_gtfs_stop_times_stop_id", table_name="gtfs_stop_times")
    op.drop_table("gtfs_stop_times")
    op.drop_table("gtfs_stop_areas")
    op.drop_table("gtfs_shapes")
    op.drop_table("gtfs_routes")
    op.drop_table("gtfs_route_networks")
    op.drop_table("gtfs_rider_categories")
    op.drop_table("gtfs_networks")
    op.drop_table("gtfs_frequencies")
    op.drop_table("gtfs_feed_info")
    op.drop_table("gtfs_fare_transfer_rules")
    op.drop_table("gtfs_fare_rules")
    op.drop_table("gtfs_fare_products")
    op.drop_table("gtfs_fare_media")
    op.drop_table("gtfs_fare_leg_rules")
    op.drop_table("gtfs_fare_attributes")
    op.drop_table("gtfs_calendar_dates")
    op.drop_table("gtfs_calendar")
    op.drop_table("gtfs_areas")
    op.drop_table("gtfs_agency")
    op.drop_index(op.f("ix_feed_notice_feed_version_id"), table_name="feed_notice")
    op.drop_table("feed_notice")
    op.drop_table("active_feed")
    op.drop_table("feed_version")
