"""Fill a task store fast: the schema from tikmatrixd's own Store.open, rows with plain sqlite3.

Going through the API (or even ``store.tasks.create``) costs one store-thread
hop per call; a million rows that way would take longer than the benchmark
itself. So rows go in with one ``executemany`` in one transaction. The
``task_counts`` triggers stay on: they fire per row, as they do for the
daemon, so the counts that ``stats()`` and list totals read are exact
(checked by :func:`check_counts`).
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from tikmatrixd.store import Store

COLUMNS = ("serial", "username", "account_id", "script_name", "script_config", "status", "source",
           "start_time", "scheduled_at", "created_at", "started_at", "finished_at", "retry_count", "error",
           "result")
INSERT = f"INSERT INTO tasks ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
PENDING, RUNNING, COMPLETED, FAILED = 0, 1, 2, 3


def create_store(path: str) -> None:
    """A fresh database with the daemon's schema (migrations, WAL), then closed."""

    async def open_close() -> None:
        store = await Store.open(path)
        await store.close()

    asyncio.run(open_close())


def insert(path: str, rows: Iterable[Sequence[object]]) -> int:
    """Insert task rows (in :data:`COLUMNS` order) in one transaction; returns the count."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB: index pages stay in memory while loading
        conn.execute("BEGIN IMMEDIATE")
        cursor = conn.executemany(INSERT, rows)
        conn.execute("COMMIT")
        return cursor.rowcount
    finally:
        conn.close()


def check_counts(path: str) -> dict[str, int]:
    """Per-status counts from a scan of tasks; raises if task_counts or task_status_counts disagrees."""
    conn = sqlite3.connect(path)
    try:
        scanned = dict(conn.execute("SELECT status, count(*) FROM tasks GROUP BY status").fetchall())
        for table in ("task_counts", "task_status_counts"):
            counted = dict(conn.execute(f"SELECT status, sum(n) FROM {table} GROUP BY status").fetchall())
            counted = {status: n for status, n in counted.items() if n}
            if scanned != counted:
                raise AssertionError(f"{table} {counted} disagree with the tasks table {scanned}")
    finally:
        conn.close()
    return {str(status): n for status, n in sorted(scanned.items())}


@dataclass(frozen=True)
class Farm:
    """The shape of a farm's history: which devices, accounts, scripts, sources and statuses."""

    devices: int = 200
    accounts_per_device: int = 3

    def serial(self, index: int) -> str:
        return f"R58M{index:05d}"

    def username(self, device: int, account: int) -> str:
        return f"tt_{device:05d}_{account}"


#: Weighted choices: a farm that has run for a while is mostly completed tasks.
SCRIPTS = (("follow", 5), ("unfollow", 3), ("post", 2))
SOURCES = (("api", 9), ("ui", 1))
STATUSES = ((COMPLETED, 80), (FAILED, 10), (PENDING, 9), (RUNNING, 1))


def _weighted(rng: random.Random, choices: Sequence[tuple[object, int]], k: int) -> list[object]:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights, k=k)


def history(n: int, farm: Farm = Farm(), *, seed: int = 1, end: float = 1.8e9) -> Iterator[tuple[object, ...]]:
    """``n`` plausible past tasks, oldest first, one per minute-ish up to ``end``."""
    rng = random.Random(seed)
    block = 10_000
    for start in range(0, n, block):
        size = min(block, n - start)
        scripts = _weighted(rng, SCRIPTS, size)
        sources = _weighted(rng, SOURCES, size)
        statuses = _weighted(rng, STATUSES, size)
        for i in range(size):
            device = rng.randrange(farm.devices)
            status = statuses[i]
            username = (farm.username(device, rng.randrange(farm.accounts_per_device))
                        if status != PENDING or rng.random() < 0.5 else None)
            created = end - (n - start - i) * 60.0
            started = created + 5 if status != PENDING else None
            finished = created + 65 if status in (COMPLETED, FAILED) else None
            config = json.dumps({"target_user": f"@user{rng.randrange(100_000)}", "access_method": "direct"})
            result = '{"adb_calls":7}' if finished else None
            error = '{"reason":"ui_timeout","message":"no follow button"}' if status == FAILED else None
            yield (farm.serial(device), username, None, scripts[i], config, status, sources[i], None,
                   created, created, started, finished, 0, error, result)


def scheduled(serials: Sequence[str], times: Sequence[float], *, now: float) -> Iterator[tuple[object, ...]]:
    """Pending follow tasks, one per time in ``times``, spread round-robin over ``serials``."""
    for i, at in enumerate(times):
        config = json.dumps({"target_user": f"@sched{i}", "access_method": "direct"})
        yield (serials[i % len(serials)], None, None, "follow", config, PENDING, "api", None, at, now, None, None,
               0, None, None)
