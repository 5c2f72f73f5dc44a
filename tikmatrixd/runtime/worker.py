"""One coroutine per online device: runs its due tasks one at a time, in (scheduled_at, id) order.

The worker holds no state a restart would lose: the store says what is
pending; the worker claims one task (pending → running in one conditional
UPDATE), runs its script, and records the outcome (running → completed or
failed, again conditional, so an API stop or delete always wins).

Anything that touches the phone runs as a separate asyncio task
(``_current``) so it can be cancelled on its own: a stop cancels the script,
its cleanup runs, and the worker records why. The worker loop itself is
never cancelled while it talks to the store, so a claim is never lost.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from tikmatrixd.adb import device as adb_device
from tikmatrixd.adb.device import Adb, AdbError, AdbTimeout, DeviceGone
from tikmatrixd.artifacts import Artifacts
from tikmatrixd.config import Config
from tikmatrixd.core import schedule
from tikmatrixd.core.platforms import PACKAGES
from tikmatrixd.core.status import NEVER_RETRIED, ErrorReason, error
from tikmatrixd.events import EventBus
from tikmatrixd.library import Library
from tikmatrixd.lifecycle import Lifecycle
from tikmatrixd.runtime import probe
from tikmatrixd.runtime.scheduler import Scheduler
from tikmatrixd.scripts.base import RunContext, Runner, ScriptFailure
from tikmatrixd.store import Store
from tikmatrixd.store.tasks import Claim
from tikmatrixd.ui import diagnose
from tikmatrixd.ui.driver import Ui
from tikmatrixd.ui.hierarchy import parse
from tikmatrixd.ui.selectors import Pack

log = structlog.get_logger("tikmatrixd.worker")
T = TypeVar("T")

#: Re-probe an unhealthy device after 1, 2, 4 ... seconds, at most this.
MAX_PROBE_BACKOFF = 60.0
CANCEL_MESSAGES = {
    ErrorReason.STOPPED: "stopped through the API",
    ErrorReason.DEVICE_DISCONNECTED: "the device left its adb server during the task",
    ErrorReason.INTERRUPTED: "the daemon shut down during the task",
}


@dataclass(frozen=True)
class WorkerDeps:
    """What every worker shares."""

    config: Config
    store: Store
    adb: Adb
    scheduler: Scheduler
    runners: Mapping[str, Runner | None]
    clock: Callable[[], float]
    rng: random.Random
    events: EventBus
    packs: Mapping[str, Pack]
    artifacts: Artifacts
    lifecycle: Lifecycle
    library: Library | None = None


class DeviceWorker:
    def __init__(self, serial: str, server: str, deps: WorkerDeps) -> None:
        self.serial = serial
        self.server = server
        self._deps = deps
        self._adb = deps.adb.device(server, serial)
        self._log = log.bind(serial=serial)
        self._wake = asyncio.Event()
        self._wake.set()  # pick up whatever is pending at start
        self._stopping = False
        self._stop_requested = asyncio.Event()
        self._current: asyncio.Task[Any] | None = None
        self._cancel_reason: ErrorReason | None = None
        self._main: asyncio.Task[None] | None = None
        self.running_task_id: int | None = None
        self.healthy: bool | None = None  # None until the first probe answered
        self._apps: dict[str, str] = {}  # package → version, from the first probe
        self._accounts: dict[str, str] = {}  # per app: the account the last task ran as

    def start(self, after: Awaitable[Any] | None = None) -> None:
        """Start serving; ``after`` is the previous worker's stop on this serial, if still going."""
        self._main = asyncio.create_task(self._serve(after), name=f"worker {self.serial}")

    def wake(self) -> None:
        self._wake.set()

    def cancel_task(self, task_id: int, reason: ErrorReason) -> asyncio.Task[Any] | None:
        """Cancel the script if it runs ``task_id``; returns what to await for its cleanup."""
        if self.running_task_id != task_id or self._current is None:
            return None
        self._cancel_reason = reason
        self._current.cancel()
        return self._current

    async def stop(self, reason: ErrorReason) -> None:
        """Cancel what runs (the task fails with ``reason``), let it clean up, end the loop."""
        self._stopping = True
        self._stop_requested.set()
        self._wake.set()
        if self._current is not None:
            self._cancel_reason = reason
            self._current.cancel()
        if self._main is None:
            return
        grace = self._deps.config.tasks.cleanup_timeout + 2.0
        done, _ = await asyncio.wait({self._main}, timeout=grace)
        if not done:  # a store call that never returns: give up on it
            self._log.warning("worker did not stop in time", grace=grace)
            self._main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._main

    async def _serve(self, after: Awaitable[Any] | None) -> None:
        if after is not None:
            await after
        while not self._stopping:
            try:
                await self._until_healthy()
                while not self._stopping:
                    await self._wake.wait()
                    self._wake.clear()
                    await self._drain()
            except Exception:  # a bug or a store failure: log it, pause, go on
                self._log.exception("worker failed; restarting it")
                await self._pause(1.0)

    async def _drain(self) -> None:
        deps = self._deps
        async with self._adb.session():  # tasks run back to back share one shell, closed once none is due
            while not self._stopping:
                claim = await deps.lifecycle.start_next(self.serial, schedule.day_start(deps.clock(), deps.config.tz),
                                                        deps.config.caps.daily)
                if claim.task is None:
                    if claim.next_at is not None:
                        deps.scheduler.at(claim.next_at, self.serial)
                    return
                if not await self._run(claim):
                    await self._until_healthy()

    async def _device_call(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run a phone activity as a task of its own that stop() can cancel."""
        self._current = task = asyncio.create_task(make())
        try:
            return await task
        finally:
            self._current = None

    async def _until_healthy(self) -> None:
        """Probe until the device answers; the first probe also records its apps."""
        deps, delay = self._deps, 1.0
        timeout = deps.config.adb.probe_timeout
        while not self._stopping:
            try:
                if self.healthy is None:
                    self._apps = await self._device_call(lambda: probe.describe(self._adb, timeout))
                    await deps.store.devices.set_apps(self.serial, self._apps)
                else:
                    await self._device_call(lambda: probe.ping(self._adb, timeout))
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except AdbError as problem:
                if self.healthy is not False:
                    self._log.warning("device unhealthy", error=str(problem))
                    deps.events.publish(await deps.store.devices.health(self.serial, False, deps.clock()))
                self.healthy = False
                await self._pause(delay * (0.8 + 0.4 * deps.rng.random()))
                delay = min(delay * 2, MAX_PROBE_BACKOFF)
                continue
            if self.healthy is not True:
                deps.events.publish(await deps.store.devices.health(self.serial, True, deps.clock()))
            if self.healthy is False:
                self._log.info("device healthy again")
                self._wake.set()  # tasks may have been created meanwhile
            self.healthy = True
            return

    async def _pause(self, seconds: float) -> None:
        """Sleep, but end early when the worker is stopped."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop_requested.wait(), seconds)

    async def _run(self, claim: Claim) -> bool:
        """Run one claimed task and record its outcome; False if the device looks unwell."""
        task = claim.task
        assert task is not None
        runner = self._deps.runners.get(task.script_name)
        task_log = self._log.bind(task_id=task.id, script=task.script_name)
        pack = self._deps.packs[claim.platform]
        ctx = RunContext(task=task, adb=self._adb, platform=claim.platform,
                         package=claim.package or PACKAGES[claim.platform], log=task_log,
                         ui=Ui(self._adb, pack, task_log, timeout=self._deps.config.ui.screen_timeout), pack=pack,
                         media_roots=self._deps.config.media.roots, history=self._deps.store.media,
                         library=self._deps.library)
        counter: collections.Counter[str] = collections.Counter()
        self._cancel_reason, self.running_task_id = None, task.id
        result: dict[str, Any] | None = None
        failure: dict[str, str] | None = None
        acted, healthy = True, True
        try:
            result = await self._device_call(lambda: self._script(runner, ctx, counter))
        except asyncio.CancelledError:
            if self._cancel_reason is None:
                raise
            failure = error(self._cancel_reason, CANCEL_MESSAGES[self._cancel_reason])
        except ScriptFailure as problem:
            failure, acted = problem.error(), problem.acted
        except DeviceGone as problem:
            failure, healthy = error(ErrorReason.DEVICE_DISCONNECTED, str(problem)), False
        except AdbTimeout as problem:
            failure, healthy = error(ErrorReason.ADB_TIMEOUT, str(problem)), False
        except AdbError as problem:
            failure = error(ErrorReason.ADB_ERROR, str(problem))
        except Exception as problem:
            task_log.exception("script crashed")
            failure = error(ErrorReason.SCRIPT_ERROR, f"internal error: {type(problem).__name__}")
        finally:
            self.running_task_id = None
        result = {**(result or {}), "adb_calls": sum(counter.values()), "dumps": ctx.ui.dumps}
        await self._record(claim, runner, result, failure, acted)
        return healthy

    async def _script(self, runner: Runner | None, ctx: RunContext, counter: collections.Counter[str]) -> Any:
        adb_device.calls.set(counter)  # this task's own context: counts its adb calls only
        if runner is None:
            raise ScriptFailure(ErrorReason.NOT_IMPLEMENTED,
                                f"{ctx.task.script_name} cannot run on phones yet", acted=False)
        if ctx.package not in self._apps:  # known from the probe; a clone app is asked once
            if not await self._adb.installed(ctx.package):
                raise ScriptFailure(ErrorReason.APP_NOT_INSTALLED, f"{ctx.package} is not installed", acted=False)
            self._apps[ctx.package] = ""
        try:
            return await runner.run(ctx)
        except Exception:
            await self._keep_artifacts(ctx)
            raise
        finally:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                task.uncancel()  # the cancel is delivered; let the cleanup's adb calls through
            try:
                async with asyncio.timeout(self._deps.config.tasks.cleanup_timeout):
                    await runner.cleanup(ctx)
            except Exception as problem:  # never hides how the run itself ended
                ctx.log.warning("cleanup failed", error=str(problem) or type(problem).__name__)

    async def _keep_artifacts(self, ctx: RunContext) -> None:
        """The failed screen, before cleanup changes it: the last dump, a screenshot, and what
        each selector the script looked for matches there (or its closest candidates)."""
        files = {}
        if dump := ctx.ui.last_dump:
            files["dump.xml"] = dump
            lines = diagnose.tried(ctx.ui.tried, parse(dump))
            files["selectors.txt"] = ("\n".join(lines) + "\n").encode("utf-8")
        try:
            png = await ctx.ui.screenshot(timeout=self._deps.config.tasks.cleanup_timeout)
            if png:
                files["screen.png"] = png
        except AdbError as problem:
            ctx.log.info("no screenshot", error=str(problem))
        if files:
            await self._deps.artifacts.save(ctx.task.id, files)

    async def _record(self, claim: Claim, runner: Runner | None, result: dict[str, Any],
                      failure: dict[str, str] | None, acted: bool) -> None:
        deps, task = self._deps, claim.task
        assert task is not None
        if failure is None:
            discovered = result.pop("discovered", None)
            if discovered is not None:  # match_accounts: what the phone has logged in
                await deps.store.accounts.discover(self.serial, discovered, deps.clock())
            await deps.lifecycle.complete(task, result)
            if task.username and task.username != self._accounts.get(claim.platform):  # the script switched
                self._accounts[claim.platform] = task.username
                await deps.store.devices.set_current_account(self.serial, claim.platform, task.username)
            return
        if failure["reason"] == ErrorReason.ACTION_BLOCKED and task.account_id is not None:
            await deps.lifecycle.cool_down(task, deps.clock() + deps.config.caps.cooldown)
        policy = deps.config.retry.get(task.script_name)
        retry = (policy is not None and task.retry_count < policy.attempts
                 and failure["reason"] not in NEVER_RETRIED
                 and (not acted or (runner is not None and runner.idempotent)))
        if retry:
            assert policy is not None
            at = deps.clock() + policy.delay * (1 + policy.jitter * deps.rng.uniform(-1, 1))
            if await deps.lifecycle.requeue(task, failure, at, result):
                return
        await deps.lifecycle.fail(task, failure, result)
