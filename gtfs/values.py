"""Parse and check single GTFS field values; every parser returns None for a bad value.

Times are seconds since "noon minus 12 h" of the service day, so "25:30:00" is 91800 and
times past midnight belong to the day the trip started on.
"""

from __future__ import annotations

import datetime
import math
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from functools import cache
from urllib.parse import urlsplit

_TIME = re.compile(r"(\d{1,2}):([0-5]\d):([0-5]\d)")
_INTEGER = re.compile(r"-?\d+")
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT32_DIGITS = 10
_AMOUNT = re.compile(r"-?\d+(\.\d+)?")
_COLOR = re.compile(r"[0-9A-Fa-f]{6}")
_URL_SCHEMES = frozenset({"http", "https", "ftp"})


def parse_time(text: str) -> int | None:
    """Seconds in "HH:MM:SS" or "H:MM:SS" (hours may pass 24), or None."""
    if len(text) == 8 and text[2] == ":" and text[5] == ":":
        hours, minutes, seconds = text[0:2], text[3:5], text[6:8]
        if (
            hours.isdigit()
            and minutes.isdigit()
            and seconds.isdigit()
            and (hours + minutes + seconds).isascii()
            and minutes < "60"
            and seconds < "60"
        ):
            return int(hours) * 3600 + int(minutes) * 60 + int(seconds)
        return None
    match = _TIME.fullmatch(text)
    if match is None or not text.isascii():
        return None
    return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])


def format_time(seconds: int) -> str:
    """The "HH:MM:SS" text of a time in seconds (the inverse of ``parse_time``)."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def parse_date(text: str) -> datetime.date | None:
    """The date written as "YYYYMMDD", or None."""
    if len(text) != 8 or not text.isdigit() or not text.isascii():
        return None
    try:
        return datetime.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def format_date(day: datetime.date) -> str:
    """The "YYYYMMDD" text of a date (the inverse of ``parse_date``)."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def parse_integer(text: str) -> int | None:
    """A 32-bit whole number in ASCII digits with an optional minus sign, or None."""
    if _INTEGER.fullmatch(text) is None or not text.isascii():
        return None
    if len(text.lstrip("-0")) > _INT32_DIGITS:  # too long to be in range (and to convert)
        return None
    number = int(text)
    return number if _INT32_MIN <= number <= _INT32_MAX else None


def parse_float(text: str) -> float | None:
    """A finite decimal number (spaces around it are tolerated), or None."""
    if "_" in text or not text.isascii():
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_currency_amount(text: str) -> Decimal | None:
    """A decimal amount such as "1.25" or "-3", kept exact, or None."""
    if _AMOUNT.fullmatch(text) is None or not text.isascii():
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def decimal_places(amount: Decimal) -> int:
    """How many digits ``amount`` was written with after the decimal point."""
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def is_valid_url(text: str) -> bool:
    """Whether ``text`` is an absolute http, https or ftp URL with a host."""
    if any(char.isspace() for char in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in _URL_SCHEMES and bool(parts.hostname)


def is_valid_color(text: str) -> bool:
    """Whether ``text`` is a colour as six hexadecimal digits."""
    return _COLOR.fullmatch(text) is not None


@cache
def _timezone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(text: str) -> bool:
    """Whether ``text`` names an IANA time zone (read from the system's database on first use)."""
    names = _timezone_names()
    if names:
        return text in names
    # Without a time zone database, accept names shaped like "Area/Location" or "UTC".
    return text == "UTC" or re.fullmatch(r"[A-Za-z_]+(/[A-Za-z0-9_+\-]+)+", text) is not None
