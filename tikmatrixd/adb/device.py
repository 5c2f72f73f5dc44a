"""Device calls (shell, push) spoken natively to the adb server on asyncio.

A call opens one connection to the adb server, switches it to the device
(``host:transport:SERIAL``) and opens one service on it: no thread, no
second connection, no sleep (a worker's shell calls share one: see below).
A call has a timeout, and a timeout or a cancellation (a stopped task)
closes its connection at once, so a stopped task never keeps the device
busy.

A shell call is an :class:`asyncio.Protocol` that answers the adb server
from its ``data_received``: the whole exchange costs the event loop the
connect and one wake-up, where streams cost one per read (a thousand-phone
farm's loop is busy, and every wake-up waits for its turn: notes in the
README's Performance section). adbutils, which the design card named,
blocks a thread per call and needed private overrides to avoid its costs
(notes/adb-wire.md: 20.8 ms per shell instead of 0.26 ms); the tests still
use it as an independent client of the simulator.

Within :meth:`DeviceAdb.session` (a worker holds one while it runs tasks), shell
calls go through one interactive shell kept open instead: each command is a
line on its stdin, followed on the same line by a marker that carries its
exit status (``; echo M$?; echo M >&2``), so a call costs one write and the
answer, where a connection per call costs a connect, two round trips to the
adb server for the device and the service, and a close. A call that fails or
is cancelled closes the session; the next call opens another. A call made
while the session runs another (a concurrent one) gets its own connection.
Commands of a session share its stdin: none of the daemon's reads stdin.

Every call is counted in the calling task's :data:`calls` counter (the
worker sets one per task run), so scripts report their adb cost.

Protocols (AOSP ``SERVICES.TXT``, ``SYNC.TXT``; notes/adb-wire.md):

- shell v2: ``shell,v2,raw:CMD``, then packets ``[id u8][len u32 LE][data]``:
  1 stdout, 2 stderr, 3 exit status (one byte); with no CMD an interactive
  shell, whose stdin the host writes as packets of id 0;
- sync push: ``sync:``, then ``SEND`` "path,mode", ``DATA`` chunks of at most
  64 KiB, ``DONE`` mtime; the answer is ``OKAY`` or ``FAIL`` + message; ``QUIT``.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import secrets
import shlex
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from tikmatrixd.adb.host import close, open_protocol, open_stream

T = TypeVar("T")
P = TypeVar("P", bound=asyncio.Protocol)

#: adb calls made by the current task run, by kind ("shell", "push", ...).
calls: contextvars.ContextVar[collections.Counter[str] | None] = contextvars.ContextVar("adb_calls", default=None)

_SHELL_V2_STDIN, _SHELL_V2_STDOUT, _SHELL_V2_STDERR, _SHELL_V2_EXIT = 0, 1, 2, 3
#: Bytes of stdin per packet: adbd's shell protocol buffer holds 4 KiB with the header.
_STDIN_PACKET = 4000
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
        self._in_session = False  # within session(): shell calls go through one kept-open shell
        self._session: _ShellSession | None = None  # opened at the first call
        self._session_busy = False

    @asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        """Shell calls within the block share one interactive shell (module docstring)."""
        self._in_session = True
        try:
            yield
        finally:
            self._in_session = False
            await self._close_session()

    async def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def shell(self, argv: Sequence[str], *, timeout: float | None = None) -> ShellResult:
        """Run one command; each argument reaches the program verbatim (shlex-quoted)."""
        return await self.shell_script(shlex.join(argv), timeout=timeout)

    async def shell_script(self, script: str, *, timeout: float | None = None) -> ShellResult:
        """Run a device shell line built by the caller from :func:`shlex.join`-quoted parts,
        e.g. several commands joined by ``;`` to save round trips."""
        return await self._adb.run("shell", lambda: self._shell(script), timeout)

    async def installed(self, package: str) -> bool:
        result = await self.shell(["pm", "path", package])
        return result.code == 0 and "package:" in result.text

    async def push(self, local_path: str, remote_path: str, *, timeout: float | None = None) -> None:
        """Copy a local file to the device (adbd creates missing parent directories)."""
        await self._adb.run("push", lambda: self._push(local_path, remote_path), timeout)

    async def _shell(self, script: str) -> ShellResult:
        if not self._in_session or self._session_busy:
            return await self._shell_v2(script)
        self._session_busy = True
        try:
            if self._session is not None and self._session.closed.done():
                self._session = None  # lost while idle (the phone or its adb server went away): nothing was sent
            if self._session is None:
                _, self._session = await _connect(self.server, lambda: _ShellSession(self.serial))
                await self._session.ready
            return await self._session.run(script)
        except BaseException:
            await self._close_session()  # a failed, timed-out or cancelled call leaves it in an unknown state
            raise
        finally:
            self._session_busy = False

    async def _shell_v2(self, script: str) -> ShellResult:
        transport, call = await _connect(self.server, lambda: _ShellCall(self.serial, script))
        try:
            result = await call.answer
        except BaseException:
            transport.close()
            await call.closed  # the socket is closed when the call returns, even a cancelled one
            raise
        transport.close()  # (the shell has exited: nothing is left to wait for)
        return result

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
        try:
            reader, writer = await open_stream(self.server)
        except OSError as error:
            raise DeviceGone(f"adb server {self.server} unreachable: {error.strerror or error}") from None
        try:
            await _request_on(reader, writer, f"host:transport:{self.serial}", gone_on_fail=True)
            await _request_on(reader, writer, service, gone_on_fail=False)
            yield reader, writer
        finally:
            await close(writer)  # the socket is closed when the call returns, even a cancelled one


class _ShellProtocol(asyncio.Protocol):
    """A ``shell,v2`` service on one connection to the adb server: asks for the device, then the
    service, then reads the output packets (:meth:`_read_packets`), all as the bytes arrive."""

    def __init__(self, serial: str, service: str) -> None:
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._services = [f"host:transport:{serial}", service]
        self._accepted = 0  # OKAYs received: 2 once the shell runs
        self._buffer = bytearray()
        self._streams = {_SHELL_V2_STDOUT: bytearray(), _SHELL_V2_STDERR: bytearray()}
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(_request(self._services[0]))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        try:
            while self._accepted < 2:
                if not _accepted(self._buffer, self._services[self._accepted], gone_on_fail=self._accepted == 0):
                    return  # the rest of the answer is still on its way
                self._accepted += 1
                if self._accepted == 1 and self._transport is not None:
                    self._transport.write(_request(self._services[1]))
                else:
                    self._started()
            self._read_packets()
        except (AdbError, ValueError) as error:
            self._fail(error)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or asyncio.IncompleteReadError(bytes(self._buffer), None))
        self.closed.set_result(None)

    def _started(self) -> None:
        """The adb server accepted the service: the shell runs."""

    def _read_packets(self) -> None:
        raise NotImplementedError

    def _fail(self, error: BaseException) -> None:
        raise NotImplementedError


class _ShellCall(_ShellProtocol):
    """One ``shell,v2`` call: the shell runs the script and exits with its status."""

    def __init__(self, serial: str, script: str) -> None:
        super().__init__(serial, f"shell,v2,raw:{script}")
        self.answer: asyncio.Future[ShellResult] = asyncio.get_running_loop().create_future()

    def _read_packets(self) -> None:
        """The output packets, until the exit status."""
        if self.answer.done():
            return
        for kind, data in _take_packets(self._buffer):
            if kind == _SHELL_V2_EXIT:
                out, err = self._streams.values()
                self.answer.set_result(ShellResult(bytes(out), bytes(err), data[0] if data else 0))
                return
            if kind in self._streams:
                self._streams[kind] += data

    def _fail(self, error: BaseException) -> None:
        if not self.answer.done():
            self.answer.set_exception(error)


class _ShellSession(_ShellProtocol):
    """An interactive ``shell,v2,raw:`` kept open, running one command at a time: the command
    line ends with ``; echo M$?; echo M >&2`` (M: a random marker), and its answer is what comes
    on stdout and stderr before the marker, with the status that follows it on stdout."""

    def __init__(self, serial: str) -> None:
        super().__init__(serial, "shell,v2,raw:")
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marker = b"TMX" + secrets.token_hex(12).encode()
        self._unsearched = {_SHELL_V2_STDOUT: 0, _SHELL_V2_STDERR: 0}  # where the marker may start
        self._answer: asyncio.Future[ShellResult] | None = None

    async def run(self, script: str) -> ShellResult:
        assert self._transport is not None and self._answer is None
        self._answer = asyncio.get_running_loop().create_future()
        body = script.rstrip().rstrip(";").rstrip() or ":"  # ("a;" then "; echo" would be a syntax error)
        line = f"{body}; echo {self._marker.decode()}$?; echo {self._marker.decode()} >&2\n".encode()
        for start in range(0, len(line), _STDIN_PACKET):
            chunk = line[start:start + _STDIN_PACKET]
            self._transport.write(struct.pack("<BI", _SHELL_V2_STDIN, len(chunk)) + chunk)
        try:
            return await self._answer
        finally:
            self._answer = None

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            await self.closed

    def _started(self) -> None:
        if not self.ready.done():  # (cancelled with the call that waited for it)
            self.ready.set_result(None)

    def _read_packets(self) -> None:
        for kind, data in _take_packets(self._buffer):
            if kind == _SHELL_V2_EXIT:  # the shell itself ended: a command sh could not parse exits it
                said = bytes(self._streams[_SHELL_V2_STDERR][-300:]).decode("utf-8", "replace").strip()
                raise AdbError(f"the device's shell ended: {said or 'no message'}")
            if kind in self._streams:
                self._streams[kind] += data
        self._answer_if_done()

    def _find_marker(self, kind: int) -> int:
        """Where the marker starts in that stream, or -1; a 100 kB dump is not searched again
        for every packet that adds to it."""
        stream = self._streams[kind]
        at = stream.find(self._marker, self._unsearched[kind])
        if at < 0:
            self._unsearched[kind] = max(0, len(stream) - len(self._marker))
        return at

    def _answer_if_done(self) -> None:
        out, err = self._streams[_SHELL_V2_STDOUT], self._streams[_SHELL_V2_STDERR]
        at_out, at_err = self._find_marker(_SHELL_V2_STDOUT), self._find_marker(_SHELL_V2_STDERR)
        if at_out < 0 or at_err < 0:
            return
        status_end = out.find(b"\n", at_out)
        if status_end < 0 or len(err) <= at_err + len(self._marker):
            return
        if err[at_err + len(self._marker)] != ord("\n"):
            raise ValueError("the marker on stderr is not a line of its own")
        code = int(out[at_out + len(self._marker):status_end])
        result = ShellResult(bytes(out[:at_out]), bytes(err[:at_err]), code)
        del out[:status_end + 1], err[:at_err + len(self._marker) + 1]
        self._unsearched = {_SHELL_V2_STDOUT: 0, _SHELL_V2_STDERR: 0}
        if self._answer is None or self._answer.done():
            raise AdbError("the device's shell answered a command nobody sent")
        self._answer.set_result(result)

    def _fail(self, error: BaseException) -> None:
        for future in (self.ready, self._answer):
            if future is not None and not future.done():
                future.set_exception(error)
        if self._transport is not None:
            self._transport.close()


async def _connect(server: str, protocol: Callable[[], P]) -> tuple[asyncio.Transport, P]:
    """A connection to the adb server driven by ``protocol``; unreachable means the device is gone."""
    try:
        return await open_protocol(server, protocol)
    except OSError as error:
        raise DeviceGone(f"adb server {server} unreachable: {error.strerror or error}") from None


def _take_packets(buffer: bytearray) -> list[tuple[int, bytearray]]:
    """The whole shell v2 packets at the start of ``buffer`` (``[id u8][len u32 LE][data]``), as
    (id, data), taken off it; a packet not all there yet stays."""
    packets, start = [], 0
    while len(buffer) - start >= 5:
        kind, length = struct.unpack_from("<BI", buffer, start)
        end = start + 5 + length
        if len(buffer) < end:
            break
        packets.append((kind, buffer[start + 5:end]))
        start = end
    del buffer[:start]
    return packets


def _request(service: str) -> bytes:
    payload = service.encode()
    return f"{len(payload):04x}".encode() + payload


def _accepted(buffer: bytearray, service: str, *, gone_on_fail: bool) -> bool:
    """Take the adb server's answer to ``service`` off ``buffer``: True for OKAY, False while it
    is incomplete; FAIL raises its message (:class:`DeviceGone` when it means the device is gone)."""
    if len(buffer) < 4:
        return False
    status = bytes(buffer[:4])
    if status == b"OKAY":
        del buffer[:4]
        return True
    if status != b"FAIL":
        raise AdbError(f"adb server answered {status!r} to {service.split(':')[0]}")
    if len(buffer) < 8 or len(buffer) < 8 + int(buffer[4:8], 16):
        return False
    message = buffer[8:8 + int(buffer[4:8], 16)].decode("utf-8", "replace")
    if gone_on_fail or any(marker in message.lower() for marker in _GONE_MARKERS):
        raise DeviceGone(message)
    raise AdbError(message)


async def _request_on(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, service: str, *,
                      gone_on_fail: bool) -> None:
    """``service`` on a stream connection (push's): the same answers as :func:`_accepted` reads."""
    writer.write(_request(service))
    await writer.drain()
    answer = bytearray(await reader.readexactly(4))
    if answer == b"FAIL":
        answer += await reader.readexactly(4)
        answer += await reader.readexactly(int(answer[4:8], 16))
    _accepted(answer, service, gone_on_fail=gone_on_fail)


async def _local(what: str, call: Callable[[], T]) -> T:
    """A local file operation off the loop; its failure is the call's error, not a gone device."""
    try:
        return await asyncio.to_thread(call)
    except OSError as error:
        raise AdbError(f"{what}: {error.strerror or error}") from None
