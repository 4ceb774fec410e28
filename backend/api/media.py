"""The rider's view of account media: the journeys and charges behind a card.

Two ways in:

- ``POST /api/v1/media/journeys`` with the card (``technology`` and hex ``uid``, as validators
  read it) and optional ``from``/``to`` travel days: for riders, with no account. Holding the
  card (its number) is the credential: the server works out the card's fingerprint as every
  validator does (``fares.tap.media_fingerprint``) and shows that medium's journeys, with the
  fingerprint. It is a POST so that the UID stays out of URLs and access logs. A UID is a weak
  secret (a card tells it to any reader held close), so the answer shows only what the card's
  own taps made: journeys, stops, times, fares and charges, never devices or other media.
- ``GET /api/v1/media/{fingerprint}/journeys?from=&to=`` with a staff bearer token (any role):
  support staff look up any medium, e.g. by a fingerprint from a deny list or a case.
  A fingerprint alone is no proof of holding the card (they travel in rule bundles), so
  riders use the POST.

Errors: ``invalid_fingerprint``, ``invalid_card``, ``invalid_date_range``,
``date_range_too_long`` (400); ``validation_failed`` (422) for malformed bodies or dates.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.guard import require_role
from backend.api.media_schemas import CardLookupSchema, DayRangeArgsSchema, MediaJourneysSchema
from backend.clock import utc_now
from backend.rate_limits import RATE_LIMITED, LimitGroup, limited
from backend.services import reconciliation_views as views

blp = Blueprint(
    "media", __name__, url_prefix="/api/v1", description="Account media: journeys and charges"
)


@blp.route("/media/journeys")
class CardJourneys(MethodView):
    """A rider's own card."""

    @limited(LimitGroup.LOOKUPS)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.arguments(CardLookupSchema())
    @blp.response(200, MediaJourneysSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Journeys and daily charges of the card given by its read technology and UID."""
        fingerprint = views.card_fingerprint(body["technology"], body["uid"])
        first, last = views.day_range(body["first"], body["last"], utc_now().date())
        return views.media_journeys(db.session(), fingerprint, first, last)


@blp.route("/media/<fingerprint>/journeys")
class MediaJourneys(MethodView):
    """Any medium, for staff."""

    @require_role()
    @blp.arguments(DayRangeArgsSchema(), location="query")
    @blp.response(200, MediaJourneysSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any], fingerprint: str) -> dict[str, Any]:
        """Journeys and daily charges of the medium with this fingerprint (any staff role)."""
        first, last = views.day_range(args["first"], args["last"], utc_now().date())
        return views.media_journeys(db.session(), fingerprint, first, last)
