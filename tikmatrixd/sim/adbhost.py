"""Host-service helpers for the simulator and its tests, on top of :mod:`tikmatrixd.adb.host`.

Registers hundreds of simulated devices at once without spawning an ``adb``
process per device.
"""

from __future__ import annotations

import asyncio

from tikmatrixd.adb import host
from tikmatrixd.adb.host import AdbHostError, connect, disconnect

__all__ = ["AdbHostError", "connect", "disconnect", "devices", "wait_for_state"]


async def devices(server: str) -> dict[str, str]:
    """serial -> state ("device", "offline", "unauthorized", ...)."""
    return {serial: seen.state for serial, seen in (await host.devices(server)).items()}


async def wait_for_state(server: str, serials: list[str], state: str = "device", *, timeout: float = 20.0) -> None:
    """Poll ``devices-l`` until every serial is in ``state`` (or gone when state is "absent")."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        current = await devices(server)
        if state == "absent":
            pending = [s for s in serials if s in current]
        else:
            pending = [s for s in serials if current.get(s) != state]
        if not pending:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{len(pending)} device(s) not {state}: {pending[:5]} ({current})")
        await asyncio.sleep(0.05)
