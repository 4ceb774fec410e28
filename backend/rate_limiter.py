"""Flask-Limiter installed on an application: the limits of ``backend.rate_limits`` marks.

Views are wrapped per application, not at import, so every app built by ``create_app`` has its
own limiter, storage and settings (tests build many apps in one process); with
``rate_limits_enabled`` false no limiter is installed at all and the views run unwrapped.
Call ``init_rate_limits`` once every blueprint is registered.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded

from backend import db
from backend.api import errors
from backend.clock import utc_now
from backend.errors import AuthenticationError
from backend.rate_limits import marks_of
from backend.services import accounts, devices
from backend.settings import Settings
from backend.web import error_pages

log = logging.getLogger(__name__)
EXTENSION = "faregate.rate_limiter"
KEY_PREFIX = "faregate"
_REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")
_TRUSTED = "faregate.trusted_caller"
Hook = TypeVar("Hook")


def client_address() -> str:
    """The address a request is counted against: the peer's, or the one trusted proxies
    forwarded (``backend.rate_limits``)."""
    return request.remote_addr or "unknown"


def init_rate_limits(app: Flask, settings: Settings) -> Limiter | None:
    """Wrap ``app``'s marked views in their limits; call once every blueprint is registered."""
    if not settings.rate_limits_enabled:
        return None
    url = settings.rate_limit_storage_url
    options: dict[str, str | int] = {}
    if url.startswith(_REDIS_SCHEMES):
        # A store that hangs must not hang bookings: give up soon and fall back to memory.
        options = {"socket_timeout": 1, "socket_connect_timeout": 1}
    limiter = Limiter(
        client_address,
        storage_uri=url,
        storage_options=options,
        strategy="fixed-window",
        key_prefix=KEY_PREFIX,
        headers_enabled=False,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.init_app(app)
    _drop_request_hooks(app, limiter)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, _refused)
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = _limited_view(limiter, view, settings)
    return limiter


def _drop_request_hooks(app: Flask, limiter: Limiter) -> None:
    """Take out the hooks Flask-Limiter adds to every request of ``app``.

    They evaluate application-wide and default limits (none are configured: every limit sits
    on a view and is checked by its wrapper), add X-RateLimit headers (off) and deduct
    conditional costs (none); yet they cost every request, limited or not, tens of
    microseconds. Each request's limiter state lives on its request context and goes with it.
    """

    app.before_request_funcs[None] = _others(app.before_request_funcs.get(None, []), limiter)
    app.after_request_funcs[None] = _others(app.after_request_funcs.get(None, []), limiter)
    app.teardown_request_funcs[None] = _others(app.teardown_request_funcs.get(None, []), limiter)


def _others(hooks: list[Hook], limiter: Limiter) -> list[Hook]:
    """``hooks`` but those bound to ``limiter``."""
    return [
        hook
        for hook in hooks
        if getattr(hook, "__self__", None) is not limiter
        and not (isinstance(hook, partial) and limiter in hook.args)
    ]


def _limited_view(
    limiter: Limiter, view: Callable[..., Any], settings: Settings
) -> Callable[..., Any]:
    """``view`` wrapped in the limit of each of its marks that the settings give a value."""
    for mark in marks_of(view):
        value = mark.group.setting(settings)
        if value:
            methods = list(mark.methods) if mark.methods is not None else None
            view = limiter.limit(value, methods=methods, exempt_when=trusted_caller)(view)
    return view


def trusted_caller() -> bool:
    """Whether the request carries a valid device or staff API token (checked once per
    request, however many windows its limit has)."""
    if _TRUSTED not in request.environ:
        request.environ[_TRUSTED] = _valid_token(request.headers.get("Authorization", ""))
    trusted: bool = request.environ[_TRUSTED]
    return trusted


def _valid_token(header: str) -> bool:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if not token or scheme.lower() not in ("device", "bearer"):
        return False
    with db.database().sessions() as session:
        try:
            if scheme.lower() == "device":
                devices.authenticate_device(session, token)
            else:
                accounts.authenticate(session, token, now=utc_now())
        except AuthenticationError:
            return False
    return True


def _refused(error: RateLimitExceeded) -> Response:
    """429 with Retry-After: the API's envelope, or a page for people."""
    wait = retry_after_seconds(error)
    if error_pages.is_page_request():
        page, _ = error_pages.error_page(error)
        response = Response(page, status=429, mimetype="text/html")
    else:
        response = errors.error_response(
            429,
            errors.HTTP_CODES[429],
            f"too many requests from this address (at most {error.limit.limit}); "
            f"try again in {wait} s",
        )
    response.headers["Retry-After"] = str(wait)
    return response


def retry_after_seconds(error: RateLimitExceeded) -> int:
    """Whole seconds until the breached window ends (its whole length if the store cannot
    tell)."""
    limiter: Limiter = current_app.extensions[EXTENSION]
    breached = limiter.current_limit
    try:
        if breached is not None:
            return max(1, math.ceil(breached.window[0] - time.time()))
    except Exception:  # the store failed after refusing: the window's length will do
        log.warning("rate limit store could not tell when a window ends", exc_info=True)
    return max(1, int(error.limit.limit.get_expiry()))
