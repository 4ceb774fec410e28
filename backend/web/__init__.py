"""The web pages: travelers' booking pages and the operators' console, rendered on the
server from the templates in ``backend/templates`` with little JavaScript.

Pages share one layout (``base.html``), one stylesheet (``static/css/faregate.css``) and one
set of protections (``backend.web.protection``): signed session cookies, a CSRF token on every
form, and a strict Content-Security-Policy. The JSON API under ``/api`` is not part of this:
it authenticates with bearer tokens and never reads the session cookie.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for
from werkzeug.wrappers import Response

from backend.settings import Settings
from backend.web import console, protection
from backend.web.traveler import init_traveler


def init_web(app: Flask, settings: Settings) -> None:
    """Configure sessions and page protections on ``app``."""
    protection.init_protection(app, settings)
    init_traveler(app, settings)
    console.init_console(app)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        """Browsers and bots ask for /favicon.ico whatever the page links."""
        return redirect(url_for("static", filename="img/favicon.svg"), code=301)
