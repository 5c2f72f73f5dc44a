"""End-to-end fixtures: the real daemon app, a real private adb server, simulated phones."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tikmatrixd.app import create_app
from tikmatrixd.sim.testing import AdbServer, SimFarm
from tests.e2e import runners as test_runners


@pytest.fixture
def adb_servers() -> Iterator[Callable[[], AdbServer]]:
    """``adb_servers()`` starts a fresh private adb server, stopped after the test."""
    started: list[AdbServer] = []

    def make() -> AdbServer:
        server = AdbServer.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
async def farms() -> AsyncIterator[Callable[..., Any]]:
    """``await farms(n, server, **kw)``: simulated phones connected to ``server``."""
    started: list[SimFarm] = []

    async def make(n: int, server: AdbServer, **kwargs: Any) -> SimFarm:
        farm = SimFarm(n, adb_server=server, **kwargs)
        await farm.__aenter__()
        started.append(farm)
        return farm

    yield make
    for farm in started:
        await farm.__aexit__(None, None, None)


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
