"""Fare cap configuration for account-based travel, read from TOML (format version 1).

GTFS has no fare caps, so operators describe them in a file like
``config/caps.example.toml``: one time zone, the local time at which a travel day starts,
the first day of the travel week, and per (rider category, fare media) a daily and/or a
weekly cap in integer minor units of one currency. Every problem raises
:class:`CapConfigError` with a stable code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fares.errors import CodedError
from fares.money import Money

FORMAT_VERSION = 1
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TOP_KEYS = {"format_version", "timezone", "day_starts_at", "week_starts_on", "caps"}
CAP_KEYS = {"rider_category_id", "fare_media_id", "currency", "daily_cap_minor", "weekly_cap_minor"}


class CapError(CodedError):
    """Caps cannot be applied; ``code`` is stable, ``message`` says why."""


class CapConfigError(CapError):
    """The cap configuration file is invalid."""


@dataclass(frozen=True, slots=True)
class Cap:
    """The most one rider category on one fare media pays per travel day and week."""

    rider_category_id: str
    fare_media_id: str
    daily: Money | None
    weekly: Money | None


@dataclass(frozen=True)
class CapPolicy:
    """Caps by (rider category, fare media) and the calendar they are counted in."""

    timezone: ZoneInfo
    day_starts_at: time
    week_starts_on: int
    caps: Mapping[tuple[str, str], Cap]

    @classmethod
    def from_toml(cls, text: str) -> CapPolicy:
        """Parse and validate a cap configuration file."""
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise CapConfigError("invalid_toml", f"not valid TOML: {error}") from None
        _check_keys(document, TOP_KEYS, "the file")
        if document.get("format_version") != FORMAT_VERSION:
            raise CapConfigError("unsupported_version", f"format_version must be {FORMAT_VERSION}")
        caps: dict[tuple[str, str], Cap] = {}
        for number, entry in enumerate(_required(document, "caps", list, "the file"), start=1):
            cap = _cap(entry, f"caps entry {number}")
            key = (cap.rider_category_id, cap.fare_media_id)
            if key in caps:
                raise CapConfigError("duplicate_cap", f"caps entry {number} repeats {key}")
            caps[key] = cap
        return cls(
            timezone=_timezone(_required(document, "timezone", str, "the file")),
            day_starts_at=_day_start(_required(document, "day_starts_at", str, "the file")),
            week_starts_on=_week_start(document.get("week_starts_on", "monday")),
            caps=MappingProxyType(caps),
        )

    def cap_for(self, rider_category_id: str, fare_media_id: str) -> Cap | None:
        """The cap for a rider category and fare media, if one is configured."""
        return self.caps.get((rider_category_id, fare_media_id))

    def travel_day(self, at: datetime) -> date:
        """The travel day of an instant: a tap before the day start belongs to the day before."""
        if at.tzinfo is None:
            raise CapError("naive_time", "tap times must be timezone-aware")
        # Wall-clock arithmetic on the local time keeps the boundary at its local time of
        # day on DST change days, whose travel days last 23 or 25 hours.
        wall = at.astimezone(self.timezone).replace(tzinfo=None)
        shift = timedelta(hours=self.day_starts_at.hour, minutes=self.day_starts_at.minute)
        return (wall - shift).date()

    def week_of(self, day: date) -> date:
        """The first travel day of the travel week holding ``day``."""
        return day - timedelta(days=(day.weekday() - self.week_starts_on) % 7)


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise CapConfigError("unknown_key", f"{where}: unknown key(s) {', '.join(unknown)}")


def _required(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise CapConfigError("missing_key", f"{where}: {key} is required")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CapConfigError("bad_type", f"{where}: {key} must be a {kind.__name__}")
    return value


def _timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CapConfigError("bad_timezone", f"{name!r} is not an IANA time zone") from None


def _day_start(text: str) -> time:
    parts = text.split(":")
    if len(parts) != 2 or not all(len(part) == 2 and part.isdigit() for part in parts):
        raise CapConfigError("bad_day_boundary", f"day_starts_at {text!r} is not HH:MM")
    hours, minutes = int(parts[0]), int(parts[1])
    if hours > 23 or minutes > 59:
        raise CapConfigError("bad_day_boundary", f"day_starts_at {text!r} is not a time of day")
    return time(hours, minutes)


def _week_start(value: object) -> int:
    if not isinstance(value, str) or value.lower() not in WEEKDAYS:
        raise CapConfigError("bad_week_start", f"week_starts_on must be one of {WEEKDAYS}")
    return WEEKDAYS.index(value.lower())


def _cap(entry: object, where: str) -> Cap:
    if not isinstance(entry, dict):
        raise CapConfigError("bad_type", f"{where} must be a table")
    _check_keys(entry, CAP_KEYS, where)
    currency = _required(entry, "currency", str, where)
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise CapConfigError("bad_currency", f"{where}: {currency!r} is not an ISO 4217 code")
    daily = _amount(entry, "daily_cap_minor", currency, where)
    weekly = _amount(entry, "weekly_cap_minor", currency, where)
    if daily is None and weekly is None:
        raise CapConfigError("no_cap_amount", f"{where}: give daily_cap_minor or weekly_cap_minor")
    return Cap(
        rider_category_id=_required(entry, "rider_category_id", str, where),
        fare_media_id=_required(entry, "fare_media_id", str, where),
        daily=daily,
        weekly=weekly,
    )


def _amount(entry: Mapping[str, Any], key: str, currency: str, where: str) -> Money | None:
    if key not in entry:
        return None
    value = entry[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CapConfigError("bad_amount", f"{where}: {key} must be a whole number >= 0")
    return Money(value, currency)
