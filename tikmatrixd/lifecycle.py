"""One home for every change of a task's state.

Each transition is one function that does, in this order: the conditional
store update (it may find the task already moved on: a stop or a delete
wins) with its events appended to the event log in the same transaction,
publishing those events, waking or cancelling the worker concerned, and its
log line. The API, the workers and start-up all go through here, so
a new kind of change cannot forget one of the four.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import structlog

from tikmatrixd.artifacts import Artifacts
from tikmatrixd.core.status import ErrorReason, TaskStatus, error
from tikmatrixd.core.tasks import CreateRequest, Expander, Task
from tikmatrixd.events import EventBus, Kind
from tikmatrixd.runtime.dispatcher import Dispatcher, NullDispatcher
from tikmatrixd.store import Store
from tikmatrixd.store.tasks import Claim, Created, Deleted

log = structlog.get_logger("tikmatrixd.tasks")


def span(ids: list[int]) -> str:
    """A short form of a possibly long id list for a log line."""
    return ",".join(map(str, ids)) if len(ids) <= 5 else f"{ids[0]}..{ids[-1]} ({len(ids)})"


class Lifecycle:
    def __init__(self, store: Store, events: EventBus, artifacts: Artifacts, clock: Callable[[], float]) -> None:
        self._store = store
        self._events = events
        self._artifacts = artifacts
        self._clock = clock
        self._dispatcher: Dispatcher = NullDispatcher()

    def attach(self, dispatcher: Dispatcher) -> None:
        """The runtime that runs the tasks (until then nothing is woken or cancelled)."""
        self._dispatcher = dispatcher

    # -- what clients ask for ------------------------------------------------------
    async def create(self, request: CreateRequest, script: Expander, max_tasks: int) -> Created:
        created = await self._store.tasks.create(request, script, max_tasks)
        self._events.publish(created.events)
        self._dispatcher.wake(created.serials)
        log.info("tasks created", task_ids=span(created.ids), script=request.script_name,
                 serials=len(created.serials))
        return created

    async def stop(self, task_id: int) -> Task:
        """pending or running → failed (reason ``stopped``); a running script is cancelled."""
        task, before, events = await self._store.tasks.stop(
            task_id, error(ErrorReason.STOPPED, "stopped through the API"), self._clock())
        self._events.publish(events)
        if before is TaskStatus.RUNNING:
            await self._dispatcher.cancel([task_id])
        log.info("task stopped", task_id=task_id, was=before.text)
        return task

    async def retry(self, task_id: int) -> Task:
        """failed → pending, due now, retry_count + 1."""
        task, events = await self._store.tasks.retry(task_id, self._clock())
        self._events.publish(events)
        self._dispatcher.wake([task.serial])
        log.info("task retried", task_id=task.id, retry_count=task.retry_count)
        return task

    async def retry_all(self) -> int:
        events = await self._store.tasks.retry_all(self._clock())
        self._events.publish(events)
        retried = [event.data for event in events if event.kind is Kind.TASK]
        self._dispatcher.wake({task["serial"] for task in retried})
        log.info("tasks retried", count=len(retried))
        return len(retried)

    async def delete(self, ids: Iterable[int]) -> Deleted:
        """Rows first, then the running ones are cancelled: a worker can no longer claim them."""
        deleted = await self._store.tasks.delete(ids, self._clock())
        gone = [task.id for task in deleted.tasks]
        self._events.publish(deleted.events)
        running = [task.id for task in deleted.tasks if task.status is TaskStatus.RUNNING]
        if running:
            await self._dispatcher.cancel(running)
        if gone:
            log.info("tasks deleted", task_ids=span(gone))
        await self._artifacts.delete(gone)
        return deleted

    # -- what the runtime does -------------------------------------------------------
    async def interrupt_running(self) -> list[int]:
        """At start-up: tasks a killed process left running → failed, never re-run."""
        events = await self._store.tasks.interrupt_running(
            error(ErrorReason.INTERRUPTED, "the daemon stopped while the task was running; not re-run"),
            self._clock())
        self._events.publish(events)
        ids = [event.data["id"] for event in events]
        if ids:
            log.warning("tasks interrupted by the previous shutdown", task_ids=ids)
        return ids

    async def start_next(self, serial: str, day_start: float, caps: Mapping[str, int]) -> Claim:
        """The device's first due pending task → running (nothing due: when the next one is).
        Due tasks that cannot run (disabled account, daily cap) → failed on the way, never started."""
        claim = await self._store.tasks.claim_next(serial, self._clock(), day_start, caps)
        self._events.publish(claim.events)
        for skipped, refusal in claim.skipped:
            log.info("task failed", task_id=skipped.id, serial=serial, script=skipped.script_name,
                     reason=refusal["reason"], message=refusal["message"], started=False)
        task = claim.task
        if task is not None:
            log.info("task running", task_id=task.id, serial=serial, script=task.script_name,
                     username=task.username)
        return claim

    async def complete(self, task: Task, result: dict[str, Any]) -> None:
        events = await self._store.tasks.finish(task.id, TaskStatus.COMPLETED, self._clock(), result=result)
        self._events.publish(events)
        log.info("task completed", task_id=task.id, serial=task.serial, script=task.script_name,
                 adb_calls=result.get("adb_calls"), recorded=bool(events))

    async def fail(self, task: Task, failure: dict[str, str], result: dict[str, Any]) -> None:
        events = await self._store.tasks.finish(task.id, TaskStatus.FAILED, self._clock(), result=result,
                                                error=failure)
        self._events.publish(events)
        log.info("task failed", task_id=task.id, serial=task.serial, script=task.script_name,
                 reason=failure["reason"], message=failure["message"], adb_calls=result.get("adb_calls"),
                 recorded=bool(events))

    async def requeue(self, task: Task, failure: dict[str, str], at: float, result: dict[str, Any]) -> bool:
        """An automatic retry: running → pending again at ``at`` (False: a stop or delete won)."""
        events = await self._store.tasks.requeue(task.id, at, self._clock(), failure["reason"])
        if not events:
            return False
        self._events.publish(events)
        self._dispatcher.wake_at(at, task.serial)
        log.info("task failed; retrying", task_id=task.id, serial=task.serial, script=task.script_name,
                 reason=failure["reason"], message=failure["message"], retry_in=round(at - self._clock(), 1),
                 adb_calls=result.get("adb_calls"))
        return True

    async def cool_down(self, task: Task, until: float) -> None:
        """The platform refused an action: the task's account rests; its tasks are due after."""
        assert task.account_id is not None
        self._events.publish(await self._store.accounts.cool_down(task.account_id, until, self._clock()))
        self._dispatcher.wake_at(until, task.serial)
        log.warning("account cooling down", account=task.username, seconds=round(until - self._clock()))
