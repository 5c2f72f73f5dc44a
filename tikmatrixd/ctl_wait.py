"""`tikmatrixd task wait`: follow tasks through the event stream until each has ended.

No polling: the stream is opened first; once the daemon's ``open`` notice
arrives every later event will reach us, so the tasks are created (``task
create --wait``) or named, read once, and then only their events are
followed. An event can describe an older state than that read; a task's
state only moves forward in (retry_count, phase) order, so a stale event
never undoes a newer one. When the stream breaks (a daemon restart), it is
opened again with ``Last-Event-ID``: the daemon replays what happened
meanwhile from its event log, so nothing is missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tikmatrixd import ctl_view as view
from tikmatrixd.client import ApiError, Client

TERMINAL = {"completed", "failed"}
PHASE = {"pending": 0, "running": 1, "completed": 2, "failed": 2}
#: How long the stream may stay broken (a daemon restarting) before waiting gives up.
RECONNECT_FOR = 60.0


class Tracker:
    """The tasks waited for: each one's newest known state."""

    def __init__(self, api: Client) -> None:
        self._api = api
        self._states: dict[int, tuple[int, int, dict[str, Any]]] = {}

    async def read(self, ids: list[int]) -> None:
        for task_id in ids:
            task = await self._api.call("GET", f"/task/{task_id}")
            self._states[task_id] = (task["retry_count"], PHASE[task["status_text"]], task)

    def apply(self, data: dict[str, Any]) -> None:
        task_id = data.get("id")
        if task_id not in self._states:
            return
        retry_count, phase, task = self._states[task_id]
        status = data.get("status_text")
        if status not in PHASE:
            return
        new = (data.get("retry_count", retry_count), PHASE[status])
        if new > (retry_count, phase):
            error = {"reason": data["reason"]} if "reason" in data else None
            self._states[task_id] = (*new, {**task, "status_text": status, "retry_count": new[0], "error": error})

    @property
    def ids(self) -> list[int]:
        return list(self._states)

    @property
    def tasks(self) -> list[dict[str, Any]]:
        return [task for _, _, task in self._states.values()]

    @property
    def done(self) -> bool:
        return all(task["status_text"] in TERMINAL for task in self.tasks)


async def wait(api: Client, start: Callable[[], Awaitable[list[int]]], *, quiet: bool) -> list[dict[str, Any]]:
    """Follow the tasks ``start`` creates or names until all have ended; their final state."""
    tracker = Tracker(api)
    ids: list[int] | None = None  # once known: `start` creates tasks, and must run once only
    progress: view.Progress | None = None
    last_id: int | None = None
    broken_since: float | None = None
    loop = asyncio.get_running_loop()
    try:
        while progress is None or not tracker.done:
            try:
                async for event in api.events({"kinds": "task"}, last_event_id=last_id):
                    broken_since = None
                    last_id = event.id if event.id is not None else last_id
                    if event.kind == "open" and progress is None:
                        if ids is None:
                            ids = await start()
                        await tracker.read(ids)
                        progress = view.Progress(len(ids), quiet=quiet).start()
                    elif event.kind == "gap":  # the log no longer holds what we missed: read again
                        await tracker.read(tracker.ids)
                    else:
                        tracker.apply(event.data)
                    if progress is not None:
                        progress.update(tracker.tasks)
                        if tracker.done:
                            break
            except ApiError as error:
                if error.code or ids is None:
                    raise  # the API refused something, or the daemon was never there
                broken_since = broken_since or loop.time()
                if loop.time() - broken_since > RECONNECT_FOR:
                    raise
                await asyncio.sleep(0.5)
    finally:
        if progress is not None:
            progress.stop()
    return [await api.call("GET", f"/task/{task_id}") for task_id in tracker.ids]
