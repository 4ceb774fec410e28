"""Validation notices (MobilityData gtfs-validator codes) and the report that collects them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How serious a notice is; a feed with an ERROR is never published."""

    ERROR = "ERROR"
    WARNING = "WARNING"
    INFO = "INFO"


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Notice:
    """One finding about a feed, located as precisely as the finding allows."""

    code: str
    severity: Severity
    file: str | None = None
    row: int | None = None
    field: str | None = None
    value: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        """The notice as JSON-ready data."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "file": self.file,
            "row": self.row,
            "field": self.field,
            "value": self.value,
            "detail": self.detail,
        }


class Report:
    """Every notice counted; at most ``sample_limit`` kept per code, in the order found."""

    def __init__(self, sample_limit: int = 100) -> None:
        self.sample_limit = sample_limit
        self.notices: list[Notice] = []
        self.counts: dict[tuple[str, Severity], int] = {}

    def add(self, notice: Notice) -> None:
        """Count ``notice`` and keep it when its code has fewer than ``sample_limit`` samples."""
        key = (notice.code, notice.severity)
        seen = self.counts.get(key, 0)
        self.counts[key] = seen + 1
        if seen < self.sample_limit:
            self.notices.append(notice)

    def _total(self, severity: Severity) -> int:
        return sum(n for (_, level), n in self.counts.items() if level is severity)

    @property
    def error_count(self) -> int:
        """How many ERROR notices were found."""
        return self._total(Severity.ERROR)

    @property
    def warning_count(self) -> int:
        """How many WARNING notices were found."""
        return self._total(Severity.WARNING)

    @property
    def info_count(self) -> int:
        """How many INFO notices were found."""
        return self._total(Severity.INFO)

    @property
    def has_errors(self) -> bool:
        """Whether any ERROR notice was found."""
        return self.error_count > 0

    def ranked_counts(self) -> list[tuple[str, Severity, int]]:
        """(code, severity, count) for every code found, ERROR first, then most frequent first."""
        ordered = sorted(
            self.counts.items(),
            key=lambda item: (_SEVERITY_ORDER[item[0][1]], -item[1], item[0][0]),
        )
        return [(code, severity, count) for (code, severity), count in ordered]

    def summary(self) -> dict[str, object]:
        """Totals by severity and a count per code, ERROR first, then most frequent first."""
        return {
            "errors": self.error_count,
            "warnings": self.warning_count,
            "infos": self.info_count,
            "by_code": [
                {"code": code, "severity": severity.value, "count": count}
                for code, severity, count in self.ranked_counts()
            ],
        }

    def to_dict(self) -> dict[str, object]:
        """The summary plus the kept notices, as JSON-ready data."""
        return {**self.summary(), "notices": [notice.to_dict() for notice in self.notices]}
