"""Device side of the ADB transport: messages, the CNXN/AUTH handshake and streams.

Follows ``shared/notes/adb-wire.md`` (measured against Debian's adb 29.0.6):
checksums are sent as a plain byte sum, one WRTE in flight per stream and
direction, and no WRTE larger than min(host maxdata, our maxdata).
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import Awaitable, Callable
from typing import Any

A_SYNC = 0x434E5953
A_CNXN = 0x4E584E43
A_AUTH = 0x48545541
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_CLSE = 0x45534C43
A_WRTE = 0x45545257

VERSION = 0x01000001
#: What we announce; the host announces 1 MiB and the smaller one wins.
MAXDATA = 256 * 1024
AUTH_TOKEN, AUTH_SIGNATURE, AUTH_RSAPUBLICKEY = 1, 2, 3

_HEADER = struct.Struct("<6I")


def pack(command: int, arg0: int, arg1: int, data: bytes = b"", *, checksum: bool = True) -> bytes:
    """One message; without ``checksum`` its data checksum is 0, as adbd sends it to a host that
    speaks version 0x01000001 (which no longer checks it; summing a 100 kB dump byte by byte in
    Python was a tenth of a farm process's CPU)."""
    check = sum(data) & 0xFFFFFFFF if checksum else 0
    return _HEADER.pack(command, arg0, arg1, len(data), check, command ^ 0xFFFFFFFF) + data


class TransportClosed(Exception):
    """The TCP connection to the adb server went away."""


class Stream:
    """One OPENed service: a byte stream in each direction with ADB flow control."""

    def __init__(self, conn: Connection, local_id: int, remote_id: int) -> None:
        self.conn = conn
        self.local_id = local_id
        self.remote_id = remote_id
        self._inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._buffer = bytearray()
        self._can_send = asyncio.Event()
        self._can_send.set()
        self.closed = False

    # -- host → device -------------------------------------------------------
    def _deliver(self, data: bytes) -> None:
        self._inbox.put_nowait(data)

    def _remote_closed(self) -> None:
        self.closed = True
        self._inbox.put_nowait(b"")
        self._can_send.set()

    async def read_some(self) -> bytes:
        """Next chunk the host wrote; b"" once the stream is closed."""
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        if self.closed and self._inbox.empty():
            return b""
        data = await self._inbox.get()
        if not data:
            self._inbox.put_nowait(b"")  # keep EOF sticky for later readers
        return data

    async def read_exactly(self, n: int) -> bytes:
        """WRTE boundaries are arbitrary, so services read the stream as bytes."""
        while len(self._buffer) < n:
            if self.closed and self._inbox.empty():
                raise TransportClosed("stream closed")
            data = await self._inbox.get()
            if not data:
                self._inbox.put_nowait(b"")
                raise TransportClosed("stream closed")
            self._buffer += data
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out

    # -- device → host -------------------------------------------------------
    async def write(self, data: bytes) -> None:
        limit = self.conn.max_payload
        view = memoryview(data)
        for start in range(0, len(data), limit):
            await self._can_send.wait()
            if self.closed:
                raise TransportClosed("stream closed by host")
            self._can_send.clear()
            await self.conn.send(A_WRTE, self.local_id, self.remote_id, bytes(view[start:start + limit]))

    def _okay(self) -> None:
        self._can_send.set()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.conn.streams.pop(self.local_id, None)
            try:
                await self.conn.send(A_CLSE, self.local_id, self.remote_id)
            except TransportClosed:
                pass


ServiceHandler = Callable[[Stream, str], Awaitable[None]]


class Connection:
    """One TCP connection from the adb server, i.e. one transport.

    ``open_service(service)`` returns a coroutine factory for known services
    or None, in which case the OPEN is refused with CLSE as adbd does.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        banner: Callable[[], bytes],
        open_service: Callable[[str], ServiceHandler | None],
        unauthorized: Callable[[], bool],
        answering: Callable[[], bool],
    ) -> None:
        self.reader = reader
        self.writer = writer
        self._banner = banner
        self._open_service = open_service
        self._unauthorized = unauthorized
        self._answering = answering
        self.streams: dict[int, Stream] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self.host_maxdata = MAXDATA
        self.host_checks_data = True  # until the host's CNXN says its version
        self.online = False
        self._next_id = 1
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def max_payload(self) -> int:
        return min(self.host_maxdata, MAXDATA)

    async def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        if self._closed:
            raise TransportClosed("connection closed")
        async with self._lock:
            try:
                self.writer.write(pack(command, arg0, arg1, data, checksum=self.host_checks_data))
                await self.writer.drain()
            except (ConnectionError, RuntimeError) as exc:
                self._closed = True
                raise TransportClosed(str(exc)) from exc

    async def serve(self) -> None:
        """Read messages until the host hangs up; always cleans up its streams."""
        try:
            while True:
                header = await self.reader.readexactly(_HEADER.size)
                command, arg0, arg1, length, _check, _magic = _HEADER.unpack(header)
                data = await self.reader.readexactly(length) if length else b""
                if not self._answering():
                    continue  # an "offline" phone: TCP up, nothing answered
                await self._dispatch(command, arg0, arg1, data)
        except (asyncio.IncompleteReadError, ConnectionError, TransportClosed):
            pass
        finally:
            await self.close()

    async def _dispatch(self, command: int, arg0: int, arg1: int, data: bytes) -> None:
        if command == A_CNXN:
            self.host_maxdata = arg1 or MAXDATA
            self.host_checks_data = arg0 < VERSION
            if self._unauthorized():
                await self.send(A_AUTH, AUTH_TOKEN, 0, os.urandom(20))
            else:
                self.online = True
                await self.send(A_CNXN, VERSION, MAXDATA, self._banner())
        elif command == A_AUTH:
            if arg0 == AUTH_SIGNATURE:
                # Reject every signature: the host then offers its public key,
                # which we never accept, so the device stays "unauthorized".
                await self.send(A_AUTH, AUTH_TOKEN, 0, os.urandom(20))
        elif command == A_OPEN:
            await self._open(arg0, data.rstrip(b"\0").decode("utf-8", "replace"))
        elif command == A_WRTE:
            stream = self.streams.get(arg1)
            if stream is None:
                await self.send(A_CLSE, 0, arg0)
                return
            stream._deliver(data)
            await self.send(A_OKAY, stream.local_id, stream.remote_id)
        elif command == A_OKAY:
            stream = self.streams.get(arg1)
            if stream is not None:
                stream._okay()
        elif command == A_CLSE:
            stream = self.streams.pop(arg1, None)
            if stream is not None:
                stream._remote_closed()

    async def _open(self, remote_id: int, service: str) -> None:
        handler = self._open_service(service)
        if handler is None:
            await self.send(A_CLSE, 0, remote_id)
            return
        local_id = self._next_id
        self._next_id += 1
        stream = Stream(self, local_id, remote_id)
        self.streams[local_id] = stream
        await self.send(A_OKAY, local_id, remote_id)
        task = asyncio.create_task(self._run(handler, stream, service))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, handler: ServiceHandler, stream: Stream, service: str) -> None:
        try:
            await handler(stream, service)
        except TransportClosed:
            pass
        finally:
            await stream.close()

    async def close(self) -> None:
        """Drop the TCP connection (also used to simulate a yanked cable)."""
        if self._closed and not self.tasks and not self.streams:
            return
        self._closed = True
        for stream in list(self.streams.values()):
            stream._remote_closed()
        self.streams.clear()
        current = asyncio.current_task()
        for task in list(self.tasks):
            if task is not current:
                task.cancel()
        try:
            self.writer.close()
        except RuntimeError:
            pass
