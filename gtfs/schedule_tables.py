"""GTFS schedule files: agency, stops, routes, trips, stop times, calendars and the like."""

from __future__ import annotations

from gtfs.fields import (
    ACCESS,
    BOOL,
    DATE,
    ENUM,
    FLOAT,
    ID,
    INT,
    PICKUP,
    ROUTE_TYPES,
    TIME,
    URL,
    Field,
    FieldType,
    T,
    Table,
    enum_of,
)

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
        Field("location_type", ENUM, enum=enum_of(0, 1, 2, 3, 4)),
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
        Field("exception_type", ENUM, required=True, enum=enum_of(1, 2)),
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
        Field("transfer_type", ENUM, required=True, enum=enum_of(0, 1, 2, 3, 4, 5)),
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
