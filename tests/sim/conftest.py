"""Fixtures for the simulator tests: a private adb server per session, farm factories per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tikmatrixd.sim.testing import AdbServer, SimFarm


@pytest.fixture(scope="session")
def adb_server() -> Iterator[AdbServer]:
    server = AdbServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def adb_server_factory(adb_servers: Callable[[], AdbServer]) -> Callable[[], AdbServer]:
    """Fresh servers for scenarios that must not share one (big connect waves)."""
    return adb_servers


@pytest.fixture
def farm_factory(adb_server: AdbServer, farms: Callable[..., Any]) -> Callable[..., Any]:
    """``farm = await farm_factory(n, **kw)``: started and connected; stopped after the test."""

    async def make(n: int = 1, *, server: AdbServer | None = None, **kwargs: Any) -> SimFarm:
        return await farms(n, server or adb_server, **kwargs)

    return make


@pytest.fixture
async def device(farm_factory: Callable[..., Any]) -> Any:
    farm = await farm_factory(1)
    return farm[0]
