"""End-to-end fixtures: the real daemon app, a real private adb server, simulated phones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tikmatrixd.app import create_app
from tikmatrixd.sim.testing import AdbServer, SimFarm
from tests.e2e import runners as test_runners


@pytest.fixture
def daemon(aiohttp_client: Callable[..., Any], make_config: Callable[..., Any], tmp_path: Any) -> Callable[..., Any]:
    """``await daemon(servers, **sections)`` → a client of the real app (runtime on), and
    its test script as ``client.script``. Real clock: tasks run in real time."""

    async def make(servers: list[AdbServer], *, clock: Callable[[], float] = time.time,
                   **sections: dict[str, Any]) -> TestClient:
        adb = {"servers": tuple(s.address for s in servers), "probe_timeout": 5.0, **sections.pop("adb", {})}
        config = make_config(adb=adb, **sections)
        scripts = test_runners.runners()
        client = await aiohttp_client(create_app(config, clock=clock, runners=scripts))
        client.script = scripts["follow"]
        return client

    return make


@pytest.fixture
def phones(adb_servers: Callable[[], AdbServer], farms: Callable[..., Any],
           daemon: Callable[..., Any]) -> Callable[..., Any]:
    """``farm, client = await phones(n, keep_connected=False, **sections)``: fresh adb
    server, n phones, the daemon following it, every phone online with a healthy worker."""

    async def make(n: int = 1, *, keep_connected: bool = False,
                   **sections: dict[str, Any]) -> tuple[SimFarm, TestClient]:
        server = adb_servers()
        farm = await farms(n, server)
        if keep_connected:  # the daemon `adb connect`s them again when adb drops them
            sections["adb"] = {**sections.get("adb", {}), "connect": tuple(farm.serials)}
        client = await daemon([server], **sections)
        await wait_until(lambda: _all_healthy(client, farm.serials), timeout=60)
        return farm, client

    return make


async def _all_healthy(client: TestClient, serials: list[str]) -> bool:
    response = await client.get("/api/v1/devices")
    healthy = {d["serial"] for d in (await response.json())["data"]["devices"] if d["healthy"]}
    return set(serials) <= healthy


async def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll an async predicate (test side only: the daemon itself never polls)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s; last value {value!r}")
        await asyncio.sleep(interval)
