"""``GET /metrics`` for the operator's Prometheus, and the timing of every request.

Access. ``/metrics`` is for the operator's scraper, not for travelers or devices:

- with ``metrics_token_file`` set, a scrape must send ``Authorization: Bearer <token>`` (the
  file's first line); anything else is 401 ``metrics_unauthorized``. Staff API tokens are not
  accepted: the scraper's credential opens nothing else, and no staff token has to sit in a
  scraper's configuration;
- without it, ``/metrics`` answers whoever reaches the server. That suits the default bind
  (127.0.0.1, behind a reverse proxy) and a private network shared with the scraper; a proxy
  that publishes the site should not forward ``/metrics``, or the token should be set.

``/metrics`` is a plain Flask blueprint outside ``/api``: not part of the OpenAPI document.
When the database cannot be read, a scrape still shows the processes' series, with
``faregate_metrics_database_up`` 0 in place of the gauges read from it.

Timing. Every request is timed from the app's first ``before_request`` function (registered
before any other, so that one answering early is timed too) to its ``after_request``.
"""

from __future__ import annotations

import hmac
import logging
import time
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from backend import db, metrics
from backend.clock import utc_now
from backend.errors import AuthenticationError
from backend.services.metric_readings import read_metrics
from backend.settings import Settings, SettingsError

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
_SCRAPE_TOKEN_KEY = "faregate.metrics_token"  # noqa: S105 - an extensions key
_STARTED = "faregate.request_started"

bp = Blueprint("metrics", __name__)


def init_metrics(app: Flask, settings: Settings) -> None:
    """Time every request of ``app`` and serve ``/metrics``; call before other hooks."""
    app.extensions[_SCRAPE_TOKEN_KEY] = scrape_token(settings)
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)


def scrape_token(settings: Settings) -> str | None:
    """The token scrapes must present, from ``metrics_token_file``; None when not set."""
    if not settings.metrics_token_file:
        return None
    path = Path(settings.metrics_token_file)
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise SettingsError(f"metrics_token_file {path} cannot be read: {error}") from error
    token = lines[0].strip() if lines else ""
    if len(token) < 16:
        raise SettingsError(f"metrics_token_file {path} holds no token of 16 characters or more")
    return token


def _start_timer() -> None:
    request.environ[_STARTED] = time.perf_counter()


def _observe(response: Response) -> Response:
    started = request.environ.get(_STARTED)
    if started is not None:
        seconds = time.perf_counter() - started
        metrics.observe_request(request.endpoint, request.method, response.status_code, seconds)
    return response


@bp.get(METRICS_PATH)
def scrape() -> Response:
    """Every series, in Prometheus's text format."""
    _check_token(current_app.extensions[_SCRAPE_TOKEN_KEY])
    now = utc_now()
    try:
        readings = read_metrics(db.session(), now)
    except SQLAlchemyError as error:
        log.warning("metrics: the database could not be read: %s", type(error).__name__)
        readings = None
    body, content_type = metrics.exposition(readings, now)
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _check_token(expected: str | None) -> None:
    if expected is None:
        return
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), expected.encode()
    ):
        raise AuthenticationError(
            "metrics_unauthorized", "send Authorization: Bearer <the metrics token>"
        )
