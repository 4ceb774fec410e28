"""GTFS tables declared once: fields, types, requirements, keys, enums and ranges.

The validator derives its generic checks from these declarations and the server derives its
database tables from them, so a field is described in exactly one place. ``TABLES`` is in
load order: every table comes after the tables its foreign keys point at.

Conditional requirements of the specification (``agency_id`` when there are several
agencies, ``stop_name`` for stations, ...) are checked by specific rules of the validator,
not here; ``service_id`` references (calendar or calendar_dates) likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class FieldType(Enum):
    """How a GTFS field is written and what it is parsed to."""

    TEXT = "text"  # str
    ID = "id"  # str
    URL = "url"  # str
    EMAIL = "email"  # str
    PHONE = "phone"  # str
    LANGUAGE = "language"  # str
    TIMEZONE = "timezone"  # str
    COLOR = "color"  # str, six hex digits
    CURRENCY = "currency"  # str, ISO 4217 code
    INTEGER = "integer"  # int
    ENUM = "enum"  # int, one of Field.enum
    FLOAT = "float"  # float
    LATITUDE = "latitude"  # float
    LONGITUDE = "longitude"  # float
    TIME = "time"  # int, seconds since noon minus 12 h of the service day
    DATE = "date"  # datetime.date
    CURRENCY_AMOUNT = "currency_amount"  # decimal.Decimal


@dataclass(frozen=True)
class Field:
    """One column of a GTFS file."""

    name: str
    type: FieldType
    required: bool = False
    enum: frozenset[int] | None = None
    minimum: float | None = None
    maximum: float | None = None
    references: tuple[str, str] | None = None  # (table, field) this field must exist in


@dataclass(frozen=True)
class Table:
    """One GTFS file."""

    name: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    required: bool = False

    @property
    def file_name(self) -> str:
        """The file's name inside a feed."""
        return f"{self.name}.txt"

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Every field name, in declaration order."""
        return tuple(f.name for f in self.fields)


def _enum(*values: int) -> frozenset[int]:
    return frozenset(values)


T, ID, URL = FieldType.TEXT, FieldType.ID, FieldType.URL
INT, ENUM, FLOAT, TIME, DATE = (
    FieldType.INTEGER,
    FieldType.ENUM,
    FieldType.FLOAT,
    FieldType.TIME,
    FieldType.DATE,
)
BOOL = _enum(0, 1)
ACCESS = _enum(0, 1, 2)
PICKUP = _enum(0, 1, 2, 3)
ROUTE_TYPES = _enum(0, 1, 2, 3, 4, 5, 6, 7, 11, 12, *range(100, 1800))

AGENCY = Table(
    "agency",
    (
        Field("agency_id", ID),
        Field("agency_name", T, required=True),
        Field("agency_url", URL, required=True),
        Field("agency_timezone", FieldType.TIMEZONE, required=True),
        Field("agency_lang", FieldType.LANGUAGE),
        Field("agency_phone", FieldType.PHONE),
        Field("agency_fare_url", URL),
        Field("agency_email", FieldType.EMAIL),
    ),
    primary_key=("agency_id",),
    required=True,
)

STOPS = Table(
    "stops",
    (
        Field("stop_id", ID, required=True),
        Field("stop_code", T),
        Field("stop_name", T),
        Field("tts_stop_name", T),
        Field("stop_desc", T),
        Field("stop_lat", FieldType.LATITUDE, minimum=-90, maximum=90),
        Field("stop_lon", FieldType.LONGITUDE, minimum=-180, maximum=180),
        Field("zone_id", ID),
        Field("stop_url", URL),
        Field("location_type", ENUM, enum=_enum(0, 1, 2, 3, 4)),
        Field("parent_station", ID, references=("stops", "stop_id")),
        Field("stop_timezone", FieldType.TIMEZONE),
        Field("wheelchair_boarding", ENUM, enum=ACCESS),
        Field("level_id", ID),
        Field("platform_code", T),
    ),
    primary_key=("stop_id",),
    required=True,
)

NETWORKS = Table(
    "networks",
    (Field("network_id", ID, required=True), Field("network_name", T)),
    primary_key=("network_id",),
)

ROUTES = Table(
    "routes",
    (
        Field("route_id", ID, required=True),
        Field("agency_id", ID, references=("agency", "agency_id")),
        Field("route_short_name", T),
        Field("route_long_name", T),
        Field("route_desc", T),
        Field("route_type", ENUM, required=True, enum=ROUTE_TYPES),
        Field("route_url", URL),
        Field("route_color", FieldType.COLOR),
        Field("route_text_color", FieldType.COLOR),
        Field("route_sort_order", INT, minimum=0),
        Field("continuous_pickup", ENUM, enum=PICKUP),
        Field("continuous_drop_off", ENUM, enum=PICKUP),
        Field("network_id", ID),
    ),
    primary_key=("route_id",),
    required=True,
)

ROUTE_NETWORKS = Table(
    "route_networks",
    (
        Field("network_id", ID, required=True, references=("networks", "network_id")),
        Field("route_id", ID, required=True, references=("routes", "route_id")),
    ),
    primary_key=("route_id",),
)

CALENDAR = Table(
    "calendar",
    (
        Field("service_id", ID, required=True),
        *(
            Field(day, ENUM, required=True, enum=BOOL)
            for day in (
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            )
        ),
        Field("start_date", DATE, required=True),
        Field("end_date", DATE, required=True),
    ),
    primary_key=("service_id",),
)

CALENDAR_DATES = Table(
    "calendar_dates",
    (
        Field("service_id", ID, required=True),
        Field("date", DATE, required=True),
        Field("exception_type", ENUM, required=True, enum=_enum(1, 2)),
    ),
    primary_key=("service_id", "date"),
)

SHAPES = Table(
    "shapes",
    (
        Field("shape_id", ID, required=True),
        Field("shape_pt_lat", FieldType.LATITUDE, required=True, minimum=-90, maximum=90),
        Field("shape_pt_lon", FieldType.LONGITUDE, required=True, minimum=-180, maximum=180),
        Field("shape_pt_sequence", INT, required=True, minimum=0),
        Field("shape_dist_traveled", FLOAT, minimum=0),
    ),
    primary_key=("shape_id", "shape_pt_sequence"),
)

TRIPS = Table(
    "trips",
    (
        Field("route_id", ID, required=True, references=("routes", "route_id")),
        Field("service_id", ID, required=True),
        Field("trip_id", ID, required=True),
        Field("trip_headsign", T),
        Field("trip_short_name", T),
        Field("direction_id", ENUM, enum=BOOL),
        Field("block_id", ID),
        Field("shape_id", ID, references=("shapes", "shape_id")),
        Field("wheelchair_accessible", ENUM, enum=ACCESS),
        Field("bikes_allowed", ENUM, enum=ACCESS),
    ),
    primary_key=("trip_id",),
    required=True,
)

STOP_TIMES = Table(
    "stop_times",
    (
        Field("trip_id", ID, required=True, references=("trips", "trip_id")),
        Field("arrival_time", TIME),
        Field("departure_time", TIME),
        Field("stop_id", ID, required=True, references=("stops", "stop_id")),
        Field("stop_sequence", INT, required=True, minimum=0),
        Field("stop_headsign", T),
        Field("pickup_type", ENUM, enum=PICKUP),
        Field("drop_off_type", ENUM, enum=PICKUP),
        Field("continuous_pickup", ENUM, enum=PICKUP),
        Field("continuous_drop_off", ENUM, enum=PICKUP),
        Field("shape_dist_traveled", FLOAT, minimum=0),
        Field("timepoint", ENUM, enum=BOOL),
    ),
    primary_key=("trip_id", "stop_sequence"),
    required=True,
)

FREQUENCIES = Table(
    "frequencies",
    (
        Field("trip_id", ID, required=True, references=("trips", "trip_id")),
        Field("start_time", TIME, required=True),
        Field("end_time", TIME, required=True),
        Field("headway_secs", INT, required=True, minimum=1),
        Field("exact_times", ENUM, enum=BOOL),
    ),
    primary_key=("trip_id", "start_time"),
)

TRANSFERS = Table(
    "transfers",
    (
        Field("from_stop_id", ID, references=("stops", "stop_id")),
        Field("to_stop_id", ID, references=("stops", "stop_id")),
        Field("from_route_id", ID, references=("routes", "route_id")),
        Field("to_route_id", ID, references=("routes", "route_id")),
        Field("from_trip_id", ID, references=("trips", "trip_id")),
        Field("to_trip_id", ID, references=("trips", "trip_id")),
        Field("transfer_type", ENUM, required=True, enum=_enum(0, 1, 2, 3, 4, 5)),
        Field("min_transfer_time", INT, minimum=0),
    ),
    primary_key=(
        "from_stop_id",
        "to_stop_id",
        "from_trip_id",
        "to_trip_id",
        "from_route_id",
        "to_route_id",
    ),
)

FEED_INFO = Table(
    "feed_info",
    (
        Field("feed_publisher_name", T, required=True),
        Field("feed_publisher_url", URL, required=True),
        Field("feed_lang", FieldType.LANGUAGE, required=True),
        Field("default_lang", FieldType.LANGUAGE),
        Field("feed_start_date", DATE),
        Field("feed_end_date", DATE),
        Field("feed_version", T),
        Field("feed_contact_email", FieldType.EMAIL),
        Field("feed_contact_url", URL),
    ),
)

FARE_ATTRIBUTES = Table(
    "fare_attributes",
    (
        Field("fare_id", ID, required=True),
        Field("price", FieldType.CURRENCY_AMOUNT, required=True, minimum=0),
        Field("currency_type", FieldType.CURRENCY, required=True),
        Field("payment_method", ENUM, required=True, enum=BOOL),
        Field("transfers", ENUM, enum=_enum(0, 1, 2)),
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
        Field("fare_media_type", ENUM, required=True, enum=_enum(0, 1, 2, 3, 4)),
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
        Field("duration_limit_type", ENUM, enum=_enum(0, 1, 2, 3)),
        Field("fare_transfer_type", ENUM, required=True, enum=_enum(0, 1, 2)),
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
