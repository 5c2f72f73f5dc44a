"""sd_notify without a dependency: READY, STOPPING and watchdog pings.

The watchdog pings come from the event loop itself, so a hung loop stops
them and systemd restarts us (a thread would keep pinging).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator

from aiohttp import web


def notify(message: str) -> bool:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(message.encode(), address)
        except OSError:
            return False
    return True


def watchdog_interval() -> float | None:
    """Half of WATCHDOG_USEC, when systemd asked us (this pid) for pings."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and int(pid) != os.getpid()):
        return None
    return int(usec) / 2_000_000


async def watchdog_ctx(app: web.Application) -> AsyncIterator[None]:
    interval = watchdog_interval()
    task = asyncio.create_task(_ping(interval)) if interval else None
    yield
    if task:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _ping(interval: float) -> None:
    while True:
        notify("WATCHDOG=1")
        await asyncio.sleep(interval)
