"""Queries on the tasks table. Status changes are conditional UPDATEs.

Each change appends its events to the event log in its own transaction and
returns them (with their ids), for the lifecycle to publish.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tikmatrixd.core.errors import InvalidTransition, TaskNotFound
from tikmatrixd.core.status import RETRYABLE, STOPPABLE, ErrorReason, TaskStatus, error
from tikmatrixd.core.tasks import (
    CreateRequest,
    Expander,
    Target,
    Task,
    TaskDraft,
    TaskFilter,
    TaskPage,
    TaskStats,
    fan_out,
)
from tikmatrixd.events import Event, Kind
from tikmatrixd.store.events import record
from tikmatrixd.store.sql import KeptReader, Runner, dumps, loads, placeholders, transaction
from tikmatrixd.store.targets import resolve_targets

_COLUMNS = (
    "id, serial, username, account_id, script_name, script_config, status, source, start_time,"
    " scheduled_at, created_at, started_at, finished_at, retry_count, error, result"
)


def _task(row: Sequence[Any]) -> Task:
    return Task(
        id=row[0], serial=row[1], username=row[2], account_id=row[3], script_name=row[4],
        script_config=loads(row[5]), status=TaskStatus.of(row[6]), source=row[7], start_time=row[8],
        scheduled_at=row[9], created_at=row[10], started_at=row[11], finished_at=row[12],
        retry_count=row[13], error=loads(row[14]), result=loads(row[15]),
    )


def _select_one(conn: sqlite3.Connection, task_id: int) -> Task:
    row = conn.execute(f"SELECT {_COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchone()
    if row is None:
        raise TaskNotFound(task_id)
    return _task(row)


def _task_event(conn: sqlite3.Connection, now: float, task_id: int, serial: str, status: TaskStatus,
                retry_count: int, reason: str | None = None) -> Event:
    data: dict[str, Any] = {"id": task_id, "serial": serial, "status_text": status.text, "retry_count": retry_count}
    if reason is not None:
        data["reason"] = reason
    return record(conn, Kind.TASK, now, **data)


@dataclass(frozen=True)
class Created:
    ids: list[int]
    serials: list[str]
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    task: Task | None
    platform: str = ""
    package: str = ""  # a clone app's package from the account; "" = the platform's own
    next_at: float | None = None  # when no task is due: the device's next scheduled one
    #: Due tasks that cannot run (their account is disabled or at its daily cap): failed in the
    #: claim, never started, with the error recorded.
    skipped: list[tuple[Task, dict[str, str]]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class Deleted:
    tasks: list[Task]
    not_found: list[int]
    events: list[Event] = field(default_factory=list)


class TaskQueries:
    def __init__(self, run: Runner, read: Runner, read_kept: KeptReader) -> None:
        self._run = run
        self._read = read  # bounded reads: on the event loop, no hop
        self._read_kept = read_kept

    async def create(self, request: CreateRequest, script: Expander, max_tasks: int) -> Created:
        """Resolve targets, fan out and insert, all in one transaction."""

        def create(conn: sqlite3.Connection) -> Created:
            with transaction(conn):
                targets = resolve_targets(conn, request.selection)
                drafts = fan_out(request, targets, script, max_tasks)
                ids = [_insert(conn, draft) for draft in drafts]
                event = record(conn, Kind.TASKS_CREATED, request.created_at, task_ids=ids,
                               script_name=request.script_name)
            return Created(ids=ids, serials=sorted({d.target.serial for d in drafts}), events=[event])

        return await self._run(create)

    async def get(self, task_id: int) -> Task:
        return await self._read(lambda conn: _select_one(conn, task_id))

    async def list(self, where: TaskFilter, page: int, page_size: int) -> TaskPage:
        clauses, params = _filter_sql(where)
        condition = f"WHERE {' AND '.join(clauses)}" if clauses else ""

        # Per status alone, the four-row table; any other filter, the counts by device, account, script...
        status_only = all(v is None for v in (where.serial, where.script_name, where.source, where.username))
        counts = "task_status_counts" if status_only else "task_counts"

        def list_tasks(conn: sqlite3.Connection) -> TaskPage:
            total = conn.execute(f"SELECT coalesce(sum(n), 0) FROM {counts} {condition}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM tasks {condition} ORDER BY id DESC LIMIT ? OFFSET ?",
                (*params, page_size, (page - 1) * page_size),
            ).fetchall()
            return TaskPage(tasks=[_task(row) for row in rows], total=total)

        # The first pages are bounded reads (an index walk of a few rows); deep offsets scan.
        return await (self._read if page * page_size <= 1000 else self._run)(list_tasks)

    async def stats(self) -> TaskStats:
        def stats(conn: sqlite3.Connection) -> TaskStats:
            counts = dict(conn.execute("SELECT status, n FROM task_status_counts").fetchall())
            by_name = {status.text: counts.get(status, 0) for status in TaskStatus}
            return TaskStats(total=sum(by_name.values()), **by_name)

        return await self._read_kept("task stats", stats)

    async def stop(self, task_id: int, error: dict[str, str],
                   now: float) -> tuple[Task, TaskStatus, builtins.list[Event]]:
        """pending/running → failed; returns the task and the status it had."""

        def stop(conn: sqlite3.Connection) -> tuple[Task, TaskStatus, builtins.list[Event]]:
            with transaction(conn):
                before = _select_one(conn, task_id)
                if before.status not in STOPPABLE:
                    raise InvalidTransition(f"task {task_id} is already {before.status.text}")
                conn.execute(
                    "UPDATE tasks SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = ?",
                    (TaskStatus.FAILED, dumps(error), now, task_id, before.status),
                )
                event = _task_event(conn, now, task_id, before.serial, TaskStatus.FAILED, before.retry_count,
                                    error["reason"])
                return _select_one(conn, task_id), before.status, [event]

        return await self._run(stop)

    async def retry(self, task_id: int, now: float) -> tuple[Task, builtins.list[Event]]:
        """failed → pending, due now, retry_count + 1, error and result cleared."""

        def retry(conn: sqlite3.Connection) -> tuple[Task, builtins.list[Event]]:
            with transaction(conn):
                before = _select_one(conn, task_id)
                if before.status not in RETRYABLE:
                    raise InvalidTransition(f"task {task_id} is {before.status.text}; only failed tasks can be retried")
                events = _retry_where(conn, "id = ? AND status = ?", (task_id, TaskStatus.FAILED), now, now)
                return _select_one(conn, task_id), events

        return await self._run(retry)

    async def retry_all(self, now: float) -> builtins.list[Event]:
        """Every failed task → pending: an event per task, then one with the count."""

        def retry_all(conn: sqlite3.Connection) -> builtins.list[Event]:
            with transaction(conn):
                events = _retry_where(conn, "status = ?", (TaskStatus.FAILED,), now, now)
                return [*events, record(conn, Kind.TASKS_RETRIED, now, count=len(events))]

        return await self._run(retry_all)

    async def start(self, task_id: int, now: float, username: str | None = None) -> bool:
        """pending → running, if it still is pending (a stop or delete may have won)."""

        def start(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                return _start(conn, task_id, now, username)

        return await self._run(start)

    async def claim_next(self, serial: str, now: float, day_start: float, caps: Mapping[str, int]) -> Claim:
        """Start the device's first due pending task in (scheduled_at, id) order.

        Tasks of an account in cooldown are not due until it ends. A due task
        that cannot run (a disabled account, or one that did its daily cap of
        that script: its own cap, else ``caps``) fails here without ever
        being marked running, and the next one is looked at. When none is
        due, says when the next one will be, for the scheduler. The task
        runs as its own account, or else its app's active one on the device.
        """

        def claim(conn: sqlite3.Connection) -> Claim:
            skipped: builtins.list[tuple[Task, dict[str, str]]] = []
            events: builtins.list[Event] = []
            with transaction(conn):
                while True:
                    row = conn.execute(
                        "SELECT t.id, coalesce(a.platform, json_extract(t.script_config, '$.platform'), d.platform,"
                        " 'tiktok'), coalesce(a.packagename, ''), coalesce(a.status, 0), coalesce(a.daily_caps, '{}'),"
                        " (SELECT count(*) FROM tasks o WHERE o.account_id = t.account_id"
                        "  AND o.script_name = t.script_name AND o.status = 2 AND o.finished_at >= ?)"
                        " FROM tasks t LEFT JOIN accounts a ON a.id = t.account_id"
                        " LEFT JOIN devices d ON d.serial = t.serial"
                        " WHERE t.serial = ? AND t.status = 0 AND t.scheduled_at <= ?"
                        " AND coalesce(a.cooldown_until, 0) <= ? ORDER BY t.scheduled_at, t.id LIMIT 1",
                        (day_start, serial, now, now),
                    ).fetchone()
                    if row is None:
                        next_at = conn.execute(
                            "SELECT min(max(t.scheduled_at, coalesce(a.cooldown_until, 0))) FROM tasks t"
                            " LEFT JOIN accounts a ON a.id = t.account_id WHERE t.serial = ? AND t.status = 0",
                            (serial,),
                        ).fetchone()[0]
                        return Claim(task=None, next_at=next_at, skipped=skipped, events=events)
                    task_id, platform, package, disabled, own_caps, done = row
                    task = _select_one(conn, task_id)
                    refusal = _refusal(task, disabled == 1, {**caps, **loads(own_caps)}, done)
                    if refusal is None:
                        _start(conn, task_id, now, None)
                        events.append(_task_event(conn, now, task_id, serial, TaskStatus.RUNNING, task.retry_count))
                        return Claim(task=_select_one(conn, task_id), platform=platform, package=package,
                                     skipped=skipped, events=events)
                    conn.execute("UPDATE tasks SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = 0",
                                 (TaskStatus.FAILED, dumps(refusal), now, task_id))
                    events.append(_task_event(conn, now, task_id, serial, TaskStatus.FAILED, task.retry_count,
                                              refusal["reason"]))
                    skipped.append((task, refusal))

        return await self._run(claim)

    async def interrupt_running(self, error: dict[str, str], now: float) -> builtins.list[Event]:
        """At start-up: tasks a killed process left running → failed. Nothing is re-run."""

        def interrupt(conn: sqlite3.Connection) -> builtins.list[Event]:
            with transaction(conn):
                rows = conn.execute(
                    "UPDATE tasks SET status = ?, error = ?, finished_at = ? WHERE status = ?"
                    " RETURNING id, serial, retry_count",
                    (TaskStatus.FAILED, dumps(error), now, TaskStatus.RUNNING),
                ).fetchall()
                return [_task_event(conn, now, task_id, serial, TaskStatus.FAILED, retries, error["reason"])
                        for task_id, serial, retries in sorted(rows)]

        return await self._run(interrupt)

    async def requeue(self, task_id: int, at: float, now: float, reason: str) -> builtins.list[Event]:
        """Automatic retry: running → pending again at ``at``, same id, retry_count + 1
        (no event: a stop or a delete won)."""

        def requeue(conn: sqlite3.Connection) -> builtins.list[Event]:
            with transaction(conn):
                return _retry_where(conn, "id = ? AND status = ?", (task_id, TaskStatus.RUNNING), at, now, reason)

        return await self._run(requeue)

    async def finish(self, task_id: int, status: TaskStatus, now: float, result: dict[str, Any] | None = None,
                     error: dict[str, str] | None = None) -> builtins.list[Event]:
        """running → completed/failed (no event: the API stopped or deleted it first)."""

        def finish(conn: sqlite3.Connection) -> builtins.list[Event]:
            with transaction(conn):
                row = conn.execute(
                    "UPDATE tasks SET status = ?, finished_at = ?, result = ?, error = ? WHERE id = ? AND status = ?"
                    " RETURNING serial, retry_count",
                    (status, now, dumps(result), dumps(error), task_id, TaskStatus.RUNNING),
                ).fetchone()
                if row is None:
                    return []
                reason = None if error is None else error["reason"]
                return [_task_event(conn, now, task_id, row[0], status, row[1], reason)]

        return await self._run(finish)

    async def delete(self, ids: Iterable[int], now: float) -> Deleted:
        wanted = list(dict.fromkeys(ids))

        def delete(conn: sqlite3.Connection) -> Deleted:
            with transaction(conn):
                rows = conn.execute(
                    f"DELETE FROM tasks WHERE id IN ({placeholders(len(wanted))}) RETURNING {_COLUMNS}", wanted
                ).fetchall()
                tasks = [_task(row) for row in rows]
                events = [record(conn, Kind.TASKS_DELETED, now, task_ids=[t.id for t in tasks])] if tasks else []
            found = {task.id for task in tasks}
            return Deleted(tasks=tasks, not_found=[i for i in wanted if i not in found], events=events)

        return await self._run(delete)


def _refusal(task: Task, disabled: bool, caps: Mapping[str, int], done_today: int) -> dict[str, str] | None:
    """Why a due task of an account cannot run now, as its error; None when it can."""
    if disabled:
        return error(ErrorReason.ACCOUNT_DISABLED, f"account @{task.username} is disabled")
    cap = caps.get(task.script_name, 0)
    if cap and done_today >= cap:
        return error(ErrorReason.DAILY_CAP, f"@{task.username} already did {done_today} {task.script_name} today "
                     f"(cap {cap})")
    return None


def _start(conn: sqlite3.Connection, task_id: int, now: float, username: str | None) -> bool:
    return conn.execute(
        "UPDATE tasks SET status = ?, started_at = ?,"
        " username = coalesce(username, ?, (SELECT json_extract(d.current_accounts, '$.' ||"
        "  coalesce(json_extract(tasks.script_config, '$.platform'), d.platform)) FROM devices d"
        "  WHERE d.serial = tasks.serial))"
        " WHERE id = ? AND status = ?",
        (TaskStatus.RUNNING, now, username, task_id, TaskStatus.PENDING),
    ).rowcount == 1


def _insert(conn: sqlite3.Connection, draft: TaskDraft) -> int:
    target: Target = draft.target
    cursor = conn.execute(
        "INSERT INTO tasks (serial, username, account_id, script_name, script_config, status, source,"
        " start_time, scheduled_at, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
        (
            target.serial, target.username, target.account_id, draft.script_name,
            dumps(draft.script_config), draft.source, draft.start_time, draft.scheduled_at, draft.created_at,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _retry_where(conn: sqlite3.Connection, condition: str, params: tuple[Any, ...], due: float, now: float,
                 reason: str | None = None) -> list[Event]:
    """Matching tasks → pending, due at ``due``, retry_count + 1; an event for each."""
    rows = conn.execute(
        "UPDATE tasks SET status = 0, retry_count = retry_count + 1, error = NULL, result = NULL,"
        f" started_at = NULL, finished_at = NULL, scheduled_at = ? WHERE {condition}"
        " RETURNING id, serial, retry_count",
        (due, *params),
    ).fetchall()
    return [_task_event(conn, now, task_id, serial, TaskStatus.PENDING, retries, reason)
            for task_id, serial, retries in sorted(rows)]


def _filter_sql(where: TaskFilter) -> tuple[list[str], list[object]]:
    """The WHERE clauses for a filter; same column names in tasks and task_counts."""
    clauses: list[str] = []
    params: list[object] = []
    for column, value in (
        ("status", where.status),
        ("serial", where.serial),
        ("script_name", where.script_name),
        ("source", where.source),
        ("username", where.username),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(int(value) if column == "status" else value)
    return clauses, params
