"""End-to-end fixtures: the real daemon app, a real private adb server, simulated phones."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.e2e import runners as test_runners
from tikmatrixd.app import create_app
from tikmatrixd.config import DeviceConfig
from tikmatrixd.sim.testing import AdbServer, SimFarm


@pytest.fixture
def daemon(aiohttp_client: Callable[..., Any], make_config: Callable[..., Any], tmp_path: Any) -> Callable[..., Any]:
    """``await daemon(servers, **sections)`` → a client of the real app (runtime on).

    ``real_scripts=False`` (default) runs the test-only script (``client.script``);
    True runs the real post/follow/unfollow. ``platforms`` declares devices'
    platforms ({serial: "instagram"}). Real clock: tasks run in real time."""

    async def make(servers: list[AdbServer], *, clock: Callable[[], float] = time.time, real_scripts: bool = False,
                   platforms: dict[str, str] | None = None, **sections: dict[str, Any]) -> TestClient:
        adb = {"servers": tuple(s.address for s in servers), "probe_timeout": 5.0, **sections.pop("adb", {})}
        config = make_config(adb=adb, **sections)
        if platforms:
            config = dataclasses.replace(config, devices=config.devices + tuple(
                DeviceConfig(serial=serial, platform=platform) for serial, platform in platforms.items()))
        scripts = None if real_scripts else test_runners.runners()
        client = await aiohttp_client(create_app(config, clock=clock, runners=scripts))
        client.script = scripts["follow"] if scripts else None
        return client

    return make


@pytest.fixture
def phones(adb_servers: Callable[[], AdbServer], farms: Callable[..., Any],
           daemon: Callable[..., Any]) -> Callable[..., Any]:
    """``farm, client = await phones(n, keep_connected=False, platform="tiktok", sim={...},
    real_scripts=False, **sections)``: fresh adb server, n phones (``sim``: SimFarm
    options), the daemon following it, every phone online with a healthy worker."""

    async def make(n: int = 1, *, keep_connected: bool = False, platform: str = "tiktok",
                   sim: dict[str, Any] | None = None, **sections: Any) -> tuple[SimFarm, TestClient]:
        server = adb_servers()
        farm = await farms(n, server, **(sim or {}))
        if keep_connected:  # the daemon `adb connect`s them again when adb drops them
            sections["adb"] = {**sections.get("adb", {}), "connect": tuple(farm.serials)}
        if platform != "tiktok":
            sections["platforms"] = {serial: platform for serial in farm.serials}
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
