"""How the console writes numbers, times and money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.web.console import formats

NOW = datetime(2026, 11, 28, 14, 3, tzinfo=UTC)


def test_shares_keep_a_decimal_only_when_small() -> None:
    assert formats.percent(0.634) == "63%"
    assert formats.percent(0.0612) == "6.1%"
    assert formats.percent(0.0004) == "<0.1%"
    assert formats.percent(0.0) == "0%"
    assert formats.percent(1.0) == "100%"
    assert formats.percent(None) == "—"


def test_service_times_past_midnight_say_so() -> None:
    assert formats.clock(8 * 3600 + 5 * 60) == "08:05"
    assert formats.clock(24 * 3600 + 40 * 60) == "00:40 +1"
    assert formats.clock(None) == "—"


def test_times_are_written_in_utc_and_relative_to_now() -> None:
    assert formats.when(NOW) == "28 Nov 2026, 14:03 UTC"
    assert formats.ago(NOW - timedelta(seconds=20), NOW) == "just now"
    assert formats.ago(NOW - timedelta(minutes=7), NOW) == "7 min ago"
    assert formats.ago(NOW - timedelta(hours=5), NOW) == "5 h ago"
    assert formats.ago(NOW - timedelta(days=3), NOW) == "3 days ago"
    assert formats.ago(None, NOW) == "never"


def test_clock_skew_money_and_counts() -> None:
    assert formats.skew(1234) == "+1.2 s"
    assert formats.skew(-400) == "−0.4 s"
    assert formats.money(1250, "PLN") == "12.50 PLN"
    assert formats.money(1250, "JPY") == "1250 JPY"
    assert formats.number(12345) == "12,345"
