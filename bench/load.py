"""``python -m bench.load SPEC``: an HTTP/1.1 load generator; prints one JSON line of results.

SPEC is JSON: ``{"port": P, "connections": 32, "warmup": 1, "duration": 5,
"requests": [{"method": "GET", "path": "/x", "body": {...}}, ...], "expect": "..."}``.
Each connection keeps one request in flight (keep-alive, no pipelining, like
wrk) and cycles through ``requests``. Only responses completed inside the
``duration`` window after ``warmup`` count; one that is not HTTP 200, or
lacks ``expect`` in its body, counts as an error.

wrk is not installed on these machines, and aiohttp's own client costs more
CPU per request than the server under test; this is a bare asyncio
Protocol that pre-encodes requests and reads just the status line and
Content-Length. Its own CPU use is reported: near 100 % of a core means the
client, not the server, set the pace.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import percentiles


def encode(port: int, method: str, path: str, body: Any = None) -> bytes:
    data = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    return head.encode() + b"\r\n" + data


@dataclass
class Window:
    """The measuring window and what completed inside it."""

    start: float
    end: float
    expect: bytes
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    first_error: str = ""

    def record(self, sent_at: float, status: bytes, body: bytes) -> None:
        now = time.perf_counter()
        if not self.start <= now <= self.end:
            return
        if status == b"200" and self.expect in body:
            self.ok += 1
            self.latencies.append(now - sent_at)
        else:
            self.errors += 1
            self.first_error = self.first_error or f"{status.decode()} {body[:200]!r}"


class Connection(asyncio.Protocol):
    def __init__(self, requests: list[bytes], offset: int, window: Window, closed: asyncio.Future[None]) -> None:
        self._requests = requests
        self._next = offset % len(requests)
        self._window = window
        self._closed = closed
        self._buffer = bytearray()
        self._sent_at = 0.0
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._send()

    def _send(self) -> None:
        assert self._transport is not None
        if time.perf_counter() > self._window.end:
            self._transport.close()
            return
        self._sent_at = time.perf_counter()
        self._transport.write(self._requests[self._next])
        self._next = (self._next + 1) % len(self._requests)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buffer[:end])
            length = _content_length(head)
            if len(self._buffer) < end + 4 + length:
                return
            body = bytes(self._buffer[end + 4:end + 4 + length])
            del self._buffer[:end + 4 + length]
            self._window.record(self._sent_at, head[9:12], body)
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._closed.done():
            self._closed.set_result(None)


def _content_length(head: bytes) -> int:
    at = head.find(b"\r\nContent-Length:")
    if at < 0:
        at = head.lower().find(b"\r\ncontent-length:")
        if at < 0:
            return 0
    value_end = head.find(b"\r\n", at + 2)
    return int(head[at + 17:value_end if value_end > 0 else None])


async def drive(spec: dict[str, Any]) -> dict[str, Any]:
    port = spec["port"]
    requests = [encode(port, r["method"], r["path"], r.get("body")) for r in spec["requests"]]
    loop = asyncio.get_running_loop()
    begin = time.perf_counter()
    window = Window(start=begin + spec["warmup"], end=begin + spec["warmup"] + spec["duration"],
                    expect=spec.get("expect", "").encode())
    closed: list[asyncio.Future[None]] = []
    for i in range(spec["connections"]):
        done = loop.create_future()
        closed.append(done)
        await loop.create_connection(lambda i=i, done=done: Connection(requests, i, window, done), "127.0.0.1", port)
    await asyncio.sleep(max(0.0, window.start - time.perf_counter()))
    cpu_before = _cpu()
    await asyncio.sleep(max(0.0, window.end - time.perf_counter()))
    cpu = _cpu() - cpu_before
    await asyncio.wait_for(asyncio.gather(*closed), timeout=30)
    total = window.ok + window.errors
    lat = percentiles(window.latencies, (50, 99))
    return {
        "requests": total, "ok": window.ok, "errors": window.errors, "first_error": window.first_error,
        "seconds": spec["duration"], "rps": window.ok / spec["duration"],
        "latency_ms": {k: None if v is None else v * 1000 for k, v in lat.items()},
        "client_cpu_percent": 100.0 * cpu / spec["duration"], "connections": spec["connections"],
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    spec = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(drive(spec))), flush=True)


if __name__ == "__main__":
    main()
