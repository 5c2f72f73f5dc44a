"""What the API tells the runtime (which devices have new work, what to cancel) and asks it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol


@dataclass(frozen=True)
class LiveDevice:
    """A device's runtime state, which lives in memory, not in the store."""

    worker: bool
    running_task_id: int | None = None
    healthy: bool | None = None  # None: not probed yet


class Dispatcher(Protocol):
    def wake(self, serials: Iterable[str]) -> None:
        """Pending tasks were created or retried on these devices."""

    async def cancel(self, task_ids: Iterable[int]) -> None:
        """Cancel the running scripts of these tasks; return once they have
        cleaned up (or after a short bound). The store already holds their final status."""

    def live(self, serial: str) -> LiveDevice:
        """Whether the device has a worker, and what it runs."""


class NullDispatcher:
    """Runs nothing: the API works on its own (tests, a daemon without adb)."""

    def wake(self, serials: Iterable[str]) -> None:
        pass

    async def cancel(self, task_ids: Iterable[int]) -> None:
        pass

    def live(self, serial: str) -> LiveDevice:
        return LiveDevice(worker=False)
