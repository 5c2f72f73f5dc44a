"""Driving one app on one phone: dump, find, wait, tap, type — with the fewest adb calls.

- A dump is reused until something is done to the screen (a tap, a key, a
  text, an intent), so looking for several selectors costs one dump.
- ``wait_for`` re-dumps only while what it waits for is absent, at most
  every ``MIN_DUMP_INTERVAL`` seconds, and taps away the pack's known
  interrupting dialogs (permission prompts, "not now" offers) on the way.
- Transient dump failures (``ERROR: could not get idle state``, a null
  root) are retried a bounded number of times; when ``/dev/tty`` gives no
  XML at all, the dump goes to a fresh file that is read back in the same
  shell call (deleted first, so a stale dump can never be read).
"""

from __future__ import annotations

import asyncio
import base64
import shlex
import time
import zlib
from collections.abc import Sequence
from typing import Any

from tikmatrixd.adb.device import DeviceAdb
from tikmatrixd.core.status import ErrorReason, ScriptFailure
from tikmatrixd.ui.hierarchy import DumpError, Node, parse
from tikmatrixd.ui.selectors import Pack, Selector
from tikmatrixd.ui.turns import dump_turns

MIN_DUMP_INTERVAL = 0.25
DUMP_ATTEMPTS = 5
DIALOG_ROUNDS = 5
DUMP_FILE = "/sdcard/tikmatrixd_dump.xml"
ADB_KEYBOARD = "com.android.adbkeyboard"
ADB_KEYBOARD_IME = "com.android.adbkeyboard/.AdbIME"
KEYCODE = {"back": 4, "home": 3, "enter": 66}


class Ui:
    def __init__(self, adb: DeviceAdb, pack: Pack | None, log: Any, *, timeout: float = 20.0) -> None:
        """``pack``: the app's selectors (its dialogs are tapped away); None to only look at the screen."""
        self.adb = adb
        self.timeout = timeout  # for screens to appear, unless a call says otherwise
        self.pack = pack
        self.log = log
        self.dumps = 0
        self._last_dump = b""  # the newest dump's XML, zlib-compressed (see last_dump)
        self._nodes: list[Node] | None = None
        self._dumped_at = 0.0
        self._ime_ready: bool | None = None
        #: Every selector looked for, by name, so a failure can report what each matched.
        self.tried: dict[str, Selector] = {}

    # -- reading the screen ---------------------------------------------------
    async def nodes(self) -> list[Node]:
        """The current screen: the last dump if nothing was done since, else a new one."""
        if self._nodes is None:
            self._nodes = await self._dump()
        return self._nodes

    def changed(self) -> None:
        """Something was done to the screen: the next look needs a new dump."""
        self._nodes = None

    async def _dump(self) -> list[Node]:
        problem = "no dump"
        for attempt in range(DUMP_ATTEMPTS):
            # Spaced out, more after each failure: "could not get idle state" lasts while the screen animates.
            wait = self._dumped_at + MIN_DUMP_INTERVAL * 2 ** attempt - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self.dumps += 1
            output = (await self.adb.shell(["uiautomator", "dump", "/dev/tty"])).out
            if b"<hierarchy" not in output and b"ERROR" not in output:
                output = (await self.adb.shell_script(
                    f"rm -f {DUMP_FILE}; uiautomator dump {DUMP_FILE} >/dev/null && cat {DUMP_FILE}")).out
            self._dumped_at = time.monotonic()
            async with dump_turns():  # (one dump read per loop iteration: see ui.turns)
                try:
                    nodes = parse(output)
                except DumpError as error:
                    problem = str(error)
                else:
                    self._last_dump = zlib.compress(output[output.find(b"<"):output.rfind(b">") + 1], 1)
                    return nodes
            self.log.info("dump failed; retrying", attempt=attempt + 1, error=problem)
        raise ScriptFailure(ErrorReason.UI_DUMP_FAILED,
                            f"uiautomator gave no hierarchy {DUMP_ATTEMPTS} times: {problem}")

    @property
    def last_dump(self) -> bytes:
        """The newest dump's XML as the phone sent it (UTF-8), for a failure's artifacts and the
        dashboard. Kept compressed: a real screen is ~120 kB, 6 kB at zlib level 1 (0.2 ms), and
        a thousand phones each hold their last one while their tasks run."""
        return zlib.decompress(self._last_dump) if self._last_dump else b""

    async def screenshot(self, *, timeout: float | None = None) -> bytes:
        """A PNG of the screen now (empty when the phone gave none)."""
        shot = await self.adb.shell(["screencap", "-p"], timeout=timeout)
        return shot.out if shot.out.startswith(b"\x89PNG") else b""

    async def find(self, selector: Selector) -> Node | None:
        self.tried[selector.name] = selector
        return selector.find(await self.nodes())

    async def wait_for(self, *selectors: Selector, timeout: float | None = None) -> tuple[Selector, Node]:
        """The first of ``selectors`` to appear (in the order given when several are there)."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        dialogs = 0
        self.tried.update((s.name, s) for s in selectors)
        while True:
            nodes = await self.nodes()
            for notice in self.pack.screen("blocked") if self.pack else ():
                node = notice.find(nodes)
                if node is not None:
                    raise ScriptFailure(ErrorReason.ACTION_BLOCKED, f"the app says: {node.text}")
            # A dialog first: it may cover the element looked for, which can still be in the dump.
            if dialogs < DIALOG_ROUNDS and await self._dismiss_dialog(nodes):
                dialogs += 1
                continue
            for selector in selectors:
                node = selector.find(nodes)
                if node is not None:
                    return selector, node
            if time.monotonic() >= deadline:
                names = "|".join(s.name for s in selectors)
                raise ScriptFailure(ErrorReason.SELECTOR_NOT_FOUND,
                                    f"{names.replace('|', ' or ')} did not appear within {timeout:g} s", detail=names)
            self.changed()

    async def wait_gone(self, selector: Selector, *, timeout: float | None = None) -> None:
        """Until ``selector`` is no longer on screen (an upload banner, a spinner)."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        self.tried[selector.name] = selector
        while selector.find(await self.nodes()) is not None:
            if time.monotonic() >= deadline:
                raise ScriptFailure(ErrorReason.STILL_SHOWN, f"{selector.name} still shown after {timeout:g} s",
                                    detail=selector.name)
            self.changed()

    async def scroll_to(self, selector: Selector, *, swipes: int = 4) -> Node:
        """``selector``'s node, swiping the list up between looks while it is not on screen.

        The first look waits a quarter of the screen timeout (results may
        still be loading); after each swipe there is one look.
        """
        for attempt in range(swipes + 1):
            try:
                _, node = await self.wait_for(selector, timeout=self.timeout / 4 if attempt == 0 else 0.001)
                return node
            except ScriptFailure as failure:
                if attempt == swipes:
                    raise ScriptFailure(failure.kind, f"{selector.name} not found, after {swipes} swipes",
                                        acted=failure.acted, detail=failure.detail) from None
            bottom = max((n.bounds[3] for n in await self.nodes()), default=2400)
            await self.adb.shell(["input", "swipe", "540", str(bottom * 7 // 10), "540", str(bottom * 3 // 10), "300"])
            self.changed()
        raise AssertionError("unreachable")

    async def _dismiss_dialog(self, nodes: list[Node]) -> bool:
        for selector in self.pack.screen("dialogs") if self.pack else ():
            node = selector.find(nodes)
            if node is not None:
                self.log.info("dismissing dialog", selector=selector.name, text=node.text)
                await self.tap(node)
                return True
        return False

    # -- acting on it -------------------------------------------------------------
    async def tap(self, node: Node) -> None:
        await self.tap_at(*node.center)

    async def tap_at(self, x: int, y: int) -> None:
        await self.adb.shell(["input", "tap", str(x), str(y)])
        self.changed()

    async def tap_on(self, selector: Selector, *, timeout: float | None = None) -> Node:
        _, node = await self.wait_for(selector, timeout=timeout)
        await self.tap(node)
        return node

    async def key(self, name: str) -> None:
        await self.adb.shell(["input", "keyevent", str(KEYCODE[name])])
        self.changed()

    async def shell(self, argv: Sequence[str]) -> str:
        """A command that changes the screen (am start, monkey ...)."""
        result = await self.adb.shell(argv)
        self.changed()
        return result.text

    async def type_text(self, text: str) -> None:
        """Type into the focused field, byte-exact, never through the device shell's parser.

        With ADBKeyboard (an input method that takes base64 text in a
        broadcast) any text works; without it only plain ASCII without
        ``%`` can go through ``input text`` (which cannot type the rest).
        """
        if await self._ime():
            encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
            await self.adb.shell(["am", "broadcast", "-a", "ADB_INPUT_B64", "--es", "msg", encoded])
        elif text.isascii() and text.isprintable() and "%" not in text:
            # `input text` turns %s into a space; the whole argument is quoted for the device shell.
            await self.adb.shell_script("input text " + shlex.quote(text.replace(" ", "%s")))
        else:
            raise ScriptFailure(ErrorReason.INPUT_METHOD_MISSING,
                                "this text needs the ADBKeyboard input method on the phone (see README)",
                                acted=False)
        self.changed()

    async def _ime(self) -> bool:
        """Is ADBKeyboard the input method? Select it when it is installed but not selected."""
        if self._ime_ready is None:
            current = (await self.adb.shell(["settings", "get", "secure", "default_input_method"])).text.strip()
            if current == ADB_KEYBOARD_IME:
                self._ime_ready = True
            else:
                installed = await self.adb.shell(["pm", "path", ADB_KEYBOARD])
                self._ime_ready = installed.code == 0 and "package:" in installed.text
                if self._ime_ready:
                    await self.adb.shell_script(
                        f"ime enable {ADB_KEYBOARD_IME} >/dev/null; ime set {ADB_KEYBOARD_IME} >/dev/null")
                    self.log.info("selected the ADBKeyboard input method", previous=current)
        return self._ime_ready
