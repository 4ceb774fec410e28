"""A small least-recently-used cache of what is loaded from the database by key, for data
that never changes once stored (a feed version's facts, trips, fare tables)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from backend.db import Executor

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LoadedCache(Generic[K, V]):
    """``load(session, key)`` for the ``size`` most recently used keys; safe across threads.

    Two threads missing the same key may both load it; the loads agree, as the data is
    immutable, and the lock is never held across a database call.
    """

    def __init__(self, load: Callable[[Executor, K], V], size: int) -> None:
        self._load = load
        self._size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Executor, key: K) -> V:
        """The value for ``key``, loaded on first use."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = self._load(session, key)
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value
