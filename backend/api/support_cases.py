"""Support cases over the API: travelers open, read and answer their cases; support staff
work the queue.

Travelers (no account):

- ``POST /api/v1/cases`` opens a case, linked to a booking (reference + the e-mail it was booked
  with) or to a card (technology + hex UID, as ``POST /api/v1/media/journeys``, + travel day);
- ``POST /api/v1/cases/lookup`` shows a case to whoever gives its reference and e-mail address:
  a POST, so that the address stays out of URLs and access logs;
- ``POST /api/v1/cases/{reference}/notes`` adds the traveler's reply (same e-mail check); a
  reply to a resolved case reopens it.

Staff (bearer token with the support or admin role), under ``/api/v1/support/cases``: the
queue with filters, opening a case, a case with every note, and ``assign``, ``status``,
``priority`` and ``notes`` actions. Each change records a ``case.updated`` webhook event.

Errors (see ``backend.services.support_requests`` and ``support_queue``): 400 with a stable
code for a bad kind, status, priority, assignee, e-mail, card or note; 404 ``case_not_found``
or ``booking_not_found``; 409 ``case_closed``; 422 ``validation_failed`` for malformed bodies.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from backend import db
from backend.api.guard import current_principal, require_role
from backend.api.support_schemas import (
    CaseAssignSchema,
    CaseLookupSchema,
    CaseNoteRequestSchema,
    CasePrioritySchema,
    CaseQueueArgsSchema,
    CaseQueueSchema,
    CaseStatusSchema,
    StaffCaseRequestSchema,
    StaffCaseSchema,
    TravelerCaseRequestSchema,
    TravelerCaseSchema,
    TravelerReplySchema,
)
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.rate_limits import RATE_LIMITED, LimitGroup, limited
from backend.services import support_queue as queue
from backend.services import support_requests
from backend.services.support_cases import find_case
from backend.services.support_policy import SlaPolicy

blp = Blueprint("support_cases", __name__, url_prefix="/api/v1", description="Support cases")


def current_sla() -> SlaPolicy:
    """The SLA hours of the app's settings."""
    return SlaPolicy.from_settings(current_app.config["FAREGATE_SETTINGS"])


@blp.route("/cases")
class TravelerCases(MethodView):
    """A traveler's cases."""

    @limited(LimitGroup.SUPPORT)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.arguments(TravelerCaseRequestSchema())
    @blp.response(201, TravelerCaseSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Open a case, optionally linked to a booking or to a card's travel day."""
        session, now = db.session(), utc_now()
        case = support_requests.open_for_traveler(
            session,
            support_requests.TravelerCase(
                kind=body["kind"],
                subject=body["subject"],
                message=body["message"],
                email=body["email"],
                booking_reference=body["booking_reference"],
                card_technology=body["card_technology"],
                card_uid=body["card_uid"],
                travel_day=body["travel_day"],
            ),
            sla=current_sla(),
            now=now,
        )
        return support_requests.traveler_view(session, case, now)


@blp.route("/cases/lookup")
class TravelerCaseLookup(MethodView):
    """A traveler's case, found by its reference and e-mail address."""

    @limited(LimitGroup.LOOKUPS)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.arguments(CaseLookupSchema())
    @blp.response(200, TravelerCaseSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Show the case and the notes meant for the traveler."""
        session = db.session()
        case = support_requests.case_for_traveler(session, body["reference"], body["email"])
        return support_requests.traveler_view(session, case, utc_now())


@blp.route("/cases/<reference>/notes")
class TravelerReplies(MethodView):
    """A traveler's replies."""

    @limited(LimitGroup.SUPPORT)
    @blp.alt_response(429, response=RATE_LIMITED)
    @blp.arguments(TravelerReplySchema())
    @blp.response(201, TravelerCaseSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body: dict[str, Any], reference: str) -> dict[str, Any]:
        """Reply on the case (a resolved case is reopened; a closed one takes no reply)."""
        session, now = db.session(), utc_now()
        case = support_requests.reply_as_traveler(
            session, reference, body["email"], body["message"], now
        )
        return support_requests.traveler_view(session, case, now)


@blp.route("/support/cases")
class Queue(MethodView):
    """The support queue."""

    @require_role(Role.SUPPORT)
    @blp.arguments(CaseQueueArgsSchema(), location="query")
    @blp.response(200, CaseQueueSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List cases by status, kind, priority, assignee and overdue, sorted and paged."""
        session, now = db.session(), utc_now()
        assignee = args["assignee"]
        wanted = queue.CaseFilter(
            status=args["status"],
            kind=args["kind"],
            priority=args["priority"],
            assignee=(
                current_principal().user_id
                if assignee == "me"
                else int(assignee)
                if assignee not in (None, "none")
                else None
            ),
            unassigned=assignee == "none",
            overdue=args["overdue"],
            sort=args["sort"],
            descending=args["direction"] == "desc",
            page=args["page"],
        )
        found = queue.list_cases(session, wanted, now)
        names = queue.staff_names(session, {case.assignee_id for case in found.cases})
        return {
            "cases": [queue.case_summary(case, names, now) for case in found.cases],
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
        }

    @require_role(Role.SUPPORT)
    @blp.arguments(StaffCaseRequestSchema())
    @blp.response(201, StaffCaseSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Open a case for a traveler (a call, a letter), optionally linked and assigned."""
        session, now = db.session(), utc_now()
        case = queue.open_for_staff(
            session,
            queue.StaffCase(**body),
            author_id=current_principal().user_id,
            sla=current_sla(),
            now=now,
        )
        return queue.staff_view(session, case, now)


@blp.route("/support/cases/<reference>")
class OneCase(MethodView):
    """One case, for staff."""

    @require_role(Role.SUPPORT)
    @blp.response(200, StaffCaseSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, reference: str) -> dict[str, Any]:
        """Show the case with its links, refunds and every note."""
        session = db.session()
        return queue.staff_view(session, find_case(session, reference), utc_now())


@blp.route("/support/cases/<reference>/assign")
class Assign(MethodView):
    """Who works a case."""

    @require_role(Role.SUPPORT)
    @blp.arguments(CaseAssignSchema())
    @blp.response(200, StaffCaseSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any], reference: str) -> dict[str, Any]:
        """Assign the case to an active support or admin user (null: unassign)."""
        session, now = db.session(), utc_now()
        case = queue.assign(session, reference, body["assignee_id"], now)
        return queue.staff_view(session, case, now)


@blp.route("/support/cases/<reference>/status")
class Status(MethodView):
    """Where a case stands."""

    @require_role(Role.SUPPORT)
    @blp.arguments(CaseStatusSchema())
    @blp.response(200, StaffCaseSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any], reference: str) -> dict[str, Any]:
        """Change the case's status."""
        session, now = db.session(), utc_now()
        case = queue.set_status(session, reference, body["status"], now)
        return queue.staff_view(session, case, now)


@blp.route("/support/cases/<reference>/priority")
class Priority(MethodView):
    """How urgent a case is."""

    @require_role(Role.SUPPORT)
    @blp.arguments(CasePrioritySchema())
    @blp.response(200, StaffCaseSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any], reference: str) -> dict[str, Any]:
        """Change the case's priority; its due time becomes creation time plus the new SLA."""
        session, now = db.session(), utc_now()
        case = queue.set_priority(session, reference, body["priority"], sla=current_sla(), now=now)
        return queue.staff_view(session, case, now)


@blp.route("/support/cases/<reference>/notes")
class StaffNotes(MethodView):
    """Staff notes."""

    @require_role(Role.SUPPORT)
    @blp.arguments(CaseNoteRequestSchema())
    @blp.response(201, StaffCaseSchema)
    @blp.alt_response(400, response="BAD_REQUEST")
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body: dict[str, Any], reference: str) -> dict[str, Any]:
        """Add an internal note, or (``internal`` false) a reply e-mailed to the traveler."""
        session, now = db.session(), utc_now()
        case = queue.add_staff_note(
            session,
            reference,
            body["body"],
            internal=body["internal"],
            author_id=current_principal().user_id,
            now=now,
        )
        return queue.staff_view(session, case, now)
