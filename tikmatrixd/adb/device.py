"""Device calls (shell, push) spoken natively to the adb server on asyncio.

Each call opens one connection to the adb server, switches it to the
device (``host:transport:SERIAL``) and opens one service on it: no thread,
no second connection, no sleep. A call has a timeout, and a timeout or a
cancellation (a stopped task) closes its connection at once, so a stopped
task never keeps the device busy. adbutils, which the design card named,
blocks a thread per call and needed private overrides to avoid its costs
(notes/adb-wire.md: 20.8 ms per shell instead of 0.26 ms); the tests still
use it as an independent client of the simulator.

Every call is counted in the calling task's :data:`calls` counter (the
worker sets one per task run), so scripts report their adb cost.

Protocols (AOSP ``SERVICES.TXT``, ``SYNC.TXT``; notes/adb-wire.md):

- shell v2: ``shell,v2,raw:CMD``, then packets ``[id u8][len u32 LE][data]``:
  1 stdout, 2 stderr, 3 exit status (one byte);
- sync push: ``sync:``, then ``SEND`` "path,mode", ``DATA`` chunks of at most
  64 KiB, ``DONE`` mtime; the answer is ``OKAY`` or ``FAIL`` + message; ``QUIT``.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import shlex
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from tikmatrixd.adb.host import close, split_address

T = TypeVar("T")

#: adb calls made by the current task run, by kind ("shell", "push", ...).
calls: contextvars.ContextVar[collections.Counter[str] | None] = contextvars.ContextVar("adb_calls", default=None)

_SHELL_V2_STDOUT, _SHELL_V2_STDERR, _SHELL_V2_EXIT = 1, 2, 3
_SYNC_CHUNK = 64 * 1024
#: Local file reads per thread hop while pushing (16 sync chunks).
_READ_BLOCK = 16 * _SYNC_CHUNK
_PUSH_MODE = 0o100644  # a regular file, rw-r--r--
#: Answers of the adb server meaning the device is not reachable (any more).
_GONE_MARKERS = ("not found", "offline", "no devices", "unauthorized", "closed", "connection reset")


class AdbError(Exception):
    """An adb call failed."""


class DeviceGone(AdbError):
    """The device (or its adb server) is not reachable: the task cannot go on on it."""


class AdbTimeout(AdbError):
    """The device did not answer within the call's timeout."""


@dataclass(frozen=True)
class ShellResult:
    out: bytes
    err: bytes
    code: int

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")


class Adb:
    """The daemon's adb client: hands out one :class:`DeviceAdb` per device."""

    def __init__(self, call_timeout: float) -> None:
        self.call_timeout = call_timeout

    def device(self, server: str, serial: str) -> DeviceAdb:
        return DeviceAdb(self, serial, server)

    async def run(self, kind: str, call: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
        """Count and run one call within its timeout, with errors as :class:`AdbError` kinds."""
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # A cancel that an await swallowed (3.11's wait_for can) still stops the script here.
            raise asyncio.CancelledError()
        counter = calls.get()
        if counter is not None:
            counter[kind] += 1
        limit = timeout or self.call_timeout
        try:
            async with asyncio.timeout(limit):
                return await call()
        except TimeoutError:
            raise AdbTimeout(f"adb {kind} timed out after {limit:g} s") from None
        except ValueError:
            raise AdbError(f"adb {kind}: the adb server's answer is not the adb protocol") from None
        except asyncio.IncompleteReadError:
            raise DeviceGone(f"adb {kind}: the connection closed before the answer ended") from None
        except OSError as error:
            raise DeviceGone(f"adb {kind}: {error.strerror or error}") from None


class DeviceAdb:
    """One device on one adb server. Arguments are quoted here, never by callers."""

    def __init__(self, adb: Adb, serial: str, server: str) -> None:
        self._adb = adb
        self.server = server
        self.serial = serial

    async def shell(self, argv: Sequence[str], *, timeout: float | None = None) -> ShellResult:
        """Run one command; each argument reaches the program verbatim (shlex-quoted)."""
        return await self.shell_script(shlex.join(argv), timeout=timeout)

    async def shell_script(self, script: str, *, timeout: float | None = None) -> ShellResult:
        """Run a device shell line built by the caller from :func:`shlex.join`-quoted parts,
        e.g. several commands joined by ``;`` to save round trips."""
        return await self._adb.run("shell", lambda: self._shell_v2(script), timeout)

    async def installed(self, package: str) -> bool:
        result = await self.shell(["pm", "path", package])
        return result.code == 0 and "package:" in result.text

    async def push(self, local_path: str, remote_path: str, *, timeout: float | None = None) -> None:
        """Copy a local file to the device (adbd creates missing parent directories)."""
        await self._adb.run("push", lambda: self._push(local_path, remote_path), timeout)

    async def _shell_v2(self, script: str) -> ShellResult:
        async with self._service(f"shell,v2,raw:{script}") as (reader, _):
            streams: dict[int, bytearray] = {_SHELL_V2_STDOUT: bytearray(), _SHELL_V2_STDERR: bytearray()}
            while True:
                kind, length = struct.unpack("<BI", await reader.readexactly(5))
                data = await reader.readexactly(length) if length else b""
                if kind == _SHELL_V2_EXIT:
                    return ShellResult(bytes(streams[1]), bytes(streams[2]), data[0] if data else 0)
                if kind in streams:
                    streams[kind] += data

    async def _push(self, local_path: str, remote_path: str) -> None:
        handle = await _local(f"cannot read {local_path}", lambda: open(local_path, "rb"))  # noqa: SIM115
        try:
            async with self._service("sync:") as (reader, writer):
                header = f"{remote_path},{_PUSH_MODE}".encode()
                writer.write(b"SEND" + struct.pack("<I", len(header)) + header)
                while block := await _local(f"cannot read {local_path}", lambda: handle.read(_READ_BLOCK)):
                    for start in range(0, len(block), _SYNC_CHUNK):
                        chunk = block[start:start + _SYNC_CHUNK]
                        writer.write(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
                    await writer.drain()
                writer.write(b"DONE" + struct.pack("<I", int(time.time())))
                await writer.drain()
                status, length = struct.unpack("<4sI", await reader.readexactly(8))
                if status != b"OKAY":
                    message = (await reader.readexactly(length)).decode("utf-8", "replace")
                    raise AdbError(f"push to {remote_path}: {message}")
                writer.write(b"QUIT" + struct.pack("<I", 0))
        finally:
            await asyncio.to_thread(handle.close)

    @asynccontextmanager
    async def _service(self, service: str) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
        """A connection to ``service`` on this device, closed when the block ends, however it ends."""
        host, port = split_address(self.server)
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError as error:
            raise DeviceGone(f"adb server {self.server} unreachable: {error.strerror or error}") from None
        try:
            await _request(reader, writer, f"host:transport:{self.serial}", gone_on_fail=True)
            await _request(reader, writer, service, gone_on_fail=False)
            yield reader, writer
        finally:
            await close(writer)  # the socket is closed when the call returns, even a cancelled one


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, service: str, *,
                   gone_on_fail: bool) -> None:
    payload = service.encode()
    writer.write(f"{len(payload):04x}".encode() + payload)
    await writer.drain()
    status = await reader.readexactly(4)
    if status == b"OKAY":
        return
    if status != b"FAIL":
        raise AdbError(f"adb server answered {status!r} to {service.split(':')[0]}")
    length = int(await reader.readexactly(4), 16)
    message = (await reader.readexactly(length)).decode("utf-8", "replace")
    if gone_on_fail or any(marker in message.lower() for marker in _GONE_MARKERS):
        raise DeviceGone(message)
    raise AdbError(message)


async def _local(what: str, call: Callable[[], T]) -> T:
    """A local file operation off the loop; its failure is the call's error, not a gone device."""
    try:
        return await asyncio.to_thread(call)
    except OSError as error:
        raise AdbError(f"{what}: {error.strerror or error}") from None
