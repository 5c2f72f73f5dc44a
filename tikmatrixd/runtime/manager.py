"""Follows each adb server's device list and keeps one worker per usable device.

Each configured adb server gets a tracker: a ``track-devices-l`` stream the
server pushes every change on (no polling of ``adb devices``). A device in
adb state ``device`` gets a worker, up to the plan's ``device_limit``
(devices beyond it are listed but idle); one that goes offline, becomes
unauthorized or disappears loses its worker, whose running task fails with
``device_disconnected`` while its pending tasks wait for it.

An adb server that dies or restarts is reconnected with backoff; meanwhile
its devices count as disconnected. Phones listed under ``adb.connect`` are
`adb connect`-ed again whenever they are missing from their server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any

import structlog

from tikmatrixd.adb import host
from tikmatrixd.adb.host import AdbHostError, Seen
from tikmatrixd.core.status import ErrorReason
from tikmatrixd.runtime.worker import DeviceWorker, WorkerDeps

log = structlog.get_logger("tikmatrixd.devices")

#: adb's words → ours (SPEC: online, offline, unauthorized, disconnected).
_STATES = {"device": "online", "unauthorized": "unauthorized", "authorizing": "unauthorized"}
MIN_BACKOFF, MAX_BACKOFF = 0.5, 30.0
#: How long adb's own reconnect gets to bring an offline TCP phone back before we redo `adb connect`.
OFFLINE_GRACE = 12.0


def our_state(seen: Seen | None) -> str:
    return "disconnected" if seen is None else _STATES.get(seen.state, "offline")


class DeviceManager:
    def __init__(self, deps: WorkerDeps) -> None:
        self._deps = deps
        adb = deps.config.adb
        self._servers = adb.servers
        self._connect_targets = adb.connect
        self._limit = deps.config.license.device_limit
        self._seen: dict[str, dict[str, Seen]] = {server: {} for server in self._servers}
        self._online: dict[str, str] = {}  # serial → adb server, for devices in state `device`
        self._workers: dict[str, DeviceWorker] = {}
        self._stopping: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._reconnecting: set[str] = set()
        self._over_limit_logged: set[str] = set()

    def start(self) -> None:
        for server in self._servers:
            self._spawn(self._track(server), f"track {server}")

    def worker(self, serial: str) -> DeviceWorker | None:
        return self._workers.get(serial)

    @property
    def workers(self) -> Iterable[DeviceWorker]:
        return self._workers.values()

    async def close(self) -> None:
        """Stop tracking; stop every worker (running tasks fail as ``interrupted``)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        workers, self._workers = list(self._workers.values()), {}
        await asyncio.gather(*(w.stop(ErrorReason.INTERRUPTED) for w in workers), *self._stopping.values(),
                             return_exceptions=True)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _track(self, server: str) -> None:
        delay = MIN_BACKOFF
        while True:
            try:
                first = True
                async for snapshot in host.track_devices(server):
                    if first:
                        log.info("adb server connected", server=server)
                        first, delay = False, MIN_BACKOFF
                    await self._apply(server, snapshot)
            except AdbHostError as problem:
                log.warning("adb server unreachable", server=server, error=str(problem), retry_in=delay)
            await self._apply(server, {})
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    async def _apply(self, server: str, snapshot: dict[str, Seen]) -> None:
        previous, self._seen[server] = self._seen[server], snapshot
        changes = {
            serial: (our_state(snapshot.get(serial)), seen.model if (seen := snapshot.get(serial)) else "")
            for serial in previous.keys() | snapshot.keys()
            if previous.get(serial) != snapshot.get(serial)
        }
        if changes:
            self._deps.events.publish(await self._deps.store.devices.observe(server, changes, self._deps.clock()))
        for serial, (state, model) in sorted(changes.items()):
            log.info("device state", serial=serial, state=state, model=model or None, server=server)
            if state == "online":
                self._online[serial] = server
            elif self._online.get(serial) == server:
                del self._online[serial]
        self._balance()
        if server == self._servers[0]:
            self._reconnect_missing(server, snapshot)

    def _balance(self) -> None:
        """Workers for online devices, in serial order, up to the device limit."""
        for serial in [s for s in self._workers if s not in self._online]:
            self._stop_worker(serial, ErrorReason.DEVICE_DISCONNECTED)
        for serial in sorted(self._online):
            if serial in self._workers:
                continue
            if len(self._workers) >= self._limit:
                if serial not in self._over_limit_logged:
                    self._over_limit_logged.add(serial)
                    log.warning("device over the plan's device_limit gets no worker", serial=serial,
                                device_limit=self._limit)
                continue
            self._over_limit_logged.discard(serial)
            worker = DeviceWorker(serial, self._online[serial], self._deps)
            worker.start(after=self._stopping.get(serial))
            self._workers[serial] = worker

    def _stop_worker(self, serial: str, reason: ErrorReason) -> None:
        worker = self._workers.pop(serial)
        stopping = asyncio.ensure_future(worker.stop(reason))
        self._stopping[serial] = stopping
        stopping.add_done_callback(lambda done: self._stopping.pop(serial, None) if self._stopping.get(serial)
                                   is done else None)

    def _reconnect_missing(self, server: str, snapshot: dict[str, Seen]) -> None:
        for target in self._connect_targets:
            seen = snapshot.get(target)
            if (seen is None or seen.state == "offline") and target not in self._reconnecting:
                self._reconnecting.add(target)
                self._spawn(self._reconnect(server, target, OFFLINE_GRACE if seen else 0.0), f"connect {target}")

    async def _reconnect(self, server: str, target: str, delay: float) -> None:
        """`adb connect` with backoff until the server lists the target as a device."""
        try:
            while True:
                await asyncio.sleep(delay)
                seen = self._seen[server].get(target)
                if seen is not None and seen.state == "device":
                    return
                try:
                    if seen is not None:  # stuck offline: make adb forget it first
                        await host.disconnect(server, target)
                    answer = await host.connect(server, target)
                    log.info("adb connect", target=target, answer=answer.strip())
                except AdbHostError as problem:
                    log.warning("adb connect failed", target=target, error=str(problem))
                delay = min(max(delay * 2, MIN_BACKOFF), MAX_BACKOFF)
        finally:
            self._reconnecting.discard(target)
