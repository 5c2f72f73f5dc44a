"""dispatch: N phones x 10 tasks; the daemon's wall time against the phones' own time.

Targets (DESIGN.md):
- all tasks finish within 1.05x the time the simulated devices themselves
  spend: the *floor* is the busiest phone's total injected latency (what a
  real phone would take for the commands it served); the wall time runs from
  the create request to the last ``finished_at`` in the store;
- idle CPU with every phone attached and no task < 1 % of a core;
- RSS < 150 MB (peak, VmHWM, over the whole run);
- adb calls per task are reported (``result.adb_calls``).

Tasks are created in one request (fan-out: one follow task per phone and
target user), so the daemon gets all of them at once. The script is
:class:`bench.runners.OpenProfileAndTap` (am start, input tap; HOME in
cleanup) on phones with tikmatrixd.sim's realistic latencies.

On a 2-core machine the phones' process and the adb server share the CPU
with the daemon; their CPU use is reported next to the daemon's.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Result, Target, cpu_seconds, memory_mb, percentiles, rounded, sample_cpu
from bench.rig import Rig

NAME = "dispatch"
TARGET_RATIO = 1.05
TARGET_IDLE_CPU = 1.0  # % of one core
TARGET_RSS_MB = 150.0


@dataclass
class Params:
    devices: int = 200
    tasks_per_device: int = 10
    idle_seconds: float = 10.0
    latency: str = "realistic"  # see bench.simfarm
    runner: str = "open_profile"  # see bench.runners; "real": the daemon's own follow script
    language: str = "en"  # the phones'; "fr" serves TikTok screens built from real dumps

    @classmethod
    def quick(cls) -> Params:
        return cls(devices=20, idle_seconds=3.0)


def _cpu_of(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


def _wait_done(rig: Rig, total: int, timeout: float) -> None:
    """Until no task is pending or running (the orchestrator polls; the daemon never does)."""
    deadline = time.monotonic() + timeout
    while True:
        stats = rig.call("GET", "/api/v1/task/stats")
        if stats["completed"] + stats["failed"] >= total:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"tasks not done after {timeout:.0f} s: {stats}")
        time.sleep(0.2)


def _task_rows(db: Path, ids: list[int]) -> list[tuple[Any, ...]]:
    """(serial, status, started_at, finished_at, adb_calls, dumps) straight from the store: full time resolution."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT serial, status, started_at, finished_at, json_extract(result, '$.adb_calls'),"
            " coalesce(json_extract(result, '$.dumps'), 0) FROM tasks"
            " WHERE id BETWEEN ? AND ?", (min(ids), max(ids))).fetchall()
    finally:
        conn.close()


@dataclass
class Measured:
    """What one run observed, before it is turned into targets."""

    created_at: float  # just before the create request (epoch s)
    create_seconds: float
    done_seen: float  # when the orchestrator saw the last task done
    rows: list[tuple[Any, ...]]  # see _task_rows
    phones: dict[str, dict[str, float]]  # serial -> commands, injected, slept (bench.simfarm)
    idle: dict[str, dict[str, float]]  # process -> CPU over the idle window
    idle_memory: dict[str, float]
    memory: dict[str, float]  # the daemon's, after the run (peak = VmHWM)
    cpu_used: dict[str, float]  # process -> CPU seconds during the run
    startup: dict[str, float]
    exits: dict[str, Any]


def run(params: Params, workdir: Path) -> Result:
    rig = Rig(workdir, devices=params.devices, latency=params.latency, runner=params.runner,
              language=params.language)
    try:
        rig.start_phones()
        rig.start_daemon()
        pids = rig.pids
        time.sleep(1.0)  # let start-up settle (probes answered, app versions stored)
        idle = sample_cpu(pids, params.idle_seconds)
        idle_memory = memory_mb(pids["daemon"])
        rig.phone_stats("reset")

        cpu_before = _cpu_of(pids)
        created_at = time.time()
        created = rig.call("POST", "/api/v1/task", {
            "serials": rig.serials, "script_name": "follow",
            "script_config": {"target_users": [f"@bench_{i}" for i in range(params.tasks_per_device)]}})
        create_seconds = time.time() - created_at
        _wait_done(rig, created["created_count"], timeout=120 + 30 * params.tasks_per_device)
        done_seen = time.time()
        cpu_used = {name: used - cpu_before[name] for name, used in _cpu_of(pids).items()}
        memory = memory_mb(pids["daemon"])
        phones = rig.phone_stats()["devices"]
        rows = _task_rows(rig.db, created["task_ids"])
        exits = rig.close()
        measured = Measured(created_at=created_at, create_seconds=create_seconds, done_seen=done_seen, rows=rows,
                            phones=phones, idle=idle, idle_memory=idle_memory, memory=memory, cpu_used=cpu_used,
                            startup=rig.timings, exits=exits)
    finally:
        rig.close()
    return _result(params, measured)


def _result(params: Params, m: Measured) -> Result:
    rows, phones, created_at = m.rows, m.phones, m.created_at
    finished = [r[3] for r in rows if r[3] is not None]
    wall = max(finished) - created_at
    floor_serial = max(phones, key=lambda s: phones[s]["injected"])
    floor = phones[floor_serial]["injected"]
    ratio = wall / floor if floor else None
    # Per phone: how long its own tasks took against its own latency total.
    last_by_serial: dict[str, float] = {}
    for serial, _, _, done, _, _ in rows:
        if done is not None:
            last_by_serial[serial] = max(done, last_by_serial.get(serial, 0.0))
    per_phone = [(last_by_serial[s] - created_at) / p["injected"] for s, p in phones.items()
                 if p["injected"] and s in last_by_serial]
    calls = [r[4] for r in rows if r[4] is not None]
    dumps = sum(r[5] for r in rows)
    idle_cpu = m.idle["daemon"]["percent_of_core"]
    peak_rss = m.memory.get("peak_rss_mb")

    result = Result(NAME, params.__dict__)
    result.targets = [
        Target("wall / floor (busiest phone)", f"<= {TARGET_RATIO}", ratio, "x",
               ratio is not None and ratio <= TARGET_RATIO),
        Target(f"idle CPU, {params.devices} phones", f"< {TARGET_IDLE_CPU:g} % of a core", idle_cpu, "%",
               idle_cpu < TARGET_IDLE_CPU),
        Target("peak RSS of the daemon", f"< {TARGET_RSS_MB:g} MB", peak_rss, "MB",
               peak_rss is not None and peak_rss < TARGET_RSS_MB),
        Target("adb calls per task (mean)", "reported", sum(calls) / len(calls) if calls else None, "", None),
    ]
    if not floor:
        result.notes.append("the phones counted no injected latency: check --latency, and that bench.simfarm's "
                            "wrappers still match tikmatrixd.sim's SimDevice.run_command/delay")
    statuses = [r[1] for r in rows]
    if statuses.count(2) != len(rows):
        result.notes.append(f"{len(rows) - statuses.count(2)} of {len(rows)} tasks did not complete")
    starts = [r[2] for r in rows if r[2] is not None]
    result.raw = rounded({
        "tasks": len(rows), "completed": statuses.count(2), "failed": statuses.count(3),
        "wall_seconds": wall, "floor_seconds": floor, "floor_serial": floor_serial,
        "overhead_per_task_ms": 1000 * (wall - floor) / params.tasks_per_device,
        "ratio_per_phone": percentiles(per_phone, (50, 99, 100)),
        "injected_seconds_per_phone": percentiles([p["injected"] for p in phones.values()], (0, 50, 100)),
        "slept_seconds_busiest_phone": phones[floor_serial]["slept"],
        "commands_served": sum(p["commands"] for p in phones.values()),
        "adb_calls_per_task": {"mean": sum(calls) / len(calls) if calls else None, "min": min(calls, default=None),
                               "max": max(calls, default=None), "sum": sum(calls)},
        "create_request_seconds": m.create_seconds,
        "first_start_after_create_seconds": min(starts) - created_at if starts else None,
        "done_seen_after_last_finish_seconds": m.done_seen - max(finished),
        "idle": {**m.idle, "daemon_memory_mb": m.idle_memory},
        "run_cpu_seconds": m.cpu_used,
        "run_cpu_percent_of_core": {name: 100 * used / wall for name, used in m.cpu_used.items()},
        "daemon_cpu_ms_per_task": 1000 * m.cpu_used["daemon"] / max(1, len(rows)),
        "dumps_per_task": dumps / max(1, len(rows)),
        "daemon_cpu_ms_per_dump": 1000 * m.cpu_used["daemon"] / dumps if dumps else None,
        "daemon_memory_mb_at_end": m.memory,
        "startup": m.startup, "exit_status": m.exits,
    }, 4)
    return result
