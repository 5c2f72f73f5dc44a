"""Drive a simulated phone the way a script would: adbutils over the real adb server.

adbutils is synchronous, and the simulated devices live in the test's event
loop, so every call goes through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import base64
import xml.etree.ElementTree as ET
from typing import Any

DUMP_TAIL = "UI hierchary dumped to: /dev/tty"


class Phone:
    def __init__(self, adb_client: Any, serial: str) -> None:
        self.device = adb_client.device(serial)

    async def shell(self, cmd: str) -> str:
        return await asyncio.to_thread(self.device.shell, cmd)

    async def shell2(self, cmd: str, v2: bool = False) -> Any:
        return await asyncio.to_thread(self.device.shell2, cmd, v2=v2)

    async def dump(self) -> ET.Element:
        out = await self.shell("uiautomator dump /dev/tty")
        assert out.endswith(DUMP_TAIL), out[-200:]
        return ET.fromstring(out[: -len(DUMP_TAIL)])

    @staticmethod
    def find(root: ET.Element, **match: str) -> ET.Element | None:
        alias = {"rid": "resource-id", "desc": "content-desc", "cls": "class"}
        keys = {alias.get(k, k.replace("_", "-")): v for k, v in match.items()}
        for node in root.iter("node"):
            if all(node.get(k) == v for k, v in keys.items()):
                return node
        return None

    @staticmethod
    def center(node: ET.Element) -> tuple[int, int]:
        left, top, right, bottom = (int(v) for v in node.get("bounds", "").replace("][", ",").strip("[]").split(","))
        return (left + right) // 2, (top + bottom) // 2

    async def tap_on(self, **match: str) -> None:
        root = await self.dump()
        node = self.find(root, **match)
        assert node is not None, f"no node {match}"
        x, y = self.center(node)
        await self.shell(f"input tap {x} {y}")

    async def type_ime(self, text: str) -> None:
        b64 = base64.b64encode(text.encode()).decode()
        await self.shell(f"am broadcast -a ADB_INPUT_B64 --es msg {b64}")
