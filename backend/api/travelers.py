"""A traveler's personal data over the API: export and erasure by contact e-mail, for support
staff and admins (planners are refused, 403 ``insufficient_role``).

- ``GET /api/v1/travelers/export?email=...`` answers the export document
  (``backend.services.personal_export``). Reading personal data is recorded in the audit log
  although it is a GET, with the address's hash.
- ``POST /api/v1/travelers/erase`` with ``{"email": ..., "confirm": true}`` erases it
  (``backend.services.personal_erasure``) and answers what it changed. It is idempotent: run
  again, it changes nothing and answers ``already_erased`` with zero counts.

Refusals: 400 ``invalid_email``; 404 ``traveler_not_found`` when nothing is stored for the
address (an export of an unknown address is refused rather than empty, so that a typo is not
mistaken for "we hold nothing"); 422 ``confirmation_required`` when ``confirm`` is not true;
422 ``validation_failed`` for malformed requests.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from backend import audit_trail, db
from backend.api.guard import require_role
from backend.api.traveler_schemas import (
    ErasureRequestSchema,
    ErasureSchema,
    ExportArgsSchema,
    TravelerExportSchema,
)
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.services import personal_data, personal_erasure, personal_export

blp = Blueprint(
    "travelers",
    __name__,
    url_prefix="/api/v1/travelers",
    description="Export and erasure of a traveler's personal data",
)


def _describe(email: str, **kwargs: Any) -> None:
    try:
        audit_trail.describe(email_sha256=personal_data.email_hash(email), **kwargs)
    except ServiceError:
        audit_trail.describe(**kwargs)  # not an address: nothing to hash


@blp.route("/export")
class TravelerExport(MethodView):
    """Everything stored about a traveler."""

    @require_role(Role.SUPPORT)
    @blp.arguments(ExportArgsSchema(), location="query")
    @blp.response(200, TravelerExportSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Export the personal data of the traveler with this contact e-mail."""
        _describe(args["email"], read=True)
        return personal_export.export(db.session(), args["email"], utc_now())


@blp.route("/erase")
class TravelerErasure(MethodView):
    """Erasing a traveler's personal data."""

    @require_role(Role.SUPPORT)
    @blp.arguments(ErasureRequestSchema())
    @blp.response(200, ErasureSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any]) -> personal_erasure.Erasure:
        """Erase the personal data of the traveler with this contact e-mail; bookings stay,
        anonymized. Idempotent."""
        _describe(body["email"])
        if body["confirm"] is not True:
            raise ServiceError(
                "confirmation_required",
                'erasing cannot be undone: send "confirm": true',
                status=422,
            )
        erasure = personal_erasure.erase(
            db.database(),
            body["email"],
            now=utc_now(),
            recorded_as=audit_trail.entry_for_request(personal_erasure.ERASE_ACTION, 200),
        )
        audit_trail.written_by_view()
        return erasure
