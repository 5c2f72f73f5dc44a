"""Fixtures for the simulator tests: a private adb server per session, farm factories per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
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
def adb_server_factory() -> Iterator[Callable[[], AdbServer]]:
    """Fresh servers for scenarios that must not share one (big connect waves)."""
    started: list[AdbServer] = []

    def make() -> AdbServer:
        server = AdbServer.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
async def farm_factory(adb_server: AdbServer) -> AsyncIterator[Callable[..., Any]]:
    """``farm = await farm_factory(n, **kw)``: started and connected; stopped after the test."""
    farms: list[SimFarm] = []

    async def make(n: int = 1, *, server: AdbServer | None = None, **kwargs: Any) -> SimFarm:
        farm = SimFarm(n, adb_server=server or adb_server, **kwargs)
        await farm.__aenter__()
        farms.append(farm)
        return farm

    yield make
    for farm in farms:
        await farm.__aexit__(None, None, None)


@pytest.fixture
async def device(farm_factory: Callable[..., Any]) -> Any:
    farm = await farm_factory(1)
    return farm[0]
