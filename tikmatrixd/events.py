"""In-process publish/subscribe of task and device changes (for /api/v1/events and metrics).

Publishing never blocks and never fails: each subscriber has a bounded
queue, and a subscriber that falls behind loses its oldest events and is
told so with a ``dropped`` count on the next event it reads.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

QUEUE_SIZE = 1000


@dataclass(frozen=True)
class Event:
    kind: str  # "task" | "device"
    data: dict[str, Any]
    at: float = field(default_factory=time.time)


class _Subscriber:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self.dropped = 0


class EventBus:
    def __init__(self) -> None:
        self._subscribers: set[_Subscriber] = set()

    def publish(self, kind: str, **data: Any) -> None:
        event = Event(kind, data)
        for subscriber in self._subscribers:
            if subscriber.queue.full():
                subscriber.queue.get_nowait()
                subscriber.dropped += 1
            subscriber.queue.put_nowait(event)

    async def subscribe(self) -> AsyncIterator[tuple[Event, int]]:
        """Events as they are published, each with how many were dropped before it."""
        subscriber = _Subscriber()
        self._subscribers.add(subscriber)
        try:
            while True:
                event = await subscriber.queue.get()
                dropped, subscriber.dropped = subscriber.dropped, 0
                yield event, dropped
        finally:
            self._subscribers.discard(subscriber)
