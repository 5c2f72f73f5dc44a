"""Async client for the adb server's host services (connect, disconnect, devices-l).

Used to register hundreds of simulated devices at once without spawning an
``adb`` process per device (adbutils would need a thread per call).
"""

from __future__ import annotations

import asyncio

#: adb's own `adb connect` waits up to 10 s for a CNXN; a little more covers a busy server.
CONNECT_TIMEOUT = 15.0


class AdbHostError(Exception):
    pass


async def host_request(host: str, port: int, request: str, *, timeout: float = CONNECT_TIMEOUT) -> str:
    async def _do() -> str:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            payload = request.encode()
            writer.write(f"{len(payload):04x}".encode() + payload)
            await writer.drain()
            status = await reader.readexactly(4)
            length_text = await reader.readexactly(4)
            message = (await reader.readexactly(int(length_text, 16))).decode("utf-8", "replace")
            if status != b"OKAY":
                raise AdbHostError(f"{request}: {message}")
            return message
        finally:
            writer.close()

    return await asyncio.wait_for(_do(), timeout)


def split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


async def connect(server: str, serial: str) -> str:
    host, port = split(server)
    return await host_request(host, port, f"host:connect:{serial}")


async def disconnect(server: str, serial: str) -> str:
    host, port = split(server)
    return await host_request(host, port, f"host:disconnect:{serial}")


async def devices(server: str) -> dict[str, str]:
    """serial -> state ("device", "offline", "unauthorized", ...)."""
    host, port = split(server)
    text = await host_request(host, port, "host:devices-l", timeout=10.0)
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0]] = parts[1]
    return out


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
