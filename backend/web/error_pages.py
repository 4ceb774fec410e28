"""HTTP errors of the pages (an unknown address, a wrong method, a database lost during a
failover) as pages people can read; the JSON API and the GTFS-Realtime feeds keep the API's
error envelope."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from backend.api.errors import HTTP_CODES
from backend.db import DatabaseUnavailableError

API_PATHS = ("/api/", "/healthz", "/readyz", "/gtfs-rt/")
CONSOLE_PREFIX = "/console"

_TITLES = {
    404: ("Page not found", "There is no page at this address. It may have moved."),
    405: ("Not available here", "This page cannot be used that way."),
    413: ("Too large", "What was sent, a file or a form, is larger than this site accepts."),
    429: (
        "Too many requests",
        "This was sent from your address too often in a short time. "
        "Please wait a minute, then try again.",
    ),
}


def is_page_request() -> bool:
    """Whether the request is for a page rather than the JSON API."""
    return not request.path.startswith(API_PATHS)


def error_page(error: HTTPException) -> tuple[str, int]:
    """``error`` as a page, with a way back to the start of its part of the site."""
    status = error.code or 500
    title, message = _TITLES.get(
        status, ("Something went wrong", "The request could not be completed.")
    )
    home = "/console/" if request.path.startswith(CONSOLE_PREFIX) else "/"
    page = render_template(
        "error.html", title=title, message=message, code=HTTP_CODES.get(status), home=home
    )
    return page, status


def database_unavailable_page(refusal: DatabaseUnavailableError) -> Response:
    """503 ``database_unavailable`` as a page asking to try again in a moment."""
    home = "/console/" if request.path.startswith(CONSOLE_PREFIX) else "/"
    # Rendered without the context processors: the console's reads the staff session from the
    # very database that is lost.
    page = current_app.jinja_env.get_template("error.html").render(
        title="Briefly unavailable",
        message="We cannot reach our records just now. Please try again in a moment.",
        code=refusal.code,
        home=home,
    )
    response = Response(page, status=refusal.status, mimetype="text/html")
    response.headers["Retry-After"] = str(refusal.retry_after_s)
    return response
