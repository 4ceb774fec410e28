"""Waits between attempts at something that failed: exponential, capped, with jitter.

After the n-th failed attempt the wait is ``base × 2^(n−1)``, at most ``cap``; a random part
of up to half of it is taken off, so that many things that failed together (a mail server or
an endpoint that was down) are not all tried again in the same second.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

Uniform = Callable[[float, float], float]
"""A source of random numbers between its two arguments (``random.Random.uniform``)."""

_SYSTEM_RANDOM = secrets.SystemRandom()


def retry_delay(
    attempts: int,
    *,
    base: timedelta,
    cap: timedelta,
    uniform: Uniform | None = None,
) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (``attempts`` >= 1)."""
    exponent = min(max(attempts, 1) - 1, 32)  # past 2^32 × base every cap is reached anyway
    full = min(base.total_seconds() * 2**exponent, cap.total_seconds())
    draw = (uniform or _SYSTEM_RANDOM.uniform)(0.0, 0.5)
    return timedelta(seconds=full * (1.0 - draw))
