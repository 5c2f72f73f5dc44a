"""What the API tells the runtime: which devices have new work, what to cancel."""

from __future__ import annotations

from typing import Iterable, Protocol


class Dispatcher(Protocol):
    def wake(self, serials: Iterable[str]) -> None:
        """Pending tasks were created or retried on these devices."""

    async def cancel(self, task_ids: Iterable[int]) -> None:
        """Cancel the running scripts of these tasks; return once they have
        cleaned up. The store already holds their final status."""


class NullDispatcher:
    """Runs nothing: the API works on its own (tests, a daemon without adb)."""

    def wake(self, serials: Iterable[str]) -> None:
        pass

    async def cancel(self, task_ids: Iterable[int]) -> None:
        pass
