"""What every web page gets: a signed session cookie, CSRF checks on forms, and security
headers.

- The session secret is read from ``session_secret_file``, made on first start (mode 0600)
  when missing; several workers starting at once agree on one file.
- Session cookies are HttpOnly and SameSite=Lax, and Secure whenever the request came over
  HTTPS (directly, or through a trusted proxy's ``X-Forwarded-Proto``), and always when
  ``secure_cookies`` is set (the site is only ever served over HTTPS).
- Behind ``trusted_proxies`` reverse proxies, werkzeug's ProxyFix takes the scheme, host and
  client address from their ``X-Forwarded-Proto``, ``-Host`` and ``-For`` (the address is what
  sign-in and rate limits count). With 0, the default, those headers are ignored: anyone can
  send them, and a client could pose as many addresses. HTTPS behind a proxy
  (``secure_cookies``) with no trusted proxy is logged as a warning, as every client would
  then share the proxy's address.
- Every unsafe request to a page (POST, PUT, PATCH, DELETE outside ``/api``) must carry the
  session's CSRF token (Flask-WTF): a form field ``csrf_token`` or an ``X-CSRFToken`` header.
  A missing or wrong token is 400 ``csrf_failed`` and changes nothing.
- HTML answers carry a Content-Security-Policy that allows scripts, styles, images and form
  targets from this site only (no inline script or style), and refuse being framed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.settings import Settings, SettingsError

log = logging.getLogger(__name__)
SESSION_LIFETIME = timedelta(hours=12)
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
API_PREFIX = "/api/"

csrf = CSRFProtect()


class _SchemeAwareSessions(SecureCookieSessionInterface):
    """Signed cookie sessions whose cookie is Secure when it is sent over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = super().get_cookie_secure(app)
        return configured or (has_request_context() and request.is_secure)


def init_protection(app: Flask, settings: Settings) -> None:
    """Sessions, CSRF protection and security headers for the pages of ``app``."""
    app.secret_key = session_secret(Path(settings.session_secret_file))
    app.session_interface = _SchemeAwareSessions()
    app.config.update(
        SESSION_COOKIE_NAME="faregate_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked below, for pages only
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
    )
    proxies = settings.trusted_proxies
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    elif settings.secure_cookies:
        log.warning(
            "secure_cookies is on but trusted_proxies is 0: behind an HTTPS proxy every client "
            "has the proxy's address, and shares its sign-in and rate limits. Set "
            "trusted_proxies to the number of proxies in front of the server."
        )
    csrf.init_app(app)

    @app.before_request
    def _check_csrf() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if request.path.startswith(API_PREFIX):
            return  # bearer tokens, no cookies
        if request.routing_exception is not None:
            return  # no such page or method: answered as such
        csrf.protect()

    @app.errorhandler(CSRFError)
    def _csrf_failed(_error: CSRFError) -> tuple[str, int]:
        page = render_template(
            "error.html",
            title="This form has expired",
            message="Please go back, reload the page and send the form again.",
            code="csrf_failed",
            home="/console/" if request.path.startswith("/console") else "/",
        )
        return page, 400

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def session_secret(path: Path) -> bytes:
    """The secret in ``path``, made (32 random bytes, hex, mode 0600) when there is none.

    A new secret is written to a temporary file and linked into place, so workers starting
    together all end up reading the one that won.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".session-secret-")
        try:
            os.write(handle, secrets.token_hex(32).encode())
            os.fchmod(handle, 0o600)
            os.close(handle)
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    secret = path.read_bytes().strip()
    if len(secret) < 32:
        raise SettingsError(f"{path} holds no usable session secret (32 bytes or more)")
    return secret
