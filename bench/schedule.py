"""schedule: 10,000 pending tasks due over the next ~20 s; how late does each one start?

Target (DESIGN.md): scheduled tasks start within 1 s of their time (p99)
with 10,000 pending. Start delay = ``started_at - scheduled_at``, both read
from the store at full resolution.

The tasks are written into the store before the daemon starts (the API's
``start_time`` is HH:MM, too coarse to spread 10,000 tasks over seconds),
due from ``lead`` seconds after the daemon is up onwards, evenly spread
over ``spread`` seconds and round-robin over the phones. At start-up each
worker finds nothing due and hands its next time to the daemon's single
scheduler timer, which is what this measures. The script is one cheap adb
call (:class:`bench.runners.Echo`) on phones without injected latency, so
the phones keep up; ``required_rate`` in the JSON says how many tasks per
second the daemon must start to stay on time.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import populate
from bench.common import Result, Target, cpu_seconds, memory_mb, percentiles, rounded
from bench.rig import Rig

NAME = "schedule"
TARGET_P99 = 1.0


@dataclass
class Params:
    tasks: int = 10_000
    devices: int = 10
    spread: float = 20.0  # seconds over which the tasks fall due
    lead: float = 5.0  # seconds from the daemon's start to the first due task
    latency: str = "none"
    runner: str = "echo"

    @classmethod
    def quick(cls) -> Params:
        return cls(tasks=2_000, devices=5, spread=8.0, lead=4.0)


def _delays(db: Path) -> list[tuple[float, float | None, int]]:
    """(scheduled_at, started_at, status) of every task."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT scheduled_at, started_at, status FROM tasks").fetchall()
    finally:
        conn.close()


def _wait_started(db: Path, total: int, timeout: float) -> None:
    """Until every task has started (read-only polling of the store by the orchestrator)."""
    deadline = time.monotonic() + timeout
    while True:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            started = conn.execute("SELECT count(*) FROM tasks WHERE started_at IS NOT NULL").fetchone()[0]
        finally:
            conn.close()
        if started >= total:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{total - started} of {total} tasks not started after {timeout:.0f} s")
        time.sleep(0.5)


@dataclass
class Measured:
    rows: list[tuple[float, float | None, int]]  # see _delays
    first_due: float
    ready_at: float  # when every phone had a healthy worker
    cpu_seconds: float  # the daemon's, from ready_at until every task started
    cpu_wall: float
    memory: dict[str, float]
    startup: dict[str, float]
    exits: dict[str, Any]


def run(params: Params, workdir: Path) -> Result:
    rig = Rig(workdir, devices=params.devices, latency=params.latency, runner=params.runner)
    try:
        rig.start_phones()
        populate.create_store(str(rig.db))
        first_due = time.time() + params.lead
        step = params.spread / params.tasks
        times = [first_due + i * step for i in range(params.tasks)]
        populate.insert(str(rig.db), populate.scheduled(rig.serials, times, now=time.time()))
        rig.start_daemon()
        ready_at = time.time()
        cpu_before = cpu_seconds(rig.pids["daemon"])
        _wait_started(rig.db, params.tasks, timeout=params.lead + params.spread + 120)
        cpu_used = cpu_seconds(rig.pids["daemon"]) - cpu_before
        cpu_wall = time.time() - ready_at
        memory = memory_mb(rig.pids["daemon"])
        time.sleep(0.5)  # let the last tasks finish before reading
        rows = _delays(rig.db)
        exits = rig.close()
        measured = Measured(rows=rows, first_due=first_due, ready_at=ready_at, cpu_seconds=cpu_used,
                            cpu_wall=cpu_wall, memory=memory, startup=rig.timings, exits=exits)
    finally:
        rig.close()
    return _result(params, measured)


def _result(params: Params, m: Measured) -> Result:
    rows = m.rows
    delays = [started - scheduled for scheduled, started, _ in rows if started is not None]
    p = percentiles(delays, (50, 90, 99, 100))
    early = sum(1 for d in delays if d < 0)
    result = Result(NAME, params.__dict__)
    result.targets = [
        Target("start delay p99", f"< {TARGET_P99:g} s", p["p99"], "s", p["p99"] is not None and p["p99"] < TARGET_P99),
        Target("start delay p50", "reported", p["p50"], "s", None),
    ]
    if m.ready_at > m.first_due:
        result.notes.append(f"the daemon was ready {m.ready_at - m.first_due:.1f} s after the first task was due: "
                            "raise -p lead=...")
    if early:
        result.notes.append(f"{early} tasks started before their time")
    statuses = [status for _, _, status in rows]
    result.raw = rounded({
        "tasks": len(rows), "completed": statuses.count(2), "failed": statuses.count(3),
        "start_delay_seconds": p, "started_early": early,
        "required_rate_per_s": params.tasks / params.spread,
        "daemon_ready_before_first_due_s": m.first_due - m.ready_at,
        "daemon_cpu_seconds_until_all_started": m.cpu_seconds,
        "daemon_cpu_percent_of_core": 100 * m.cpu_seconds / m.cpu_wall,
        "daemon_cpu_ms_per_task": 1000 * m.cpu_seconds / max(1, len(rows)),
        "daemon_memory_mb": m.memory, "startup": m.startup, "exit_status": m.exits,
    }, 4)
    return result
