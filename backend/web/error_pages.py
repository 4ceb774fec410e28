"""HTTP errors of the pages (an unknown address, a wrong method) as pages people can read;
the JSON API and the GTFS-Realtime feeds keep the API's error envelope."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.exceptions import HTTPException

from backend.api.errors import HTTP_CODES

API_PATHS = ("/api/", "/healthz", "/readyz", "/gtfs-rt/")
CONSOLE_PREFIX = "/console"

_TITLES = {
    404: ("Page not found", "There is no page at this address. It may have moved."),
    405: ("Not available here", "This page cannot be used that way."),
    413: ("Upload too large", "The file is larger than this site accepts."),
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
