"""The ``sync:`` service (v1): STAT, LIST, SEND, RECV, QUIT over one stream.

Pushed files land in the device's in-memory storage (:class:`~tikmatrixd.sim.fs.Storage`),
so tests can compare checksums and the media scanner can find them.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tikmatrixd.sim.transport import Stream

if TYPE_CHECKING:
    from tikmatrixd.sim.fs import Storage

_ID_LEN = struct.Struct("<4sI")
#: adb pushes DATA chunks of at most 64 KiB; anything larger is a broken client.
MAX_CHUNK = 64 * 1024


async def serve_sync(stream: Stream, storage: Storage, on_push: Callable[[str], None] | None = None) -> None:
    while True:
        try:
            header = await stream.read_exactly(8)
        except Exception:
            return
        cmd, length = _ID_LEN.unpack(header)
        if cmd == b"QUIT":
            return
        path = (await stream.read_exactly(length)).decode("utf-8", "replace")
        if cmd == b"STAT":
            mode, size, mtime = storage.stat(path)
            await stream.write(b"STAT" + struct.pack("<III", mode, size, mtime))
        elif cmd == b"LIST":
            await _list(stream, storage, path)
        elif cmd == b"SEND":
            if await _send(stream, storage, path) and on_push is not None:
                on_push(path.rpartition(",")[0] or path)
        elif cmd == b"RECV":
            await _recv(stream, storage, path)
        else:
            await _fail(stream, f"unknown sync command {cmd!r}")
            return


async def _fail(stream: Stream, message: str) -> None:
    data = message.encode()
    await stream.write(b"FAIL" + struct.pack("<I", len(data)) + data)


async def _list(stream: Stream, storage: Storage, path: str) -> None:
    out = bytearray()
    for name, (mode, size, mtime) in storage.listdir(path):
        raw = name.encode()
        out += b"DENT" + struct.pack("<IIII", mode, size, mtime, len(raw)) + raw
    out += b"DONE" + b"\0" * 16
    await stream.write(bytes(out))


async def _send(stream: Stream, storage: Storage, spec: str) -> bool:
    path, _, mode_text = spec.rpartition(",")
    if not path:
        path, mode_text = spec, "33188"
    chunks: list[bytes] = []
    mtime = int(time.time())
    while True:
        cmd, length = _ID_LEN.unpack(await stream.read_exactly(8))
        if cmd == b"DATA":
            if length > MAX_CHUNK:
                await _fail(stream, "data chunk too large")
                return False
            chunks.append(await stream.read_exactly(length))
        elif cmd == b"DONE":
            mtime = length
            break
        else:
            await _fail(stream, f"unexpected {cmd!r} during SEND")
            return False
    error = storage.write(path, b"".join(chunks), mode=int(mode_text or "33188"), mtime=mtime)
    if error:
        await _fail(stream, error)
        return False
    await stream.write(b"OKAY" + b"\0" * 4)
    return True


async def _recv(stream: Stream, storage: Storage, path: str) -> None:
    data = storage.read(path)
    if data is None:
        await _fail(stream, f"remote object '{path}' does not exist")
        return
    out = bytearray()
    for start in range(0, len(data), MAX_CHUNK):
        chunk = data[start:start + MAX_CHUNK]
        out += b"DATA" + struct.pack("<I", len(chunk)) + chunk
        if len(out) >= 4 * MAX_CHUNK:
            await stream.write(bytes(out))
            out.clear()
    out += b"DONE" + b"\0" * 4
    await stream.write(bytes(out))
