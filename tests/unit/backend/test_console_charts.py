"""The dashboard's charts: SVG drawn from the figures, and kept a short while."""

from __future__ import annotations

from datetime import date, timedelta

from backend.services.console_stats import DayCount, HourTaps, RouteLoad
from backend.web.console.charts import BriefCache, bookings_chart, load_chart, taps_chart


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_values_are_kept_for_the_ttl_then_made_again() -> None:
    clock = Clock()
    cache: BriefCache[int] = BriefCache(clock, ttl=60)
    made: list[int] = []

    def make() -> int:
        made.append(len(made))
        return len(made)

    assert cache.get("a", make) == 1
    clock.now += 59
    assert cache.get("a", make) == 1
    clock.now += 2
    assert cache.get("a", make) == 2
    assert cache.get("b", make) == 3


def test_the_oldest_values_leave_a_full_cache() -> None:
    cache: BriefCache[str] = BriefCache(Clock(), size=2)
    for key in ("a", "b", "c"):
        cache.get(key, lambda key=key: key)
    assert cache.get("a", lambda: "again") == "again"


def test_charts_are_svg_with_their_labels_as_text_and_no_script() -> None:
    first = date(2026, 11, 15)
    days = [DayCount(first + timedelta(days=n), n % 4) for n in range(14)]
    routes = [RouteLoad("AB", "10 Airport - Bullfrog", 4, 30, 200)]
    hours = [HourTaps(hour, hour, hour % 3) for hour in range(24)]
    for svg in (
        bookings_chart(days),
        load_chart(routes),
        load_chart([], narrow=True),
        taps_chart(hours, narrow=True),
    ):
        text = svg.decode()
        assert text.startswith("<?xml")
        assert "<script" not in text
        assert "<text" in text  # text stays text (svg.fonttype none)
    assert "15%" in load_chart(routes).decode()
    assert "no seats on sale this day" in load_chart([]).decode()
    assert bookings_chart(days) == bookings_chart(days)  # the same figures, the same bytes
