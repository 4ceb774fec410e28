"""The dashboard's charts, drawn on the server by matplotlib as SVG and kept briefly.

Charts are images (``<img src=…svg>``) beside a table of the same figures, which is what
screen readers and keyboard users get; the SVG carries no script. matplotlib is imported on
the first chart drawn, not when the server starts. A drawn chart is kept ``TTL_S`` seconds
per (chart, day), and so are the figures they are drawn from, so a dashboard left open on
wall screens costs one count and three drawings a minute whatever the number of viewers;
what the dashboard shows is at most that old.
"""

from __future__ import annotations

import functools
import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, ParamSpec, TypeVar

from backend.services.console_stats import DayCount, HourTaps, RouteLoad
from backend.web.console import formats

P = ParamSpec("P")
V = TypeVar("V")
TTL_S = 60.0
BRAND = "#0b5cab"
BRAND_SOFT = "#9cc0e6"
DANGER = "#b42318"
INK = "#1b2430"
MUTED = "#6b7585"
GRID = "#d9dee5"


class BriefCache(Generic[V]):
    """Values by key, kept ``ttl`` seconds of ``clock``; safe across threads.

    Two threads missing the same key may both compute it; the later one is kept.
    """

    def __init__(self, clock: Callable[[], float], ttl: float = TTL_S, size: int = 64) -> None:
        self._clock = clock
        self._ttl = ttl
        self._size = size
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value for ``key``, made by ``make`` when missing or older than the TTL."""
        now = self._clock()
        with self._lock:
            kept = self._items.get(key)
            if kept is not None and now - kept[0] < self._ttl:
                return kept[1]
        made = make()
        with self._lock:
            self._items[key] = (now, made)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return made


STYLE: Any = {  # matplotlib types the keys as literals
    "svg.fonttype": "none",  # text stays text: smaller, and drawn in the page's fonts
    "svg.hashsalt": "faregate",  # the same figures give the same bytes
    "font.family": "sans-serif",
    "font.size": 10,
}


def styled(draw: Callable[P, bytes]) -> Callable[P, bytes]:
    """Draw with the console's chart style."""

    @functools.wraps(draw)
    def drawing(*args: P.args, **kwargs: P.kwargs) -> bytes:
        import matplotlib  # noqa: PLC0415 - loaded with the first chart, not at start

        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)

    return drawing


@styled
def bookings_chart(days: Sequence[DayCount], *, narrow: bool = False) -> bytes:
    """Bookings per day: one bar a day, the last (the day shown) in the brand colour."""
    figure, axes = _figure(narrow, 2.8)
    positions = range(len(days))
    colours = [BRAND_SOFT] * (len(days) - 1) + [BRAND]
    axes.bar(positions, [d.bookings for d in days], color=colours, width=0.7)
    axes.set_xticks(list(positions), [f"{d.day:%d %b}" for d in days], rotation=0)
    _thin_labels(axes, every=(4 if narrow else 2) if len(days) > 7 else 1, last=True)
    axes.set_ylabel("bookings")
    _integer_axis(axes)
    return _svg(figure)


@styled
def load_chart(routes: Sequence[RouteLoad], *, narrow: bool = False) -> bytes:
    """Load factor per route: horizontal bars from 0 to 100%, fullest on top (the first 12)."""
    shown = list(routes)[:12]
    height = max(1.6, 0.42 * len(shown) + 0.9)
    figure, axes = _figure(narrow, height)
    names = [_short(route.route_name, 16 if narrow else 30) for route in shown][::-1]
    values = [route.load_factor * 100 for route in shown][::-1]
    bars = axes.barh(range(len(shown)), values, color=BRAND, height=0.6)
    axes.set_yticks(list(range(len(shown))), names)
    axes.set_xlim(0, 100)
    axes.set_xlabel("load factor (%)")
    labels = [formats.percent(route.load_factor) for route in shown][::-1]
    axes.bar_label(bars, labels=labels, padding=3, color=INK, fontsize=9)
    axes.grid(axis="x", color=GRID, linewidth=0.8)
    axes.grid(axis="y", visible=False)
    if not shown:
        axes.text(50, 0, "no seats on sale this day", ha="center", va="center", color=MUTED)
        axes.set_yticks([])
    return _svg(figure)


@styled
def taps_chart(hours: Sequence[HourTaps], *, narrow: bool = False) -> bytes:
    """Taps per hour, allowed and denied stacked."""
    figure, axes = _figure(narrow, 2.8)
    positions = list(range(len(hours)))
    allowed = [h.allowed for h in hours]
    axes.bar(positions, allowed, color=BRAND, width=0.8, label="allowed")
    denied = [h.denied for h in hours]
    axes.bar(positions, denied, bottom=allowed, color=DANGER, width=0.8, label="denied")
    axes.set_xticks(positions, [f"{h.hour:02d}" for h in hours])
    _thin_labels(axes, every=6 if narrow else 3)
    axes.set_xlabel("hour")
    axes.set_ylabel("taps")
    _integer_axis(axes)
    axes.legend(loc="lower right", bbox_to_anchor=(1, 1), frameon=False, fontsize=9, ncols=2)
    return _svg(figure)


def _figure(narrow: bool, height: float) -> tuple[Any, Any]:
    """A figure 6.4 inches wide (3.8 for phones: the same text size on a narrow screen)."""
    from matplotlib.figure import Figure  # noqa: PLC0415 - see styled()

    figure = Figure(figsize=(3.8 if narrow else 6.4, height), layout="constrained")
    axes = figure.subplots()
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(GRID)
    axes.tick_params(colors=MUTED, labelcolor=INK, labelsize=9)
    axes.yaxis.label.set_color(MUTED)
    axes.xaxis.label.set_color(MUTED)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _integer_axis(axes: Any) -> None:
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - see styled()

    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    axes.set_ylim(bottom=0)
    if axes.get_ylim()[1] < 1:
        axes.set_ylim(0, 1)


def _thin_labels(axes: Any, every: int, *, last: bool = False) -> None:
    """Show every ``every``-th label (counted back from the last one when ``last``)."""
    labels = axes.get_xticklabels()
    for index, label in enumerate(labels):
        place = len(labels) - 1 - index if last else index
        label.set_visible(place % every == 0)


def _short(name: str, length: int) -> str:
    return name if len(name) <= length else name[: length - 1].rstrip() + "…"


def _svg(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, transparent=True)
    return buffer.getvalue()
