"""A traveler's personal data in the console: export it, or erase it, by contact e-mail.

For support staff and admins, like cases (planners are refused: this is personal data).
Both are forms posted to the server, so that the address stays out of URLs and access logs:

- **Export** answers with the JSON document of ``backend.services.personal_export``, as a
  download named after the address's hash.
- **Erase** needs the confirmation box ticked; it answers with what was changed. Erasing an
  address erased before changes nothing and says so.

Refusals re-render the page with the message and its code beside the forms: 400
``invalid_email``, 404 ``traveler_not_found``, 422 ``confirmation_required``. Every use is in
the audit log, with the address's hash, never the address.
"""

from __future__ import annotations

import json

from flask import render_template, request
from werkzeug.wrappers import Response

from backend import audit_trail, db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.services import personal_data, personal_erasure, personal_export
from backend.web.console.blueprint import bp
from backend.web.console.guard import page


@bp.get("/travelers", endpoint="travelers")
@page(Role.SUPPORT)
def travelers_page() -> str:
    """The export and erasure forms."""
    return _page()


@bp.post("/travelers/export", endpoint="export_traveler")
@page(Role.SUPPORT)
def export_traveler() -> Response | tuple[str, int]:
    """Download everything stored about the traveler with the address given."""
    email = request.form.get("email", "")
    try:
        audit_trail.describe(email_sha256=personal_data.email_hash(email))
        document = personal_export.export(db.session(), email, utc_now())
    except ServiceError as refused:
        return _page(email=email, error=refused, form="export"), refused.status
    name = f"traveler-{personal_data.email_hash(email)[:12]}.json"
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/travelers/erase", endpoint="erase_traveler")
@page(Role.SUPPORT)
def erase_traveler() -> str | tuple[str, int]:
    """Erase the personal data of the traveler with the address given."""
    email = request.form.get("email", "")
    try:
        audit_trail.describe(email_sha256=personal_data.email_hash(email))
        if request.form.get("confirm") != "yes":
            raise ServiceError(
                "confirmation_required",
                "tick the box to confirm: erasing cannot be undone",
                status=422,
            )
        erasure = personal_erasure.erase(
            db.database(),
            email,
            now=utc_now(),
            recorded_as=audit_trail.entry_for_request(personal_erasure.ERASE_ACTION, 200),
        )
    except ServiceError as refused:
        return _page(email=email, error=refused, form="erase"), refused.status
    audit_trail.written_by_view()
    return _page(erasure=erasure)


def _page(
    *,
    email: str = "",
    error: ServiceError | None = None,
    form: str | None = None,
    erasure: personal_erasure.Erasure | None = None,
) -> str:
    return render_template(
        "console/travelers.html",
        title="Travelers' data",
        email=email,
        error=error,
        form=form,
        erasure=erasure,
    )
