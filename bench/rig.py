"""Private adb servers, simulated phones in processes of their own, the daemon in another.

Processes besides the one measuring, so each one's CPU and memory are its
own: ``adb_servers`` real ``adb`` servers (fresh for every run, stopped by
pid: the 29.0.6 server does not survive churning hundreds of devices), the
phones split over ``processes`` :mod:`bench.simfarm` processes (process i
attaches its phones to adb server i mod ``adb_servers``), and the daemon
(:mod:`bench.servers` ``daemon``), which follows every adb server. Never
port 5037.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import Child, http_json
from bench.servers import write_config
from tikmatrixd.sim.testing import AdbServer, free_port


class Rig:
    def __init__(self, workdir: Path, *, devices: int, latency: str, runner: str, language: str = "en",
                 adb_servers: int = 1, processes: int = 1, media_root: Path | None = None,
                 spread: float = 0.0, unix_sockets: bool = False) -> None:
        self.workdir = workdir
        self.unix_sockets = unix_sockets  # the adb servers listen on Unix sockets (localfilesystem:)
        self.devices = devices
        self.latency = latency
        self.spread = spread  # see bench.simfarm --spread
        self.runner = runner
        self.language = language
        self.adb_server_count = max(1, adb_servers)
        self.process_count = max(1, min(processes, devices))
        self.media_root = media_root
        self.db = workdir / "daemon.db"
        self.port = 0  # chosen when the daemon starts: phones started before take ports too
        self.adb: list[AdbServer] = []
        self.phones: list[Child] = []
        self.daemon: Child | None = None
        self.serials: list[str] = []
        self.timings: dict[str, float] = {}

    # -- start ------------------------------------------------------------------------------------

    def start_phones(self) -> None:
        started = time.monotonic()
        self.adb = [AdbServer.start(unix=self.unix_sockets) for _ in range(self.adb_server_count)]
        per_process = -(-self.devices // self.process_count)
        for i in range(self.process_count):
            count = min(per_process, self.devices - i * per_process)
            server = self.adb[i % len(self.adb)]
            self.phones.append(Child("bench.simfarm", ["--devices", str(count), "--adb-server", server.address,
                                                       "--latency", self.latency, "--spread", str(self.spread),
                                                       "--language", self.language],
                                     self.workdir / f"phones{i}.log", stdin=True))
        for phones in self.phones:
            self.serials += phones.read_json(timeout=180)["serials"]
        self.timings["phones_ready_s"] = time.monotonic() - started

    def start_daemon(self) -> None:
        """The daemon on ``self.db`` (which may already hold tasks); returns once every phone is healthy."""
        started = time.monotonic()
        self.port = free_port()
        config = write_config(self.workdir / "daemon.toml", store=self.db, port=self.port,
                              adb_servers=[server.address for server in self.adb], probe_timeout=30.0,
                              media_root=self.media_root, device_limit=max(200, self.devices))
        self.daemon = Child("bench.servers", ["daemon", "--port", str(self.port), "--config", str(config),
                                              "--runner", self.runner], self.workdir / "daemon.log")
        self.daemon.read_json(timeout=60)
        self.wait_healthy(timeout=120)
        self.timings["daemon_ready_s"] = time.monotonic() - started

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        wanted = set(self.serials)
        while True:
            devices = self.call("GET", "/api/v1/devices")["devices"]
            healthy = {d["serial"] for d in devices if d.get("healthy")}
            if wanted <= healthy:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(wanted - healthy)} of {len(wanted)} phones not healthy in {timeout} s")
            time.sleep(0.5)

    # -- use ----------------------------------------------------------------------------------------

    def call(self, method: str, path: str, body: Any = None, timeout: float = 60.0) -> Any:
        return http_json(method, f"http://127.0.0.1:{self.port}{path}", body, timeout)

    def phone_stats(self, command: str = "stats") -> dict[str, Any]:
        """Every phone process's answer to ``command``, merged (``devices``: serial → tally)."""
        merged: dict[str, Any] = {"devices": {}}
        for phones in self.phones:
            answer = phones.ask(command)
            merged["devices"].update(answer.get("devices", {}))
        return merged

    @property
    def pids(self) -> dict[str, int]:
        pids = {}
        if self.daemon is not None:
            pids["daemon"] = self.daemon.pid
        for i, phones in enumerate(self.phones):
            pids[f"phones{i}"] = phones.pid
        for i, server in enumerate(self.adb):
            pids[f"adb_server{i}"] = server.process.pid
        return pids

    # -- stop ---------------------------------------------------------------------------------------

    def close(self) -> dict[str, Any]:
        """Stop what was started, daemon first; returns the exit statuses."""
        status: dict[str, Any] = {}
        if self.daemon is not None:
            status["daemon_exit"] = self.daemon.stop()
            self.daemon = None
        for i, phones in enumerate(self.phones):
            status[f"phones{i}_exit"] = phones.stop()
        self.phones = []
        for server in self.adb:
            server.stop()
        self.adb = []
        return status

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
