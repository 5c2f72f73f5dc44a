"""One simulated phone: a TCP listener speaking adbd, its services, apps, storage and faults.

The Python API here is what in-process tests use (``device.state``,
``device.faults``, ``go_offline()``, ``come_back()``...); the control endpoint
exposes the same over HTTP for tests in other processes.
"""

from __future__ import annotations

import asyncio
import collections
import posixpath
import random
import re
import struct
import time
from typing import Any

from tikmatrixd.sim import (
    commands,  # noqa: F401  (registers the shell commands)
    shell,
)
from tikmatrixd.sim.apps.base import IMAGE_EXT, VIDEO_EXT, App
from tikmatrixd.sim.apps.instagram import Instagram
from tikmatrixd.sim.apps.tiktok import TikTok
from tikmatrixd.sim.fs import Storage, normalize
from tikmatrixd.sim.state import (
    INSTAGRAM,
    REALISTIC_LATENCY,
    REALISTIC_SPREAD,
    TIKTOK,
    CommandRecord,
    DeviceState,
    Faults,
    default_accounts,
)
from tikmatrixd.sim.sync import serve_sync
from tikmatrixd.sim.transport import Connection, ServiceHandler, Stream, TransportClosed
from tikmatrixd.sim.ui import SCREEN_H, SCREEN_W, N, Node, hit, status_bar

#: (model, product/device) pairs handed out round-robin so `adb devices -l` shows variety.
MODELS = (("Pixel 6a", "bluejay"), ("Pixel 3a", "sargo"), ("SM-A525F", "a52q"), ("Redmi Note 10", "mojito"))
#: In fast mode an upload shows its progress for this long, so scripts can see it happen.
FAST_UPLOAD_SECONDS = 0.2
REALISTIC_UPLOAD_SECONDS = 8.0
#: Shell v2 packets the host sends (notes/adb-wire.md).
_SHELL_V2_STDIN, _SHELL_V2_CLOSE_STDIN = 0, 4


class SimDevice:
    def __init__(self, *, index: int = 0, port: int = 0, host: str = "127.0.0.1", seed: int | None = None,
                 language: str = "en", realistic: bool = False, accounts_per_app: int = 3,
                 versions: dict[str, str] | None = None) -> None:
        """``versions``: app package → version (default: state.APP_VERSIONS); a version with real
        dumps in the corpus gets screens built from them (sim/real/SCREENS.toml)."""
        model, product = MODELS[index % len(MODELS)]
        self.index = index
        self.host = host
        self.port = port
        self.name = f"sim{index:03d}"
        self.state = DeviceState(serial=self.name, model=model, product=product, device=product, language=language)
        self.state.versions.update(versions or {})
        self.state.apps = {TIKTOK: default_accounts(f"tt_{self.name}", accounts_per_app),
                           INSTAGRAM: default_accounts(f"ig_{self.name}", accounts_per_app)}
        self.faults = Faults(latency=dict(REALISTIC_LATENCY), latency_spread=REALISTIC_SPREAD) if realistic \
            else Faults()
        self.rng = random.Random(index if seed is None else seed)
        self.storage = Storage()
        self.settings: dict[str, str] = {}
        self.upload_seconds = REALISTIC_UPLOAD_SECONDS if realistic else FAST_UPLOAD_SECONDS
        self.apps: dict[str, App] = {TIKTOK: TikTok(self), INSTAGRAM: Instagram(self)}
        self.connections: set[Connection] = set()
        #: How often each real dump (sim/real/) was drawn, by name: tests check a run went through them.
        self.real_screens_shown: collections.Counter[str] = collections.Counter()
        self._server: asyncio.base_events.Server | None = None
        self._conn_tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return f"<SimDevice {self.serial} {self.state.foreground} conns={len(self.connections)}>"

    @property
    def serial(self) -> str:
        """The name the adb server gives this device after ``adb connect``."""
        return f"{self.host}:{self.port}"

    # -- network lifecycle -------------------------------------------------
    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        self.faults.offline = False

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        await self.drop_connections()

    async def drop_connections(self) -> None:
        """Close every transport (a yanked cable); the adb server reconnects if we still listen."""
        for conn in list(self.connections):
            await conn.close()
        for task in list(self._conn_tasks):
            task.cancel()
        if self._conn_tasks:
            await asyncio.gather(*self._conn_tasks, return_exceptions=True)

    async def go_offline(self, *, silent: bool = False) -> None:
        """Disappear: close the port (default) or keep TCP up and stop answering (``silent``)."""
        self.faults.offline = True
        if silent:
            return
        if self._server is not None:
            self._server.close()
            self._server = None
        await self.drop_connections()

    async def come_back(self) -> None:
        """Answer again; listen on the same port so the adb server's reconnect finds us."""
        self.faults.offline = False
        if self._server is None:
            await self.start()
        else:
            await self.drop_connections()  # silent mode: fresh handshake on reconnect

    async def set_unauthorized(self, value: bool) -> None:
        self.faults.unauthorized = value
        await self.drop_connections()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(reader, writer, banner=self.banner, open_service=self._open_service,
                          unauthorized=lambda: self.faults.unauthorized,
                          answering=lambda: not self.faults.offline)
        self.connections.add(conn)
        task = asyncio.current_task()
        if task is not None:
            self._conn_tasks.add(task)
        try:
            await conn.serve()
        except asyncio.CancelledError:
            pass  # drop_connections() cancelled us; asyncio would log a cancelled handler as an error
        finally:
            self.connections.discard(conn)
            if task is not None:
                self._conn_tasks.discard(task)

    def banner(self) -> bytes:
        s = self.state
        return (f"device::ro.product.name={s.product};ro.product.model={s.model};"
                f"ro.product.device={s.device};features=shell_v2,cmd").encode()

    def props(self) -> dict[str, str]:
        s = self.state
        locale = "fr-FR" if s.language == "fr" else "en-US"
        return {"ro.product.model": s.model, "ro.product.name": s.product, "ro.product.device": s.device,
                "ro.product.manufacturer": "Google" if s.model.startswith("Pixel") else "Samsung",
                "ro.serialno": s.serial, "ro.build.version.sdk": "31", "ro.build.version.release": "12",
                "ro.product.cpu.abi": "arm64-v8a", "persist.sys.locale": locale, "ro.product.locale": locale,
                "sys.boot_completed": "1", "ro.kernel.qemu": "0", "service.adb.tcp.port": str(self.port)}

    # -- services ------------------------------------------------------------
    def _open_service(self, service: str) -> ServiceHandler | None:
        name, _, command = service.partition(":")
        kind, *options = name.split(",")
        if kind == "shell" and "v2" in options and not command:
            return self._shell_v2_session
        if kind == "shell":
            return self._shell_v2 if "v2" in options else self._shell_legacy
        if kind == "exec":
            return self._shell_legacy
        if kind == "sync":
            return lambda stream, _svc: serve_sync(stream, self.storage, self._on_push)
        return None

    def _on_push(self, path: str) -> None:
        f = self.storage.files.get(normalize(path))
        self.state.pushed.append({"path": normalize(path), "size": len(f.data) if f else 0,
                                  "sha256": f.sha256 if f else "", "at": time.time()})

    async def run_command(self, line: str, service: str = "shell", status: int = 0) -> tuple[shell.Result, bool]:
        """Run a shell line (``status``: the ``$?`` it starts with); the bool says whether the
        transport must now be dropped (fault)."""
        record = CommandRecord(at=time.time(), command=line, service=service)
        self.state.commands.append(record)
        await self.delay("default")
        result = await shell.run(self, line, status)
        record.exit_code = result.code
        drop = False
        if self.faults.drop_next > 0:
            self.faults.drop_next -= 1
            drop = True
        return result, drop

    async def _shell_legacy(self, stream: Stream, service: str) -> None:
        line = service.partition(":")[2]
        result, drop = await self.run_command(line, service.partition(":")[0])
        if drop:
            await stream.conn.close()
            return
        data = result.mixed or result.out + result.err
        if data:
            await stream.write(data)

    async def _shell_v2(self, stream: Stream, service: str) -> None:
        line = service.partition(":")[2]
        result, drop = await self.run_command(line, service.partition(":")[0])
        if drop:
            await stream.conn.close()
            return
        out = bytearray()
        if result.out:
            out += struct.pack("<BI", 1, len(result.out)) + result.out
        if result.err:
            out += struct.pack("<BI", 2, len(result.err)) + result.err
        out += struct.pack("<BIB", 3, 1, result.code & 0xFF)
        await stream.write(bytes(out))

    async def _shell_v2_session(self, stream: Stream, service: str) -> None:
        """``shell,v2`` without a command: an interactive sh reading its stdin packets (id 0), which
        runs each whole line as it arrives and answers with the same stdout/stderr packets; it
        ends at close-stdin (id 4) or when the host closes the stream."""
        pending, status = b"", 0
        try:
            while True:
                kind, length = struct.unpack("<BI", await stream.read_exactly(5))
                data = await stream.read_exactly(length) if length else b""
                if kind == _SHELL_V2_CLOSE_STDIN:
                    break
                if kind != _SHELL_V2_STDIN:
                    continue
                pending += data
                while (end := pending.find(b"\n")) >= 0:
                    line = pending[:end].decode("utf-8", "replace")
                    while not shell.complete(line) and (more := pending.find(b"\n", end + 1)) >= 0:
                        end = more  # a newline inside quotes: the command goes on
                        line = pending[:end].decode("utf-8", "replace")
                    if not shell.complete(line):
                        break
                    pending = pending[end + 1:]
                    if not line.strip():
                        continue
                    result, drop = await self.run_command(line, "shell", status)
                    if drop:
                        await stream.conn.close()
                        return
                    status = result.code
                    out = b""
                    if result.out:
                        out += struct.pack("<BI", 1, len(result.out)) + result.out
                    if result.err:
                        out += struct.pack("<BI", 2, len(result.err)) + result.err
                    if result.syntax_error:  # a non-interactive sh exits on a line it cannot parse
                        await stream.write(out + struct.pack("<BIB", 3, 1, status & 0xFF))
                        return
                    if out:
                        await stream.write(out)
        except TransportClosed:
            return
        await stream.write(struct.pack("<BIB", 3, 1, status & 0xFF))

    async def delay(self, kind: str) -> float:
        """Sleep as long as a real phone takes for a command of ``kind``; returns the seconds drawn."""
        seconds = self.faults.latency.get(kind, 0.0 if kind == "default" else self.faults.latency.get("default", 0.0))
        if seconds > 0 and self.faults.latency_spread:
            seconds *= self.rng.uniform(1 - self.faults.latency_spread, 1 + self.faults.latency_spread)
        if seconds > 0:
            await asyncio.sleep(seconds)
        return seconds

    # -- apps and screen -----------------------------------------------------
    def foreground_app(self) -> App | None:
        return self.apps.get(self.state.foreground)

    def start_app(self, package: str) -> bool:
        app = self.apps.get(package)
        if package not in self.state.installed or app is None:
            return False
        app.launch()
        self.state.foreground = package
        return True

    def stop_app(self, package: str) -> None:
        app = self.apps.get(package)
        if app is not None:
            app.stop()
        if self.state.foreground == package:
            self.state.foreground = "launcher"

    def open_url(self, url: str, package: str | None = None) -> bool:
        candidates = [package] if package else list(self.apps)
        for pkg in candidates:
            app = self.apps.get(pkg or "")
            if app is not None and pkg in self.state.installed and app.open_url(url):
                self.state.foreground = app.package
                return True
        return False

    def to_launcher(self) -> None:
        self.state.foreground = "launcher"

    def windows(self) -> list[Node]:
        app = self.foreground_app()
        content = app.render() if app is not None else [self._launcher()]
        if any(window.package == "com.android.systemui" for window in content):
            return content  # a screen built from a real dump brings its own status bar
        return [status_bar(), *content]

    def _launcher(self) -> Node:
        # taktik-bot tests/unit/shared/device/fixtures/android12_fr_launcher_home.xml: icons are
        # TextViews with text = content-desc = app label.
        icons = []
        for i, (pkg, label) in enumerate(((TIKTOK, "TikTok"), (INSTAGRAM, "Instagram"))):
            if pkg in self.state.installed:
                x = 60 + i * 250
                icons.append(N("TextView", (x, 1800, x + 220, 2050), text=label, desc=label, action=f"launch:{pkg}"))
        launcher = "com.google.android.apps.nexuslauncher"
        return N("FrameLayout", (0, 0, SCREEN_W, SCREEN_H),
                 N("android.view.View", (0, 0, SCREEN_W, SCREEN_H), *icons,
                   rid=f"{launcher}:id/workspace", package=launcher),
                 package=launcher)

    def screen(self) -> str:
        app = self.foreground_app()
        if app is None:
            return "launcher"
        return f"{app.screen}+{app.dialog}" if app.dialog else app.screen

    def tap(self, x: int, y: int) -> None:
        node = hit(self.windows(), x, y)
        if node is None:
            return
        if node.action.startswith("launch:"):
            self.start_app(node.action.split(":", 1)[1])
            return
        app = self.foreground_app()
        if app is not None:
            app.tap(node, x)

    def swipe(self, x1: int, y1: int, x2: int, y2: int) -> None:
        app = self.foreground_app()
        if app is not None:
            app.scroll(y1 - y2)

    def key(self, code: int) -> None:
        app = self.foreground_app()
        if code == 3:
            self.to_launcher()
        elif app is not None:
            app.key(code)

    def type_text(self, text: str) -> None:
        app = self.foreground_app()
        if app is not None:
            app.type(text)

    def clear_text(self) -> None:
        app = self.foreground_app()
        if app is not None and app.focus:
            app.fields[app.focus] = ""

    # -- media -----------------------------------------------------------------
    def media_scan(self, path: str) -> None:
        p = normalize(path)
        paths = [p] if p in self.storage.files else [
            f for f in self.storage.files if f.startswith(p.rstrip("/") + "/")]
        for f in sorted(paths):
            if f.lower().endswith(VIDEO_EXT + IMAGE_EXT) and f not in self.state.media_store:
                if self.faults.scan_lag:  # the scan runs in the background, like MediaProvider's
                    asyncio.get_running_loop().call_later(self.faults.scan_lag, self._add_media, f)
                else:
                    self._add_media(f)

    def _add_media(self, path: str) -> None:
        if path in self.storage.files and path not in self.state.media_store:
            self.state.media_store.append(path)
            self.state.media_ids[path] = self.state.next_media_id  # never reused, like an AUTOINCREMENT
            self.state.next_media_id += 1

    def forget_media(self, path: str) -> None:
        p = normalize(path)
        if p in self.state.media_store:
            self.state.media_store.remove(p)
            self.state.media_ids.pop(p, None)

    def media_by_uri(self, uri: str) -> str | None:
        """The scanned file a ``content://media/external/.../<id>`` URI names."""
        match = re.fullmatch(r"content://media/external/(?:file|video/media|images/media)/(\d+)", uri)
        ids = {v: k for k, v in self.state.media_ids.items()}
        return ids.get(int(match.group(1))) if match else None

    def share(self, package: str, activity: str, uri: str) -> bool:
        """An ``ACTION_SEND`` of one scanned file to ``package`` (its share activity, if named)."""
        app = self.apps.get(package)
        path = self.media_by_uri(uri)
        if app is None or package not in self.state.installed or path is None:
            return False
        if not app.receive_share(path, activity):
            return False
        self.state.foreground = package
        return True

    # -- observation -------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """JSON-able state, including each app's current screen."""
        screens = {pkg: (f"{app.screen}+{app.dialog}" if app.dialog else app.screen) for pkg, app in self.apps.items()}
        data = self.state.to_json(screens)
        data.update(port=self.port, adb_serial=self.serial, screen=self.screen(),
                    files={p: {"size": len(f.data), "sha256": f.sha256} for p, f in self.storage.files.items()
                           if not posixpath.basename(p).endswith(".xml")},
                    faults=self.faults.__dict__.copy())
        return data
