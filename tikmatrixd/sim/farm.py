"""A farm of simulated phones in one event loop, optionally registered with an adb server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from tikmatrixd.sim import adbhost
from tikmatrixd.sim.device import SimDevice

#: Ports 5555-5585 are probed by the adb server for emulators: never hand them out.
EMULATOR_PORTS = range(5555, 5586)


class Farm:
    """N devices. ``base_port=None`` lets the OS pick free ports (tests); the CLI passes 7100."""

    def __init__(self, n: int, *, base_port: int | None = None, host: str = "127.0.0.1", seed: int = 0,
                 language: str = "en", languages: list[str] | None = None, realistic: bool = False,
                 accounts_per_app: int = 3, versions: dict[str, str] | None = None) -> None:
        self.devices: list[SimDevice] = []
        for i in range(n):
            port = 0 if base_port is None else base_port + i
            if port in EMULATOR_PORTS:
                raise ValueError(f"port {port} is in the adb emulator range 5555-5585")
            lang = languages[i % len(languages)] if languages else language
            self.devices.append(SimDevice(index=i, port=port, host=host, seed=seed * 100003 + i, language=lang,
                                          realistic=realistic, accounts_per_app=accounts_per_app,
                                          versions=versions))
        self.adb_server: str | None = None

    def __len__(self) -> int:
        return len(self.devices)

    def __iter__(self) -> Iterator[SimDevice]:
        return iter(self.devices)

    def __getitem__(self, key: int | str) -> SimDevice:
        if isinstance(key, int):
            return self.devices[key]
        for dev in self.devices:
            if key in (dev.serial, dev.name, str(dev.port)):
                return dev
        raise KeyError(key)

    @property
    def serials(self) -> list[str]:
        return [d.serial for d in self.devices]

    async def start(self) -> None:
        await asyncio.gather(*(d.start() for d in self.devices))

    async def connect(self, adb_server: str, *, wait: bool = True, timeout: float = 30.0) -> None:
        """``adb connect`` every device through the server's host service, then wait for `device`."""
        self.adb_server = adb_server
        await asyncio.gather(*(_connect(adb_server, d.serial) for d in self.devices))
        if wait:
            await adbhost.wait_for_state(adb_server, self.serials, "device", timeout=timeout)

    async def disconnect(self) -> None:
        if self.adb_server is None:
            return
        server, self.adb_server = self.adb_server, None
        results = await asyncio.gather(*(adbhost.disconnect(server, d.serial) for d in self.devices),
                                       return_exceptions=True)
        del results  # a server that already dropped a device answers an error: nothing to undo

    async def stop(self) -> None:
        await self.disconnect()
        await asyncio.gather(*(d.stop() for d in self.devices))


async def _connect(adb_server: str, serial: str, attempts: int = 3) -> None:
    """``adb connect``, again when the server drops the request: Debian's 29.0.6 server now and
    then closes one of a wave of hundreds of simultaneous connects unanswered (notes/adb-wire.md)."""
    for attempt in range(attempts):
        try:
            await adbhost.connect(adb_server, serial)
            return
        except adbhost.AdbHostError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
