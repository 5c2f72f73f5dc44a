"""The adb server's host services, spoken natively on asyncio.

Device calls (shell, push) are in :mod:`tikmatrixd.adb.device`.
``track-devices-l`` is a stream that lives as long as the server;
``connect`` is fired for many devices at once.

Protocol: the client sends a 4-hex-digit length and the service name; the
server answers ``OKAY`` or ``FAIL`` + a length-prefixed message. A tracking
stream then sends one length-prefixed device list per change (the whole
list each time, so it is read whole, never into a fixed buffer).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeVar

P = TypeVar("P", bound=asyncio.Protocol)

#: adb's own `adb connect` waits up to 10 s for a CNXN; a little more covers a busy server.
REQUEST_TIMEOUT = 15.0
#: adb states with a space in them; every other state is one word.
_SPACED_STATES = ("no permissions",)


class AdbHostError(Exception):
    """The adb server answered FAIL, or could not be reached."""


@dataclass(frozen=True)
class Seen:
    """One line of ``adb devices -l``."""

    state: str  # adb's word: device, offline, unauthorized, authorizing, ...
    model: str = ""
    transport_id: str = ""


#: adb's name for a server on a Unix socket: ``adb -L localfilesystem:PATH server`` (the adb CLI
#: finds it with the same ``-L``, or ``ADB_SERVER_SOCKET``). A call through it costs the daemon
#: less than one through TCP, whose connect and sends do the whole handshake and delivery.
UNIX_PREFIX = "localfilesystem:"


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


def unix_path(address: str) -> str | None:
    """The socket's path when ``address`` is ``localfilesystem:PATH``, else None (``host:port``)."""
    return address.removeprefix(UNIX_PREFIX) if address.startswith(UNIX_PREFIX) else None


async def open_stream(address: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A new connection to the adb server at ``address`` (``host:port`` or ``localfilesystem:PATH``)."""
    path = unix_path(address)
    if path is not None:
        return await asyncio.open_unix_connection(sock=await _unix_socket(path))
    host, port = split_address(address)
    return await asyncio.open_connection(host, port)


async def open_protocol(address: str, protocol: Callable[[], P]) -> tuple[asyncio.Transport, P]:
    """The same, driven by an :class:`asyncio.Protocol`."""
    loop = asyncio.get_running_loop()
    path = unix_path(address)
    if path is not None:
        return await loop.create_unix_connection(protocol, sock=await _unix_socket(path))
    host, port = split_address(address)
    return await loop.create_connection(protocol, host, port)


#: Waits between tries while a Unix socket's listen backlog is full.
_BACKLOG_FULL_WAITS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)


async def _unix_socket(path: str) -> socket.socket:
    """A connected Unix socket. When the server's listen backlog is full, connect() answers EAGAIN,
    which for a Unix socket means "try again", not "in progress" as asyncio's own connect takes it:
    that hands back a socket that is not connected, and its first send fails (ENOTCONN). A
    thousand phones calling at once fill adb's backlog. The caller's timeout bounds the tries."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setblocking(False)
    waits = iter(_BACKLOG_FULL_WAITS)
    try:
        while True:
            try:
                sock.connect(path)
                return sock
            except BlockingIOError:
                await asyncio.sleep(next(waits, _BACKLOG_FULL_WAITS[-1]))
    except BaseException:
        sock.close()
        raise


async def _read_block(reader: asyncio.StreamReader) -> str:
    length = int(await reader.readexactly(4), 16)
    return (await reader.readexactly(length)).decode("utf-8", "replace")


async def _open(address: str, service: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await open_stream(address)
    try:
        payload = service.encode()
        writer.write(f"{len(payload):04x}".encode() + payload)
        await writer.drain()
        status = await reader.readexactly(4)
        if status != b"OKAY":
            raise AdbHostError(f"{service}: {await _read_block(reader)}")
    except BaseException:
        await close(writer)
        raise
    return reader, writer


async def close(writer: asyncio.StreamWriter) -> None:
    """Close a connection and wait until its socket is closed (even in a cancelled task)."""
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def request(address: str, service: str, *, timeout: float = REQUEST_TIMEOUT) -> str:
    """One host request with a length-prefixed answer (connect, disconnect, devices-l)."""

    async def do() -> str:
        reader, writer = await _open(address, service)
        try:
            return await _read_block(reader)
        finally:
            await close(writer)

    try:
        return await asyncio.wait_for(do(), timeout)
    except (OSError, asyncio.IncompleteReadError) as error:
        raise AdbHostError(f"adb server {address}: {error}") from None


async def connect(address: str, target: str) -> str:
    """``adb connect target`` through the server at ``address``."""
    return await request(address, f"host:connect:{target}")


async def disconnect(address: str, target: str) -> str:
    return await request(address, f"host:disconnect:{target}")


async def devices(address: str) -> dict[str, Seen]:
    return parse_devices(await request(address, "host:devices-l", timeout=10.0))


async def track_devices(address: str) -> AsyncIterator[dict[str, Seen]]:
    """Every device list the server reports, first the current one, until it goes away.

    Ends by raising :class:`AdbHostError` when the server closes the stream
    or cannot be reached.
    """
    try:
        reader, writer = await asyncio.wait_for(_open(address, "host:track-devices-l"), REQUEST_TIMEOUT)
    except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
        raise AdbHostError(f"adb server {address}: {error or 'timeout'}") from None
    try:
        while True:
            try:
                text = await _read_block(reader)
            except (OSError, asyncio.IncompleteReadError) as error:
                raise AdbHostError(f"adb server {address} closed the device stream: {error}") from None
            yield parse_devices(text)
    finally:
        await close(writer)


def parse_devices(text: str) -> dict[str, Seen]:
    """``serial  state  product:x model:y device:z transport_id:n`` lines → serial → Seen."""
    out: dict[str, Seen] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        serial, rest = parts[0], line.split(None, 1)[1].strip()
        state = next((s for s in _SPACED_STATES if rest.startswith(s)), parts[1])
        fields = dict(p.split(":", 1) for p in rest[len(state):].split() if ":" in p)
        out[serial] = Seen(state=state, model=fields.get("model", ""), transport_id=fields.get("transport_id", ""))
    return out
