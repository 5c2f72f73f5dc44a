"""One timer for the whole daemon: wakes a device's worker when its next scheduled task is due.

A worker that finds nothing due tells the scheduler when its next task is;
the scheduler keeps those times in a heap and arms a single loop timer for
the earliest. 10,000 tasks scheduled for tomorrow cost one timer, not a
polling loop.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable

#: Fire this much early rather than late; the worker's claim checks the clock again.
_EARLY = 0.005


class Scheduler:
    def __init__(self, wake: Callable[[str], None], clock: Callable[[], float]) -> None:
        self._wake = wake
        self._clock = clock
        self._heap: list[tuple[float, str]] = []
        self._queued: set[tuple[float, str]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None

    def at(self, when: float, serial: str) -> None:
        """Wake ``serial``'s worker at ``when`` (epoch seconds)."""
        if (when, serial) in self._queued:
            return
        self._queued.add((when, serial))
        heapq.heappush(self._heap, (when, serial))
        if self._timer_at is None or when < self._timer_at:
            self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_at = None
        if self._heap:
            self._timer_at = self._heap[0][0]
            delay = max(0.0, self._timer_at - self._clock() - _EARLY)
            self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer = self._timer_at = None
        now = self._clock() + _EARLY
        while self._heap and self._heap[0][0] <= now:
            entry = heapq.heappop(self._heap)
            self._queued.discard(entry)
            self._wake(entry[1])
        self._arm()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._timer_at = None
        self._heap.clear()
        self._queued.clear()
