"""Text sent to the JSON API never holds a NUL character (U+0000).

PostgreSQL cannot store U+0000 in text, and no id, name, e-mail or message has a use for it,
so a request with one anywhere in its path, query string or JSON body is refused before any
view runs: 422 ``validation_failed``, with ``details`` naming where (``path`` or ``query``
with the parameter, ``json`` for the body), and nothing changes. The same on SQLite, so both
databases answer alike.

A JSON body carries NUL only as the escape ``\\u0000`` (a raw NUL byte is no JSON text in
UTF-8), so the body is searched as bytes, never parsed here: the tap upload, the one large
body, is parsed once, by its own validator.
"""

from __future__ import annotations

import re

from flask import Flask, request

from backend.errors import ServiceError

API_PREFIX = "/api/v1/"
NUL = "\x00"
MESSAGE = "must not contain NUL (U+0000) characters"
# An escape \u0000 that is not itself an escaped backslash followed by "u0000".
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_BODYLESS_MIMETYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class NulCharacterError(ServiceError):
    """A request whose text holds U+0000."""

    def __init__(self, location: str, name: str) -> None:
        super().__init__(
            "validation_failed",
            f"text {MESSAGE}",
            status=422,
            details={location: {name: [MESSAGE]}},
        )


def refuse_nul_characters() -> None:
    """Raise ``NulCharacterError`` for an API request with U+0000 in its path, query string or
    JSON body."""
    if not request.path.startswith(API_PREFIX):
        return
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and NUL in value:
            raise NulCharacterError("path", name)
    for name, value in request.args.items(multi=True):
        if NUL in name or NUL in value:
            raise NulCharacterError("query", name.replace(NUL, "\\u0000"))
    if request.mimetype in _BODYLESS_MIMETYPES:
        return  # form fields and files are not JSON text; no API view reads them as text
    body = request.get_data(cache=True)
    if b"\x00" in body or (b"\\u0000" in body and _ESCAPED_NUL.search(body)):
        raise NulCharacterError("json", "_schema")


def register(app: Flask) -> None:
    """Refuse NUL characters on ``app``'s API requests, after routing and size limits."""
    app.before_request(refuse_nul_characters)
