"""Fare API: what a journey over the active timetable costs."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.fare_schemas import QuoteArgsSchema, QuoteSchema
from backend.services import fare_quotes, timetable
from backend.services.fare_quotes import LegRequest

blp = Blueprint("fares", __name__, url_prefix="/api/v1", description="Fares of journeys")


@blp.route("/fares/quote")
class FareQuote(MethodView):
    """The fare of a journey."""

    @blp.arguments(QuoteArgsSchema(), location="query")
    @blp.response(200, QuoteSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Price a journey of one or more legs for a rider category and fare media."""
        session = db.session()
        legs = [
            LegRequest(trip, start, end)
            for trip, start, end in zip(
                args["trip_instance"], args["from_stop"], args["to_stop"], strict=True
            )
        ]
        return fare_quotes.quote(
            session,
            current_app.extensions["faregate.fare_caches"],
            timetable.require_active_version(session),
            legs,
            rider_category=args["rider_category"],
            fare_media=args["fare_media"],
        )
