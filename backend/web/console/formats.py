"""How the console writes numbers, times and money (used by its templates as ``fmt``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fares.money import Money
from gtfs.currencies import MINOR_UNITS


def percent(value: float | None) -> str:
    """``0.634`` as ``63%``, ``0.012`` as ``1.2%`` (small shares keep a decimal); a dash for
    no value."""
    if value is None:
        return "—"
    share = value * 100
    if 0 < share < 0.05:
        return "<0.1%"
    return f"{share:.1f}%" if 0 < share < 9.95 else f"{share:.0f}%"


def when(moment: datetime | None) -> str:
    """A time as ``28 Nov 2026, 14:03 UTC``; a dash for none."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def iso(moment: datetime | None) -> str:
    """A time for a ``<time datetime>`` attribute."""
    return "" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def ago(moment: datetime | None, now: datetime) -> str:
    """How long before ``now``: ``just now``, ``5 min ago``, ``3 h ago``, ``2 days ago``."""
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def clock(seconds: int | None) -> str:
    """Seconds of the service day as ``08:05``; past midnight as ``00:40 +1``."""
    if seconds is None:
        return "—"
    days, rest = divmod(seconds, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"{text} +{days}" if days else text


def skew(milliseconds: int | None) -> str:
    """A clock difference as ``+1.2 s`` (the device ahead) or ``−0.4 s``."""
    if milliseconds is None:
        return "—"
    sign = "+" if milliseconds >= 0 else "−"
    return f"{sign}{abs(milliseconds) / 1000:.1f} s"


def money(amount: int, currency: str) -> str:
    """Minor units as ``12.50 PLN``."""
    return Money(amount, currency).format(MINOR_UNITS.get(currency, 2))


def number(value: int | None) -> str:
    """``12345`` as ``12,345``; a dash for none."""
    return "—" if value is None else f"{value:,}"
