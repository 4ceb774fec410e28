"""GTFS tables declared once: fields, types, requirements, keys, enums and ranges.

The validator derives its generic checks from these declarations and the server derives its
database tables from them, so a field is described in exactly one place. ``TABLES`` is in
load order: every table comes after the tables its foreign keys point at.

Conditional requirements of the specification (``agency_id`` when there are several
agencies, ``stop_name`` for stations, ...) are checked by specific rules of the validator,
not here; ``service_id`` references (calendar or calendar_dates) likewise.
"""

from __future__ import annotations

from gtfs.fare_tables import (
    AREAS,
    FARE_ATTRIBUTES,
    FARE_LEG_RULES,
    FARE_MEDIA,
    FARE_PRODUCTS,
    FARE_RULES,
    FARE_TRANSFER_RULES,
    RIDER_CATEGORIES,
    STOP_AREAS,
    TIMEFRAMES,
)
from gtfs.fields import Field, FieldType, Table
from gtfs.schedule_tables import (
    AGENCY,
    CALENDAR,
    CALENDAR_DATES,
    FEED_INFO,
    FREQUENCIES,
    NETWORKS,
    ROUTE_NETWORKS,
    ROUTES,
    SHAPES,
    STOP_TIMES,
    STOPS,
    TRANSFERS,
    TRIPS,
)

__all__ = ["KNOWN_UNSTORED_FILES", "SCHEMAS", "TABLES", "Field", "FieldType", "Table"]

TABLES: tuple[Table, ...] = (
    AGENCY,
    STOPS,
    NETWORKS,
    ROUTES,
    ROUTE_NETWORKS,
    CALENDAR,
    CALENDAR_DATES,
    SHAPES,
    TRIPS,
    STOP_TIMES,
    FREQUENCIES,
    TRANSFERS,
    FEED_INFO,
    FARE_ATTRIBUTES,
    FARE_RULES,
    AREAS,
    STOP_AREAS,
    TIMEFRAMES,
    RIDER_CATEGORIES,
    FARE_MEDIA,
    FARE_PRODUCTS,
    FARE_LEG_RULES,
    FARE_TRANSFER_RULES,
)

SCHEMAS: dict[str, Table] = {table.name: table for table in TABLES}

# Files of the GTFS reference that Faregate reads but does not store; present, they are
# not "unknown" files.
KNOWN_UNSTORED_FILES = frozenset(
    {
        "attributions.txt",
        "levels.txt",
        "pathways.txt",
        "translations.txt",
        "booking_rules.txt",
        "location_groups.txt",
        "location_group_stops.txt",
        "locations.geojson",
        "fare_media_timeframes.txt",
    }
)
