"""``screencap -p``: a small grayscale PNG with node outlines drawn, at quarter resolution."""

from __future__ import annotations

import struct
import zlib

from tikmatrixd.sim.ui import SCREEN_H, SCREEN_W, Node

SCALE = 4


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def render(windows: list[Node]) -> bytes:
    w, h = SCREEN_W // SCALE, SCREEN_H // SCALE
    rows = [bytearray(b"\xf0" * w) for _ in range(h)]
    for window in windows:
        for node in window.walk():
            l, t, r, b = (v // SCALE for v in node.bounds)
            shade = 0x20 if node.clickable else 0x90
            r, b = min(r, w) - 1, min(b, h) - 1
            if r <= l or b <= t:
                continue
            for x in range(l, r + 1):
                rows[t][x] = shade
                rows[b][x] = shade
            for y in range(t, b + 1):
                rows[y][l] = shade
                rows[y][r] = shade
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    body = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body
