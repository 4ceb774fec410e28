"""Response bodies and query parameters of the timetable read API."""

from __future__ import annotations

import marshmallow as ma

from backend.api.row_ids import MAX_OFFSET


class StopSchema(ma.Schema):
    """A stop or station of the active timetable."""

    stop_id = ma.fields.String(required=True)
    stop_code = ma.fields.String(allow_none=True)
    stop_name = ma.fields.String(allow_none=True)
    stop_lat = ma.fields.Float(allow_none=True)
    stop_lon = ma.fields.Float(allow_none=True)
    location_type = ma.fields.Integer(allow_none=True)
    parent_station = ma.fields.String(allow_none=True)
    wheelchair_boarding = ma.fields.Integer(allow_none=True)


class StopPageSchema(ma.Schema):
    """A page of stops."""

    total = ma.fields.Integer(required=True)
    stops = ma.fields.List(ma.fields.Nested(StopSchema), required=True)


class StopSearchArgsSchema(ma.Schema):
    """Name search and paging."""

    q = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=200))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_OFFSET))


class RouteSchema(ma.Schema):
    """A route of the active timetable."""

    route_id = ma.fields.String(required=True)
    agency_id = ma.fields.String(allow_none=True)
    route_short_name = ma.fields.String(allow_none=True)
    route_long_name = ma.fields.String(allow_none=True)
    route_type = ma.fields.Integer(required=True)
    route_color = ma.fields.String(allow_none=True)
    route_text_color = ma.fields.String(allow_none=True)


class TripOptionSchema(ma.Schema):
    """A trip instance at a stop or between two stops."""

    trip_instance = ma.fields.String(required=True)
    trip_id = ma.fields.String(required=True)
    service_date = ma.fields.Date(required=True)
    route_id = ma.fields.String(required=True)
    route_name = ma.fields.String(required=True)
    headsign = ma.fields.String(allow_none=True)
    departure = ma.fields.DateTime(required=True)
    arrival = ma.fields.DateTime(allow_none=True)
    board_stop_sequence = ma.fields.Integer(required=True)
    alight_stop_sequence = ma.fields.Integer(allow_none=True)


class DeparturesArgsSchema(ma.Schema):
    """Which service date, and how many departures."""

    date = ma.fields.Date(required=True)
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=500))


class TripSearchArgsSchema(ma.Schema):
    """Direct trips from one stop to another on a service date."""

    from_ = ma.fields.String(required=True, data_key="from", validate=ma.validate.Length(min=1))
    to = ma.fields.String(required=True, validate=ma.validate.Length(min=1))
    date = ma.fields.Date(required=True)
