"""In-process publish/subscribe of the changes the store's event log records.

Every event is first appended to the log (store/events.py) in the
transaction of the change it reports, which gives it its id; then it is
published here, in id order, for live readers (/api/v1/events, webhooks,
metrics). Publishing never blocks and never fails: each subscriber has a
bounded queue, and a subscriber that falls behind loses its oldest events
and is told so with a ``dropped`` count on the next event it reads (it can
read them back from the log).
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

QUEUE_SIZE = 1000


class Kind(enum.StrEnum):
    """Every kind of event, with what its data carries; publishers and the ``kinds`` filter use this list."""

    TASK = "task"                    # id, serial, status_text, retry_count, reason (failed or retried)
    DEVICE = "device"                # serial, then state + adb_server, or healthy
    ACCOUNT = "account"              # id, username, cooldown_until
    TASKS_CREATED = "tasks_created"  # task_ids, script_name
    TASKS_RETRIED = "tasks_retried"  # count
    TASKS_DELETED = "tasks_deleted"  # task_ids


KINDS = tuple(kind.value for kind in Kind)


@dataclass(frozen=True)
class Event:
    kind: Kind
    data: dict[str, Any]
    at: float = field(default_factory=time.time)
    id: int = 0  # in the event log; 0 for an event that was never recorded


class Subscription:
    """Registered with the bus from creation, so nothing published after
    ``subscribe()`` returns is missed; ``close()`` ends the iteration."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_SIZE)
        self._dropped = 0
        self.closed = False

    def _put(self, event: Event) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self._dropped += 1
        self._queue.put_nowait(event)

    async def next(self) -> tuple[Event, int]:
        """The next event and how many were dropped before it; StopAsyncIteration once closed.
        Safe to cancel (a timeout loses no event)."""
        event = None if self.closed else await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        dropped, self._dropped = self._dropped, 0
        return event, dropped

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._bus._subscribers.discard(self)
        if self._queue.empty():
            self._queue.put_nowait(None)  # wakes a reader waiting in next()

    async def __aiter__(self) -> AsyncIterator[tuple[Event, int]]:
        try:
            while True:
                yield await self.next()
        except StopAsyncIteration:
            return
        finally:
            self.close()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class EventBus:
    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self._listeners: list[Callable[[Event], None]] = []
        self._closed = False

    def publish(self, events: Iterable[Event]) -> None:
        """Hand recorded events, in id order, to every listener and subscriber."""
        for event in events:
            for listener in self._listeners:
                listener(event)
            for subscriber in self._subscribers:
                subscriber._put(event)

    def subscribe(self) -> Subscription:
        """``with bus.subscribe() as s:`` then ``async for event, dropped in s`` or
        ``await s.next()``; the ``with`` unsubscribes at once when left (a bare
        ``async for`` only when its iterator is finalized). After ``close()`` a
        subscription is born ended."""
        subscription = Subscription(self)
        if self._closed:
            subscription.close()
        else:
            self._subscribers.add(subscription)
        return subscription

    def listen(self, callback: Callable[[Event], None]) -> None:
        """Call ``callback`` inline on every publish, for cheap bookkeeping such
        as counters: nothing is queued or dropped, so it must not block or raise."""
        self._listeners.append(callback)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def close(self) -> None:
        """End every subscription (daemon shutdown: open event streams must not
        hold the HTTP server open). Publishing still reaches listeners."""
        self._closed = True
        for subscriber in list(self._subscribers):
            subscriber.close()
