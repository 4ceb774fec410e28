"""Logging set-up: readable text lines, or one JSON object per line for log shippers."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
_ALEMBIC_CHATTER = ("Context impl", "Will assume")


class _QuietAlembic(logging.Filter):
    """Drop Alembic's per-connection set-up lines; keep the migrations it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith("alembic") and str(record.msg).startswith(_ALEMBIC_CHATTER)
        )


def configure_logging(level: str, fmt: str) -> None:
    """Send records at ``level`` and above to stderr as ``fmt`` (``text`` or ``json``)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "faregate", False):
            root.removeHandler(existing)
    handler.addFilter(_QuietAlembic())
    handler.faregate = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
