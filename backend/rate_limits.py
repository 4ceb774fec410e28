"""Rate limits per client address on the public endpoints and forms that can be abused.

Travelers need no account, so holds, bookings, support cases and lookups by reference and
e-mail are open to anyone; one client flooding them could hold every seat, fill the outbox
or guess references. Each such view is marked ``@limited(group)``; the ``rate_limit_*``
setting of its group says how often one client address may call it (Flask-Limiter limit
strings, e.g. ``60/minute`` or ``10/minute;50/day``). Defaults sit far above what a traveler
or a family does (a party is booked with one hold and one booking), yet stop scripts.

- **Whom.** The key is the client address, ``request.remote_addr``: the peer's, or with
  ``trusted_proxies`` set the one the proxies put in ``X-Forwarded-For`` (werkzeug's ProxyFix,
  ``backend.web.protection``). Requests carrying a valid device token (``Authorization:
  Device``) or staff API token (``Bearer``) are exempt: validators and back-office systems
  are known and accountable. The token is checked (one indexed read) only when a limited view
  is called with an Authorization header, so forging a header gains nothing.
- **What.** Each endpoint counts on its own (a booking's hold and its confirmation are two
  counters), per method given (``POST`` of the sign-in form, not its ``GET``). Fixed windows
  starting at a client's first request: one counter increment per limited request.
- **Where.** ``rate_limit_storage_url``: ``memory://`` counts per process, so with several
  gunicorn workers or server instances a client gets up to that many times the limit; a
  shared Redis makes the counts exact. Should the store fail, counting falls back to memory
  for a while (logged) rather than refusing travelers.
- **When.** The check runs when the view is called: after routing, the size limit
  (``backend.request_limits``) and the pages' CSRF check, before the body is parsed and before
  anything is written, so a refused request changes nothing. The answer is 429: the API's
  envelope with code ``rate_limited``, or a page, each with ``Retry-After`` (seconds).
- **Cost.** Only limited views pay: one counter increment (a lock and a dict in memory, one
  round trip to Redis). Flask-Limiter's hooks on every request are taken out, as no limit is
  application-wide; with ``rate_limits_enabled`` false nothing is installed at all.

This module is the vocabulary views use (``limited``, ``LimitGroup``); it imports no view
module, so API and page modules can import it. ``backend.rate_limiter`` installs the limits on
an application.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from backend.settings import Settings

RATE_LIMITED = "RATE_LIMITED"
"""The OpenAPI response component every limited API operation documents for 429."""
_MARK = "_faregate_rate_limit"

View = TypeVar("View", bound=Callable[..., Any])


class LimitGroup(StrEnum):
    """Which ``rate_limit_*`` setting limits a view."""

    RESERVATIONS = "reservations"
    LOOKUPS = "lookups"
    SUPPORT = "support"
    SIGN_IN = "sign_in"

    def setting(self, settings: Settings) -> str:
        """The limit string the settings give this group ('' when it is not limited)."""
        value: str = getattr(settings, f"rate_limit_{self.value}")
        return value.strip()


@dataclass(frozen=True)
class Mark:
    """A view's limit: its group, and the HTTP methods it covers (None: all)."""

    group: LimitGroup
    methods: tuple[str, ...] | None = None


def limited(group: LimitGroup, *, methods: tuple[str, ...] | None = None) -> Callable[[View], View]:
    """Mark a view function, or a ``MethodView`` method, as limited per client address.

    On a method view the method's own name gives the HTTP method; on a function view routed for
    several methods, ``methods`` names those limited (all when None).
    """

    def mark(view: View) -> View:
        setattr(view, _MARK, Mark(group, methods))
        return view

    return mark


def marks_of(view: Callable[..., Any]) -> list[Mark]:
    """The limits marked on a view function or on the methods of its ``MethodView``."""
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        mark = getattr(view, _MARK, None)
        return [mark] if mark is not None else []
    found: list[Mark] = []
    for method in sorted(getattr(view_class, "methods", None) or ()):
        mark = getattr(getattr(view_class, method.lower(), None), _MARK, None)
        if mark is not None:
            found.append(Mark(mark.group, (method,)))
    return found
