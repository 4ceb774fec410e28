"""Logging set-up: readable text lines, or one JSON object per line for log shippers.

Records emitted while a request is handled carry its id (``backend.request_ids``): a
``request_id`` field in JSON (null outside requests), ``[id]`` after the logger's name in text.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from backend.request_ids import RequestIdFilter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
_ALEMBIC_CHATTER = ("Context impl", "Will assume")


class _QuietAlembic(logging.Filter):
    """Drop Alembic's per-connection set-up lines; keep the migrations it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith("alembic") and str(record.msg).startswith(_ALEMBIC_CHATTER)
        )


class _TextFormatter(logging.Formatter):
    """The text format, with the request's id when there is one."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        """Fill ``request_tag`` from the record's request id, then format."""
        request_id = getattr(record, "request_id", None)
        record.request_tag = f" [{request_id}]" if request_id else ""
        return super().formatMessage(record)


def configure_logging(level: str, fmt: str) -> None:
    """Send records at ``level`` and above to stderr as ``fmt`` (``text`` or ``json``)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
        )
    else:
        handler.setFormatter(_TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "faregate", False):
            root.removeHandler(existing)
    handler.addFilter(_QuietAlembic())
    handler.addFilter(RequestIdFilter())
    handler.faregate = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
