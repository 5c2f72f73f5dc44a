"""The runtime the API talks to (the real :class:`Dispatcher`): adb client, scheduler, devices, workers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Mapping

import structlog

from tikmatrixd.adb.device import Adb
from tikmatrixd.artifacts import Artifacts
from tikmatrixd.config import Config
from tikmatrixd.core.errors import InvalidParameters
from tikmatrixd.core.status import ErrorReason
from tikmatrixd.events import EventBus
from tikmatrixd.library import Library
from tikmatrixd.lifecycle import Lifecycle
from tikmatrixd.runtime.dispatcher import LiveDevice
from tikmatrixd.runtime.manager import DeviceManager
from tikmatrixd.runtime.scheduler import Scheduler
from tikmatrixd.runtime.worker import WorkerDeps
from tikmatrixd.scripts.base import Runner
from tikmatrixd.store import Store
from tikmatrixd.ui.driver import Ui
from tikmatrixd.ui.selectors import load_packs

log = structlog.get_logger("tikmatrixd.runtime")

#: How long a stop or delete waits for the cancelled script before answering.
STOP_WAIT = 2.0


class Runtime:
    def __init__(self, config: Config, store: Store, runners: Mapping[str, Runner | None], *,
                 clock: Callable[[], float], events: EventBus, artifacts: Artifacts, lifecycle: Lifecycle,
                 library: Library | None = None, rng: random.Random | None = None) -> None:
        self._config = config
        self._store = store
        self._runners = runners
        self._clock = clock
        self._events = events
        self._artifacts = artifacts
        self._library = library
        self._lifecycle = lifecycle
        self._rng = rng or random.Random()
        self._manager: DeviceManager | None = None
        self._scheduler: Scheduler | None = None
        self._adb: Adb | None = None

    async def start(self) -> None:
        """Recover from a previous process, then follow the adb servers."""
        packs = load_packs(self._config.ui.selectors_dir)  # a broken pack stops the start, not a task
        await self._lifecycle.interrupt_running()
        self._lifecycle.attach(self)
        await self._store.devices.forget_states()
        self._adb = Adb(self._config.adb.call_timeout)
        self._scheduler = Scheduler(self._wake_one, self._clock)
        self._manager = DeviceManager(WorkerDeps(
            config=self._config, store=self._store, adb=self._adb, scheduler=self._scheduler,
            runners=self._runners, clock=self._clock, rng=self._rng, events=self._events,
            packs=packs, artifacts=self._artifacts, lifecycle=self._lifecycle, library=self._library))
        self._manager.start()

    async def close(self) -> None:
        """Cancel running scripts (their tasks fail as ``interrupted``) after their cleanup."""
        if self._manager is not None:
            await self._manager.close()
        if self._scheduler is not None:
            self._scheduler.close()

    def wake(self, serials: Iterable[str]) -> None:
        for serial in serials:
            self._wake_one(serial)

    def wake_at(self, when: float, serial: str) -> None:
        if self._scheduler is not None:
            self._scheduler.at(when, serial)

    def _wake_one(self, serial: str) -> None:
        worker = self._manager.worker(serial) if self._manager else None
        if worker is not None:
            worker.wake()

    async def cancel(self, task_ids: Iterable[int]) -> None:
        wanted = set(task_ids)
        running = [
            cleanup
            for worker in (self._manager.workers if self._manager else ())
            if worker.running_task_id in wanted
            and (cleanup := worker.cancel_task(worker.running_task_id, ErrorReason.STOPPED)) is not None
        ]
        if running:
            await asyncio.wait(running, timeout=STOP_WAIT)

    async def look(self, serial: str, what: str, *, force: bool = False) -> bytes:
        worker = self._manager.worker(serial) if self._manager else None
        if worker is None or self._adb is None:
            raise InvalidParameters(f"device {serial} is not online (or over device_limit): no screen to read")
        if worker.running_task_id is not None and not force:
            raise InvalidParameters(f"task {worker.running_task_id} is running on {serial}; "
                                    "add force=1 to look anyway (it costs the task a moment)")
        ui = Ui(self._adb.device(worker.server, serial), None, log.bind(serial=serial))
        if what == "dump":
            await ui.nodes()
            return ui.last_dump
        png = await ui.screenshot()
        if not png:
            raise InvalidParameters(f"{serial} gave no screenshot")
        return png

    def live(self, serial: str) -> LiveDevice:
        worker = self._manager.worker(serial) if self._manager else None
        if worker is None:
            return LiveDevice(worker=False)
        return LiveDevice(worker=True, running_task_id=worker.running_task_id, healthy=worker.healthy)
