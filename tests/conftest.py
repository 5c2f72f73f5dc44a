"""Fixtures shared by every suite: configs, a controllable clock, API clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient

from tikmatrixd import config as config_module
from tikmatrixd.app import create_app
from tikmatrixd.runtime.dispatcher import NullDispatcher
from tikmatrixd.sim.testing import AdbServer, SimFarm

TZ = "Europe/Paris"
MP4_HEAD = bytes.fromhex("0000001c667479706d703432000000006d7034326d70343169736f6d000000086d646174")
JPEG_HEAD = b"\xff\xd8\xff\xe0"
SERIALS = ("R58M0001", "R58M0002", "R58M0003")


class Clock:
    """Time the app sees; tests move it by hand."""

    def __init__(self, moment: datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 24, 14, 30, 40, tzinfo=ZoneInfo(TZ)))


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    for name in ("a.mp4", "b.mp4", "c.mp4", "d.jpg", "e.jpg", "f.jpg"):  # real headers: the library sniffs them
        head = MP4_HEAD if name.endswith(".mp4") else JPEG_HEAD
        (root / name).write_bytes(head + b"media " + name.encode())
    return root


@pytest.fixture
def make_config(tmp_path: Path, media_root: Path) -> Callable[..., config_module.Config]:
    """A config with three declared devices; keyword sections override it."""

    def make(**sections: dict[str, Any]) -> config_module.Config:
        path = tmp_path / "tikmatrixd.toml"
        lines = [
            f'[store]\npath = "{tmp_path / "tasks.db"}"',
            f'[schedule]\ntimezone = "{TZ}"',
            f'[media]\nroots = ["{media_root}"]',
        ]
        for serial in SERIALS:
            lines.append(f'[[devices]]\nserial = "{serial}"\nname = "slot-{serial[-1]}"')
        path.write_text("\n".join(lines) + "\n")
        return config_module.load(str(path), sections)  # sections as a config file would write them

    return make


@pytest.fixture
def api(aiohttp_client: Any, make_config: Callable[..., config_module.Config],
        clock: Clock) -> Callable[..., Awaitable[TestClient]]:
    """Factory: an API client over the real app factory with a given config."""

    async def make(dispatcher: Any = None, **sections: dict[str, Any]) -> TestClient:
        return await aiohttp_client(create_app(make_config(**sections), clock=clock,
                                                 dispatcher=dispatcher or NullDispatcher()))

    return make


@pytest.fixture
async def client(api: Callable[..., Awaitable[TestClient]]) -> TestClient:
    return await api()


@pytest.fixture
def adb_servers() -> Iterator[Callable[[], AdbServer]]:
    """``adb_servers(unix=False)`` starts a fresh private adb server, stopped after the test."""
    started: list[AdbServer] = []

    def make(*, unix: bool = False) -> AdbServer:
        server = AdbServer.start(unix=unix)
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
