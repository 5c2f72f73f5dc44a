"""A private adb server, simulated phones in one process, the daemon in another.

Three processes besides the one measuring, so each one's CPU and memory are
its own: the real ``adb`` server (fresh for every run, stopped by pid: the
29.0.6 server does not survive churning hundreds of devices), the phones
(:mod:`bench.simfarm`), and the daemon (:mod:`bench.servers` ``daemon``).
Never port 5037.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import Child, http_json
from bench.servers import write_config
from tikmatrixd.sim.testing import AdbServer, free_port


class Rig:
    def __init__(self, workdir: Path, *, devices: int, latency: str, runner: str, language: str = "en") -> None:
        self.workdir = workdir
        self.devices = devices
        self.latency = latency
        self.runner = runner
        self.language = language
        self.db = workdir / "daemon.db"
        self.port = free_port()
        self.adb: AdbServer | None = None
        self.phones: Child | None = None
        self.daemon: Child | None = None
        self.serials: list[str] = []
        self.timings: dict[str, float] = {}

    # -- start ------------------------------------------------------------------------------------

    def start_phones(self) -> None:
        started = time.monotonic()
        self.adb = AdbServer.start()
        self.phones = Child("bench.simfarm", ["--devices", str(self.devices), "--adb-server", self.adb.address,
                                              "--latency", self.latency, "--language", self.language],
                             self.workdir / "phones.log", stdin=True)
        self.serials = self.phones.read_json(timeout=180)["serials"]
        self.timings["phones_ready_s"] = time.monotonic() - started

    def start_daemon(self) -> None:
        """The daemon on ``self.db`` (which may already hold tasks); returns once every phone is healthy."""
        assert self.adb is not None
        started = time.monotonic()
        config = write_config(self.workdir / "daemon.toml", store=self.db, port=self.port,
                              adb_servers=[self.adb.address], probe_timeout=30.0)
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
        assert self.phones is not None
        return self.phones.ask(command)

    @property
    def pids(self) -> dict[str, int]:
        pids = {}
        if self.daemon is not None:
            pids["daemon"] = self.daemon.pid
        if self.phones is not None:
            pids["phones"] = self.phones.pid
        if self.adb is not None:
            pids["adb_server"] = self.adb.process.pid
        return pids

    # -- stop ---------------------------------------------------------------------------------------

    def close(self) -> dict[str, Any]:
        """Stop what was started, daemon first; returns the daemon's exit status."""
        status: dict[str, Any] = {}
        if self.daemon is not None:
            status["daemon_exit"] = self.daemon.stop()
            self.daemon = None
        if self.phones is not None:
            status["phones_exit"] = self.phones.stop()
            self.phones = None
        if self.adb is not None:
            self.adb.stop()
            self.adb = None
        return status

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
