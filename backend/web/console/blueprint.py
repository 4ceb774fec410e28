"""The console's blueprint: refusals rendered as pages, what every console template gets,
and no caching of console pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from backend.auth.roles import Role, grants
from backend.clock import utc_now
from backend.errors import ServiceError
from backend.web.console import formats
from backend.web.console.guard import signed_in_staff

bp = Blueprint("console", __name__, url_prefix="/console")

# (endpoint, label, the role it needs; None: any staff role)
NAV: tuple[tuple[str, str, Role | None], ...] = (
    ("console.dashboard", "Dashboard", None),
    ("console.feeds", "Feeds", None),
    ("console.trips", "Trips", None),
    ("console.disruptions", "Disruptions", None),
    ("console.seat_maps", "Seat maps", None),
    ("console.devices", "Devices", None),
    ("console.cases", "Cases", Role.SUPPORT),
    ("console.travelers", "Travelers", Role.SUPPORT),  # personal data: export, erasure
    ("console.webhooks", "Messaging", None),  # webhooks, with the e-mail outbox beside them
    ("console.staff", "Staff", Role.ADMIN),
    ("console.audit", "Audit", Role.ADMIN),
)


@bp.context_processor
def _context() -> dict[str, Any]:
    staff = g.get("console_staff") or signed_in_staff()

    def can(role: Role | None) -> bool:
        return staff is not None and (role is None or grants(staff.role, role))

    return {
        "staff": staff,
        "can": can,
        "fmt": formats,
        "nav": NAV,
        "Role": Role,
        "now": utc_now(),
        "one_day": timedelta(days=1),
        "url_with": url_with,
    }


def url_with(**changes: Any) -> str:
    """This page's URL with query parameters changed (None removes one)."""
    values: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict()}
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return url_for(request.endpoint or "console.dashboard", **values)


@bp.errorhandler(ServiceError)
def _refused(error: ServiceError) -> tuple[str, int]:
    return _refusal_page(error.status, error.message, error.code)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    return _refusal_page(status, error.description or error.name, codes.get(status, "http_error"))


@bp.after_request
def _no_store(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


def _refusal_page(status: int, message: str, code: str) -> tuple[str, int]:
    titles = {404: "Not found", 409: "Not possible now", 413: "That file is too large"}
    page = render_template(
        "console/refused.html",
        title=titles.get(status, "That did not work"),
        message=message,
        code=code,
    )
    return page, status
