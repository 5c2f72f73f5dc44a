"""api: requests/s of create, get, list and stats against a bare aiohttp hello-world.

Targets (issue "Performance on real work", derived from what each endpoint
must do beyond a hello-world): get >= 60 %, stats >= 70 %, create of one task
>= 40 %, list of 20 tasks >= 30 % (plain and filtered) of the hello-world's
requests/s, measured in the same run, on a store of ``prefill`` tasks
(1,000,000 at full size). The hello-world is served the same way, on the same
event loop, with the same JSON library and response type as the daemon.

The app runs with a dispatcher that runs nothing (no phones). Each server is
its own process, and so is the load generator (:mod:`bench.load`). The
hello-world runs before and after every endpoint, and each endpoint is
compared with the mean of its two neighbours: on a shared machine the speed
drifts within a run, and neighbours drift least. p50 and p99 latency under
``connections`` connections are reported per row.

Each row also reports the server's CPU use during its window: a server at
~100 % of a core was the bottleneck (as intended); the client's CPU shows
it was not. Two probe rows (not targets) split the app's cost: a route that
only goes through the app's middleware and envelope, and one that adds a
no-op store call (the store thread hop every write pays);
``us_per_request`` (1 / rps) puts all rows on one scale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import populate
from bench.common import Child, Result, Target, cpu_seconds, rounded, run_json
from bench.servers import write_config
from tikmatrixd.sim.testing import free_port

NAME = "api"
#: Endpoint → the least share of the hello-world's requests/s it must sustain.
TARGETS = {"create": 0.40, "get": 0.60, "list": 0.30, "list filtered": 0.30, "stats": 0.70}
#: Not targets: the app's fixed cost per request, through its own middlewares (see bench.servers).
HELLO = [{"method": "GET", "path": "/hello"}]
PROBES = {"probe: app stack, no store": "/bench/hello", "probe: app stack + one store hop": "/bench/hop"}


@dataclass
class Params:
    duration: float = 5.0  # measured seconds per endpoint
    warmup: float = 1.0
    connections: int = 32
    prefill: int = 1_000_000  # tasks in the store before the run
    devices: int = 20
    log_level: str = "info"  # "warning" drops the per-request log line: shows what logging costs

    @classmethod
    def quick(cls) -> Params:
        return cls(duration=2.0, warmup=0.5, prefill=10_000)


def _workloads(params: Params, farm: populate.Farm) -> dict[str, list[dict[str, Any]]]:
    """Endpoint → the requests one connection cycles through."""
    serials = [farm.serial(i) for i in range(farm.devices)]
    ids = range(1, params.prefill + 1, max(1, params.prefill // 97))
    filters = ["status=2", f"serial={serials[0]}", "script_name=follow", "source=ui",
               f"username={farm.username(1, 1)}", f"serial={serials[1]}&status=3"]
    return {
        "create": [{"method": "POST", "path": "/api/v1/task",
                    "body": {"serials": [serial], "script_name": "follow",
                             "script_config": {"target_users": ["@bench_target"]}}} for serial in serials],
        "get": [{"method": "GET", "path": f"/api/v1/task/{i}"} for i in ids],
        "list": [{"method": "GET", "path": "/api/v1/task?page=1&page_size=20"}],
        "list filtered": [{"method": "GET", "path": f"/api/v1/task?{f}&page_size=20"} for f in filters],
        "stats": [{"method": "GET", "path": "/api/v1/task/stats"}],
    }


def _measure(server: Child, port: int, requests: list[dict[str, Any]], expect: str, params: Params) -> dict[str, Any]:
    spec = {"port": port, "connections": params.connections, "warmup": params.warmup,
            "duration": params.duration, "requests": requests, "expect": expect}
    before = cpu_seconds(server.pid)
    numbers = run_json("bench.load", [json.dumps(spec)], timeout=params.warmup + params.duration + 60)
    # Server CPU over warmup + window: the share of one core it used while loaded.
    numbers["server_cpu_percent"] = 100.0 * (cpu_seconds(server.pid) - before) / (params.warmup + params.duration)
    if numbers["errors"]:
        raise RuntimeError(f"{requests[0]['path']}: {numbers['errors']} bad responses, e.g. {numbers['first_error']}")
    return numbers


def run(params: Params, workdir: Path) -> Result:
    farm = populate.Farm(devices=params.devices)
    db = workdir / "api.db"
    populate.create_store(str(db))
    populate.insert(str(db), populate.history(params.prefill, farm))
    app_port, hello_port = free_port(), free_port()
    config = write_config(workdir / "api.toml", store=db, port=app_port, log_level=params.log_level,
                          devices=[farm.serial(i) for i in range(farm.devices)])
    hello = Child("bench.servers", ["hello", "--port", str(hello_port)], workdir / "hello.log")
    app = Child("bench.servers", ["api", "--port", str(app_port), "--config", str(config)], workdir / "api.log")
    try:
        hello.read_json(timeout=60)
        app.read_json(timeout=60)
        hellos = [_measure(hello, hello_port, HELLO, "world", params)]
        runs: dict[str, dict[str, Any]] = {}
        rows = [*_workloads(params, farm).items(), *((probe, [{"method": "GET", "path": path}])
                                                     for probe, path in PROBES.items())]
        for endpoint, requests in rows:
            runs[endpoint] = _measure(app, app_port, requests, '"code":0', params)
            hellos.append(_measure(hello, hello_port, HELLO, "world", params))
    finally:
        hello.stop()
        app.stop()
    return _result(params, runs, hellos)


def _result(params: Params, runs: dict[str, dict[str, Any]], hellos: list[dict[str, Any]]) -> Result:
    """Row i is compared with hello-world runs i and i + 1, measured just before and just after it."""
    result = Result(NAME, params.__dict__)
    ratios, neighbours = {}, {}
    for i, (endpoint, numbers) in enumerate(runs.items()):
        neighbours[endpoint] = (hellos[i]["rps"] + hellos[i + 1]["rps"]) / 2
        ratios[endpoint] = numbers["rps"] / neighbours[endpoint]
        if endpoint in TARGETS:
            result.targets.append(Target(f"{endpoint} / hello-world", f">= {TARGETS[endpoint]:.0%}",
                                         100 * ratios[endpoint], "%", ratios[endpoint] >= TARGETS[endpoint]))
    for endpoint in TARGETS:
        result.targets.append(Target(f"{endpoint}: p99 latency", f"reported ({params.connections} conns)",
                                     runs[endpoint]["latency_ms"]["p99"], "ms", None))
    busy_client = [name for name, n in runs.items() if n["client_cpu_percent"] > 90]
    if busy_client:
        result.notes.append(f"load generator near a full core in {', '.join(busy_client)}: rps may be client-bound")
    hello_rps = [h["rps"] for h in hellos]
    drift = (max(hello_rps) - min(hello_rps)) / (sum(hello_rps) / len(hello_rps))
    if drift > 0.15:
        result.notes.append(f"hello-world moved {drift:.0%} within the run: a noisy machine")
    # 1 / rps with the server saturated: comparable rows, e.g. endpoint minus probe = its own work.
    per_request_us = {name: 1e6 / n["rps"] for name, n in runs.items() if n["rps"]}
    per_request_us["hello (mean)"] = 1e6 * len(hello_rps) / sum(hello_rps)
    result.raw = rounded({"hello_rps_mean": sum(hello_rps) / len(hello_rps), "hello_rps_neighbours": neighbours,
                          "ratios": ratios, "us_per_request": per_request_us, "runs": runs, "hello_runs": hellos}, 3)
    return result
