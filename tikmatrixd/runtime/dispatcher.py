"""What the API tells the runtime (which devices have new work, what to cancel) and asks it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from tikmatrixd.core.errors import InvalidParameters


@dataclass(frozen=True)
class LiveDevice:
    """A device's runtime state, which lives in memory, not in the store."""

    worker: bool
    running_task_id: int | None = None
    healthy: bool | None = None  # None: not probed yet


class Dispatcher(Protocol):
    def wake(self, serials: Iterable[str]) -> None:
        """Pending tasks were created or retried on these devices."""

    def wake_at(self, when: float, serial: str) -> None:
        """A task of this device becomes due at ``when`` (an automatic retry, an account's rest)."""

    async def cancel(self, task_ids: Iterable[int]) -> None:
        """Cancel the running scripts of these tasks; return once they have
        cleaned up (or after a short bound). The store already holds their final status."""

    def live(self, serial: str) -> LiveDevice:
        """Whether the device has a worker, and what it runs."""

    async def look(self, serial: str, what: str, *, force: bool = False) -> bytes:
        """The phone's screen now: ``screen`` (PNG) or ``dump`` (uiautomator XML).

        Refused (InvalidParameters) while a task runs on the phone unless
        ``force``, and when the phone has no worker (not online)."""


class NullDispatcher:
    """Runs nothing: the API works on its own (tests, a daemon without adb)."""

    def wake(self, serials: Iterable[str]) -> None:
        pass

    def wake_at(self, when: float, serial: str) -> None:
        pass

    async def cancel(self, task_ids: Iterable[int]) -> None:
        pass

    def live(self, serial: str) -> LiveDevice:
        return LiveDevice(worker=False)

    async def look(self, serial: str, what: str, *, force: bool = False) -> bytes:
        raise InvalidParameters(f"device {serial} is not online: this daemon reaches no phones")
