"""GTFS fare files: Fares v1 (fare_attributes, fare_rules) and Fares v2."""

from __future__ import annotations

from gtfs.fields import (
    BOOL,
    ENUM,
    ID,
    INT,
    TIME,
    URL,
    Field,
    FieldType,
    T,
    Table,
    enum_of,
)

FARE_ATTRIBUTES = Table(
    "fare_attributes",
    (
        Field("fare_id", ID, required=True),
        Field("price", FieldType.CURRENCY_AMOUNT, required=True, minimum=0),
        Field("currency_type", FieldType.CURRENCY, required=True),
        Field("payment_method", ENUM, required=True, enum=BOOL),
        Field("transfers", ENUM, enum=enum_of(0, 1, 2)),
        Field("agency_id", ID, references=("agency", "agency_id")),
        Field("transfer_duration", INT, minimum=0),
    ),
    primary_key=("fare_id",),
)

FARE_RULES = Table(
    "fare_rules",
    (
        Field("fare_id", ID, required=True, references=("fare_attributes", "fare_id")),
        Field("route_id", ID, references=("routes", "route_id")),
        Field("origin_id", ID),
        Field("destination_id", ID),
        Field("contains_id", ID),
    ),
    primary_key=("fare_id", "route_id", "origin_id", "destination_id", "contains_id"),
)

AREAS = Table(
    "areas",
    (Field("area_id", ID, required=True), Field("area_name", T)),
    primary_key=("area_id",),
)

STOP_AREAS = Table(
    "stop_areas",
    (
        Field("area_id", ID, required=True, references=("areas", "area_id")),
        Field("stop_id", ID, required=True, references=("stops", "stop_id")),
    ),
    primary_key=("area_id", "stop_id"),
)

TIMEFRAMES = Table(
    "timeframes",
    (
        Field("timeframe_group_id", ID, required=True),
        Field("start_time", TIME),
        Field("end_time", TIME),
        Field("service_id", ID, required=True),
    ),
    primary_key=("timeframe_group_id", "start_time", "end_time", "service_id"),
)

RIDER_CATEGORIES = Table(
    "rider_categories",
    (
        Field("rider_category_id", ID, required=True),
        Field("rider_category_name", T, required=True),
        Field("is_default_fare_category", ENUM, enum=BOOL),
        Field("eligibility_url", URL),
    ),
    primary_key=("rider_category_id",),
)

FARE_MEDIA = Table(
    "fare_media",
    (
        Field("fare_media_id", ID, required=True),
        Field("fare_media_name", T),
        Field("fare_media_type", ENUM, required=True, enum=enum_of(0, 1, 2, 3, 4)),
    ),
    primary_key=("fare_media_id",),
)

FARE_PRODUCTS = Table(
    "fare_products",
    (
        Field("fare_product_id", ID, required=True),
        Field("fare_product_name", T),
        Field("rider_category_id", ID, references=("rider_categories", "rider_category_id")),
        Field("fare_media_id", ID, references=("fare_media", "fare_media_id")),
        Field("amount", FieldType.CURRENCY_AMOUNT, required=True),
        Field("currency", FieldType.CURRENCY, required=True),
    ),
    primary_key=("fare_product_id", "rider_category_id", "fare_media_id"),
)

FARE_LEG_RULES = Table(
    "fare_leg_rules",
    (
        Field("leg_group_id", ID),
        Field("network_id", ID),
        Field("from_area_id", ID, references=("areas", "area_id")),
        Field("to_area_id", ID, references=("areas", "area_id")),
        Field("from_timeframe_group_id", ID, references=("timeframes", "timeframe_group_id")),
        Field("to_timeframe_group_id", ID, references=("timeframes", "timeframe_group_id")),
        Field(
            "fare_product_id",
            ID,
            required=True,
            references=("fare_products", "fare_product_id"),
        ),
        Field("rule_priority", INT, minimum=0),
    ),
    primary_key=(
        "network_id",
        "from_area_id",
        "to_area_id",
        "from_timeframe_group_id",
        "to_timeframe_group_id",
        "fare_product_id",
    ),
)

FARE_TRANSFER_RULES = Table(
    "fare_transfer_rules",
    (
        Field("from_leg_group_id", ID, references=("fare_leg_rules", "leg_group_id")),
        Field("to_leg_group_id", ID, references=("fare_leg_rules", "leg_group_id")),
        Field("transfer_count", INT, minimum=-1),
        Field("duration_limit", INT, minimum=1),
        Field("duration_limit_type", ENUM, enum=enum_of(0, 1, 2, 3)),
        Field("fare_transfer_type", ENUM, required=True, enum=enum_of(0, 1, 2)),
        Field("fare_product_id", ID, references=("fare_products", "fare_product_id")),
    ),
    primary_key=(
        "from_leg_group_id",
        "to_leg_group_id",
        "fare_product_id",
        "transfer_count",
        "duration_limit",
    ),
)
