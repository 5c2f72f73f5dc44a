"""store: list with each filter and stats on a store of 1,000,000 tasks.

Target (DESIGN.md): list with any filter and stats < 10 ms p50. Each query
is timed as the API handler pays it: one ``await`` on tikmatrixd's Store
(store thread hop included), first page of 20, newest first. The cost
of the bare hop (``store.run`` of a no-op) is reported alongside, so the
SQL's own share can be read off.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench import populate
from bench.common import Result, Target, percentiles, rounded
from tikmatrixd.core.status import TaskStatus
from tikmatrixd.core.tasks import TaskFilter
from tikmatrixd.store import Store

NAME = "store"
TARGET_MS = 10.0
PAGE_SIZE = 20


@dataclass
class Params:
    rows: int = 1_000_000
    samples: int = 300  # timed calls per query kind
    devices: int = 200

    @classmethod
    def quick(cls) -> Params:
        return cls(rows=100_000, samples=100)


def _filters(farm: populate.Farm, rng: random.Random) -> dict[str, Callable[[], TaskFilter]]:
    """Query kind → a maker of varied filters of that kind (values drawn per call)."""

    def status() -> TaskStatus:
        return TaskStatus(rng.randrange(4))

    def serial() -> str:
        return farm.serial(rng.randrange(farm.devices))

    def username() -> str:
        return farm.username(rng.randrange(farm.devices), rng.randrange(farm.accounts_per_device))

    def script() -> str:
        return rng.choice(("follow", "unfollow", "post"))

    return {
        "none": lambda: TaskFilter(),
        "status": lambda: TaskFilter(status=status()),
        "serial": lambda: TaskFilter(serial=serial()),
        "script_name": lambda: TaskFilter(script_name=script()),
        "source": lambda: TaskFilter(source=rng.choice(("api", "ui"))),
        "username": lambda: TaskFilter(username=username()),
        # Two filters at once: the index serves one, the other is checked row by row.
        "serial+status": lambda: TaskFilter(serial=serial(), status=status()),
        "username+status": lambda: TaskFilter(username=username(), status=status()),
        "script_name+source": lambda: TaskFilter(script_name=script(), source=rng.choice(("api", "ui"))),
    }


async def _time(call: Callable[[], Awaitable[object]], samples: int, warmup: int = 10) -> list[float]:
    """Milliseconds per call, after a few untimed calls."""
    for _ in range(warmup):
        await call()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def _measure(path: str, params: Params) -> dict[str, dict[str, float | None]]:
    farm = populate.Farm(devices=params.devices)
    rng = random.Random(7)
    store = await Store.open(path)
    try:
        timings: dict[str, list[float]] = {"hop (no-op)": await _time(lambda: store.run(lambda conn: None),
                                                                      params.samples)}
        for kind, make in _filters(farm, rng).items():
            timings[f"list {kind}"] = await _time(lambda make=make: store.tasks.list(make(), 1, PAGE_SIZE),
                                                  params.samples)
        timings["stats"] = await _time(store.tasks.stats, params.samples)
        # Not a target (pages are not filters), but a client paging far back pays OFFSET.
        timings["list status page 50"] = await _time(
            lambda: store.tasks.list(TaskFilter(status=TaskStatus.COMPLETED), 50, PAGE_SIZE), params.samples)
    finally:
        await store.close()
    return {kind: percentiles(values, (50, 90, 99)) for kind, values in timings.items()}


def run(params: Params, workdir: Path) -> Result:
    path = str(workdir / "store.db")
    started = time.perf_counter()
    populate.create_store(path)
    inserted = populate.insert(path, populate.history(params.rows, populate.Farm(devices=params.devices)))
    load_seconds = time.perf_counter() - started
    counts = populate.check_counts(path)
    queries = asyncio.run(_measure(path, params))

    result = Result(NAME, params.__dict__)
    for kind, p in queries.items():
        if (kind.startswith("list ") and "page" not in kind) or kind == "stats":
            result.targets.append(Target(f"{kind} p50", f"< {TARGET_MS:g} ms", p["p50"], "ms",
                                         p["p50"] is not None and p["p50"] < TARGET_MS))
    result.raw = rounded({
        "rows": inserted, "status_counts": counts, "load_seconds": load_seconds,
        "db_mb": os.path.getsize(path) / 1e6, "page_size": PAGE_SIZE, "queries_ms": queries,
    })
    return result
