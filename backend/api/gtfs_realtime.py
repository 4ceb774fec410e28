"""GTFS-Realtime for trip planners: ``GET /gtfs-rt/trip-updates``.

Public (no token: trip planners fetch it), outside ``/api/v1`` where GTFS-Realtime consumers
expect a feed URL of its own. The body is a protobuf ``FeedMessage``
(``application/x-protobuf``; contents in ``backend.services.gtfs_rt_export``);
``?format=json``, or ``/gtfs-rt/trip-updates.json``, gives the same message in protobuf's JSON
mapping, for people debugging a feed.

Answers may be cached for ``MAX_AGE_S`` seconds and carry a weak ETag of the entities: a
request with a matching ``If-None-Match`` gets 304 with no body. Refusals use the API's JSON
error envelope.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.clock import utc_now
from backend.services.gtfs_rt_export import PROTOBUF_MEDIA_TYPE, build_trip_updates
from backend.services.reservation_store import Inventory
from backend.services.version_facts import VersionFactsCache

MAX_AGE_S = 5
FORMATS = ("protobuf", "json")

blp = Blueprint(
    "gtfs_realtime",
    __name__,
    url_prefix="/gtfs-rt",
    description="GTFS-Realtime feeds for trip planners (public)",
)

_BINARY = {"type": "string", "format": "binary"}
_FEED_JSON = {"type": "object", "description": "The FeedMessage in protobuf's JSON mapping"}
_FEED_DESCRIPTION = "A GTFS-Realtime FeedMessage (JSON with format=json)"
_CACHE_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "Weak validator of the entities"},
    "Cache-Control": {"schema": {"type": "string"}, "description": "public, max-age=5"},
}


class FeedFormatArgsSchema(ma.Schema):
    """The representation asked for."""

    format = ma.fields.String(
        load_default="protobuf",
        validate=ma.validate.OneOf(FORMATS),
        metadata={"description": "protobuf (the default) or json"},
    )


@blp.route("/trip-updates")
class TripUpdates(MethodView):
    """Cancelled trip instances and the occupancy of those on sale, as GTFS-Realtime."""

    @blp.arguments(FeedFormatArgsSchema(), location="query")
    @blp.response(
        200,
        _BINARY,
        content_type=PROTOBUF_MEDIA_TYPE,
        description=_FEED_DESCRIPTION,
        headers=_CACHE_HEADERS,
    )
    @blp.alt_response(304, description="Not modified since the copy named by If-None-Match")
    @blp.alt_response(
        200,
        schema=_FEED_JSON,
        content_type="application/json",
        description=_FEED_DESCRIPTION,
        success=True,
    )
    def get(self, args: dict[str, Any]) -> Response:
        """The TripUpdates feed: one entity per cancelled or opened trip instance."""
        return _feed_response(as_json=args["format"] == "json")


@blp.route("/trip-updates.json")
class TripUpdatesJson(MethodView):
    """The TripUpdates feed as JSON."""

    @blp.response(200, _FEED_JSON, description="The FeedMessage as JSON", headers=_CACHE_HEADERS)
    @blp.alt_response(304, description="Not modified since the copy named by If-None-Match")
    def get(self) -> Response:
        """The TripUpdates feed in protobuf's JSON mapping (proto field names), for people."""
        return _feed_response(as_json=True)


def _feed_response(*, as_json: bool) -> Response:
    inventory: Inventory = current_app.extensions["faregate.inventory"]
    facts: VersionFactsCache = current_app.extensions["faregate.version_facts"]
    feed = build_trip_updates(db.session(), facts, inventory.seat_maps, utc_now())
    etag = f"{feed.etag}-json" if as_json else feed.etag
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    elif as_json:
        response = Response(feed.to_json(), mimetype="application/json")
    else:
        response = Response(feed.to_bytes(), content_type=PROTOBUF_MEDIA_TYPE)
    response.set_etag(etag, weak=True)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_S
    return response
