"""api: requests/s of create, get, list and stats against a bare aiohttp hello-world.

Target (DESIGN.md): each endpoint sustains >= 50 % of the hello-world's
requests/s, measured in the same run on the same machine. The app runs
with a dispatcher that runs nothing (no phones), on a store pre-filled with
``prefill`` tasks; each server is its own process, and so is the load
generator (:mod:`bench.load`). The hello-world is measured first and last,
and the endpoints are compared with the mean of the two.

Each row also reports the server's CPU use during its window: a server at
~100 % of a core was the bottleneck (as intended); the client's CPU shows
it was not. Two probe rows (not targets) split the app's cost: a route that
only goes through the app's middlewares and envelope, and one that adds a
no-op store call (the store thread hop every endpoint pays);
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
TARGET_RATIO = 0.5
#: Not targets: the app's fixed cost per request, through its own middlewares (see bench.servers).
PROBES = {"probe: app stack, no store": "/bench/hello", "probe: app stack + one store hop": "/bench/hop"}


@dataclass
class Params:
    duration: float = 5.0  # measured seconds per endpoint
    warmup: float = 1.0
    connections: int = 32
    prefill: int = 10_000  # tasks in the store before the run
    devices: int = 20
    log_level: str = "info"  # "warning" drops the per-request log line: shows what logging costs

    @classmethod
    def quick(cls) -> Params:
        return cls(duration=2.0, warmup=0.5, prefill=2_000)


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
        runs = {"hello (first)": _measure(hello, hello_port, [{"method": "GET", "path": "/hello"}], "world", params)}
        for endpoint, requests in _workloads(params, farm).items():
            runs[endpoint] = _measure(app, app_port, requests, '"code":0', params)
        for probe, path in PROBES.items():
            runs[probe] = _measure(app, app_port, [{"method": "GET", "path": path}], '"code":0', params)
        runs["hello (last)"] = _measure(hello, hello_port, [{"method": "GET", "path": "/hello"}], "world", params)
    finally:
        hello.stop()
        app.stop()
    return _result(params, runs)


def _result(params: Params, runs: dict[str, dict[str, Any]]) -> Result:
    hello_rps = (runs["hello (first)"]["rps"] + runs["hello (last)"]["rps"]) / 2
    result = Result(NAME, params.__dict__)
    ratios = {}
    for endpoint, numbers in runs.items():
        if endpoint.startswith("hello"):
            continue
        ratios[endpoint] = numbers["rps"] / hello_rps
        if endpoint in PROBES:
            continue
        result.targets.append(Target(f"{endpoint} / hello-world", f">= {TARGET_RATIO:.0%}", 100 * ratios[endpoint],
                                     "%", ratios[endpoint] >= TARGET_RATIO))
    busy_client = [name for name, n in runs.items() if n["client_cpu_percent"] > 90]
    if busy_client:
        result.notes.append(f"load generator near a full core in {', '.join(busy_client)}: rps may be client-bound")
    drift = abs(runs["hello (first)"]["rps"] - runs["hello (last)"]["rps"]) / hello_rps
    if drift > 0.15:
        result.notes.append(f"hello-world moved {drift:.0%} between first and last run: a noisy machine")
    # 1 / rps with the server saturated: comparable rows, e.g. endpoint minus probe = its own work.
    per_request_us = {name: 1e6 / n["rps"] for name, n in runs.items() if n["rps"]}
    result.raw = rounded({"hello_rps_mean": hello_rps, "ratios": ratios, "us_per_request": per_request_us,
                          "runs": runs}, 3)
    return result
