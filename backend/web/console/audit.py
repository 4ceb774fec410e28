"""The audit log in the console: the page for administrators, and console sign-ins and
sign-outs named for the log.

``/console/audit`` lists staff actions newest first, filtered by actor e-mail, action (a name
or a dotted prefix such as ``support_case``) and a range of days (UTC, both ends included),
50 a page. A bad filter (a day that is not a date, a range ending before it starts) answers
with the page, unfiltered, and the problem beside the filters (422).

Sign-in pages are not behind the page guard, so ``backend.audit_trail`` cannot see who is
acting there: the hooks below name the actor when a sign-in step starts a new staff session
(``staff.sign_in``, or ``staff.sign_in.password`` while the second factor is still due) and
when a signed-in member signs out (``staff.sign_out``). A refused sign-in starts no session
and is not recorded here (``login_throttle`` counts it).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from flask import g, render_template, request
from flask import session as browser_session
from werkzeug.wrappers import Response

from backend import audit_trail, db
from backend.auth.roles import Role
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.services import audit, staff_sessions
from backend.services.audit import Actor, AuditFilter
from backend.services.staff_sessions import SignedIn
from backend.web.console.blueprint import bp
from backend.web.console.guard import TOKEN_KEY, lookup, page, policy

SIGN_IN_STEPS = frozenset({"console.login", "console.second_factor"})
SIGN_OUT = "console.logout"
SIGN_IN_ACTIONS = ("staff.sign_in", "staff.sign_in.password", "staff.sign_out")
log = logging.getLogger(__name__)


@bp.get("/audit", endpoint="audit")
@page(Role.ADMIN)
def audit_page() -> str | tuple[str, int]:
    """Staff actions, newest first, with filters."""
    args = request.args
    filters = {key: args.get(key, "").strip() for key in ("actor", "action", "from", "to")}
    error = None
    try:
        wanted = AuditFilter(
            actor=filters["actor"] or None,
            action=filters["action"] or None,
            since=_day_start(filters["from"], "from"),
            until=_day_end(filters["to"], "to"),
            page=args.get("page", 1, type=int) or 1,
        )
        found = audit.list_events(db.session(), wanted)
    except ServiceError as refused:
        error = refused
        found = audit.list_events(db.session(), AuditFilter())
    answer = render_template(
        "console/audit.html",
        title="Audit",
        found=found,
        filters=filters,
        actions=sorted(set(audit_trail.ACTIONS.values()) | set(SIGN_IN_ACTIONS)),
        error=error,
    )
    return (answer, 422) if error else answer


def _day_start(text: str, name: str) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ServiceError("invalid_day", f"{name} is not a day (YYYY-MM-DD)") from None
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def _day_end(text: str, name: str) -> datetime | None:
    start = _day_start(text, name)
    return start + timedelta(days=1) if start is not None else None


@bp.before_request
def _remember_who_signs_out() -> None:
    if request.method == "POST" and request.endpoint == SIGN_OUT:
        staff = lookup().staff
        if staff is not None:
            audit_trail.describe("staff.sign_out", actor=_actor(staff))
    elif request.method == "POST" and request.endpoint in SIGN_IN_STEPS:
        g.audit_token_before = browser_session.get(TOKEN_KEY)


@bp.after_request
def _name_who_signed_in(response: Response) -> Response:
    if request.method != "POST" or request.endpoint not in SIGN_IN_STEPS:
        return response
    token = browser_session.get(TOKEN_KEY)
    if not isinstance(token, str) or token == g.get("audit_token_before"):
        return response  # refused: no new session
    try:
        found = staff_sessions.find(db.session(), token, policy=policy(), now=utc_now()).staff
    except Exception:  # naming the actor must never fail the sign-in
        log.exception("could not name the staff member who signed in")
        return response
    if found is not None:
        action = "staff.sign_in.password" if found.second_factor_due else "staff.sign_in"
        audit_trail.describe(action, actor=_actor(found))
    return response


def _actor(staff: SignedIn) -> Actor:
    return Actor("console", staff.user_id, staff.email, staff.role.value)
