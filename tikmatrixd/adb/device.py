"""Async façade over adbutils: every device call in one bounded thread pool, with a timeout.

adbutils is synchronous, so each call runs on a pool thread and the event
loop only awaits it. Three things adbutils does by default are wrong for a
daemon and are turned off in :class:`_Client` / :class:`_Connection`:

- it runs ``adb start-server`` when it cannot reach a server (on a remote
  host's address that would start a stray local server);
- its connection close sleeps 10 ms, and its transport open asks the server
  version on a second connection each time (notes/adb-wire.md: 20.8 ms per
  shell instead of 0.26 ms);
- a blocked socket read cannot be interrupted. Here every connection a call
  opens is registered with the call, and a timeout or a cancellation shuts
  those sockets down, so the pool thread is freed at once and a stopped
  task does not keep the device busy.

Every call is counted in the calling task's :data:`calls` counter (the
worker sets one per task run), so scripts report their adb cost.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import shlex
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import adbutils
from adbutils import AdbConnection
from adbutils.errors import AdbConnectionError

from tikmatrixd.adb.host import split_address

T = TypeVar("T")

#: adb calls made by the current task run, by kind ("shell", "push", ...).
calls: contextvars.ContextVar[collections.Counter[str] | None] = contextvars.ContextVar("adb_calls", default=None)

_SHELL_V2_EXIT = 3
#: Answers of the adb server meaning the device is not reachable (any more).
#: ("Unknown data: b''" is adbutils reading a connection the server closed.)
_GONE_MARKERS = ("not found", "offline", "no devices", "unauthorized", "closed", "connection reset",
                 "unknown data: b''")


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


class _Call:
    """The connections one pool call opened, so that the loop side can abort them."""

    _local = threading.local()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.aborted = False

    @classmethod
    def current(cls) -> _Call | None:
        return getattr(cls._local, "call", None)

    def run(self, fn: Callable[[], T]) -> T:
        _Call._local.call = self
        try:
            return fn()
        finally:
            _Call._local.call = None

    def register(self, sock: socket.socket) -> None:
        with self._lock:
            if self.aborted:
                sock.close()
                raise AdbError("call aborted")
            self._sockets.append(sock)

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _Connection(AdbConnection):
    def _safe_connect(self) -> socket.socket:
        sock: socket.socket = self._create_socket()  # never `adb start-server`
        call = _Call.current()
        if call is not None:
            call.register(sock)
        return sock

    def close(self) -> None:
        if not self.closed:
            self.conn.close()  # no shutdown-and-sleep: the stream is finished when we close
            self._AdbConnection__conn = None


class _Client(adbutils.AdbClient):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(host=host, port=port)
        self._version: int | None = None

    def make_connection(self, timeout: float | None = None) -> AdbConnection:
        try:
            connection = _Connection(self.host, self.port)
        except (adbutils.AdbTimeout, AdbConnectionError) as error:
            raise DeviceGone(f"adb server {self.host}:{self.port} unreachable: {error}") from None
        if timeout:
            connection.conn.settimeout(timeout)
        return connection

    def server_version(self) -> int:
        if self._version is None:
            self._version = super().server_version()
        return self._version


class AdbPool:
    """The one bounded thread pool all blocking adb calls run in."""

    def __init__(self, threads: int, call_timeout: float) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="adb")
        self._clients: dict[str, _Client] = {}
        self.call_timeout = call_timeout

    def device(self, server: str, serial: str) -> DeviceAdb:
        client = self._clients.get(server)
        if client is None:
            client = self._clients[server] = _Client(*split_address(server))
        return DeviceAdb(self, client, serial, server)

    async def run(self, kind: str, fn: Callable[[], T], timeout: float | None = None) -> T:
        """Run ``fn`` on a pool thread; abort its sockets on timeout or cancellation."""
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # A cancel that an await swallowed (3.11's wait_for can) still stops the script here.
            raise asyncio.CancelledError()
        counter = calls.get()
        if counter is not None:
            counter[kind] += 1
        call = _Call()
        limit = timeout or self.call_timeout
        future = asyncio.get_running_loop().run_in_executor(self._executor, call.run, fn)
        try:
            async with asyncio.timeout(limit):
                return await future
        except TimeoutError:
            call.abort()
            raise AdbTimeout(f"adb {kind} timed out after {limit:g} s") from None
        except asyncio.CancelledError:
            call.abort()
            raise
        except DeviceGone:
            raise
        except (adbutils.AdbError, EOFError, OSError) as error:
            if call.aborted:
                raise AdbTimeout(f"adb {kind} aborted") from None
            message = str(error) or type(error).__name__
            if isinstance(error, (EOFError, OSError)) or any(m in message.lower() for m in _GONE_MARKERS):
                raise DeviceGone(message) from None
            raise AdbError(message) from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class DeviceAdb:
    """One device on one adb server. Arguments are quoted here, never by callers."""

    def __init__(self, pool: AdbPool, client: _Client, serial: str, server: str) -> None:
        self._pool = pool
        self._client = client
        self._device = client.device(serial)
        self.server = server
        self.serial = serial

    async def shell(self, argv: Sequence[str], *, timeout: float | None = None) -> ShellResult:
        """Run one command; each argument reaches the program verbatim (shlex-quoted)."""
        return await self.shell_script(shlex.join(argv), timeout=timeout)

    async def shell_script(self, script: str, *, timeout: float | None = None) -> ShellResult:
        """Run a device shell line built by the caller from :func:`shlex.join`-quoted parts,
        e.g. several commands joined by ``;`` to save round trips."""
        return await self._pool.run("shell", lambda: self._shell_v2(script), timeout)

    async def installed(self, package: str) -> bool:
        result = await self.shell(["pm", "path", package])
        return result.code == 0 and "package:" in result.text

    async def push(self, local_path: str, remote_path: str, *, timeout: float | None = None) -> None:
        await self._pool.run("push", lambda: self._device.sync.push(local_path, remote_path), timeout)

    async def pull(self, remote_path: str, *, timeout: float | None = None) -> bytes:
        return await self._pool.run("pull", lambda: self._device.sync.read_bytes(remote_path), timeout)

    def _shell_v2(self, script: str) -> ShellResult:
        connection = self._client.make_connection()
        try:
            connection.send_command(f"host:transport:{self.serial}")
            connection.check_okay()
            connection.send_command(f"shell,v2,raw:{script}")
            connection.check_okay()
            streams: dict[int, bytearray] = {1: bytearray(), 2: bytearray()}
            while True:
                kind, length = struct.unpack("<BI", connection.read_exact(5))
                data = connection.read_exact(length) if length else b""
                if kind == _SHELL_V2_EXIT:
                    return ShellResult(bytes(streams[1]), bytes(streams[2]), data[0] if data else 0)
                if kind in streams:
                    streams[kind] += data
        finally:
            connection.close()
