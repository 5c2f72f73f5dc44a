"""The daemon as a process: kill -9 and restart, SIGTERM mid-task, the adb server restarted mid-run."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.conftest import wait_until
from tests.e2e.test_runtime import opened_profiles
from tikmatrixd.sim.testing import AdbServer, free_port


class Daemon:
    """A tikmatrixd process (with the test script) and an HTTP session to it."""

    def __init__(self, tmp_path: Path, servers: list[AdbServer], connect: list[str] = (), extra: str = "") -> None:
        self.port = free_port()
        self.config = tmp_path / "daemon.toml"
        self.config.write_text(
            f'[server]\nport = {self.port}\n[store]\npath = "{tmp_path / "tasks.db"}"\n'
            f"[adb]\nservers = {json.dumps([s.address for s in servers])}\n"
            f"connect = {json.dumps(list(connect))}\nprobe_timeout = 5.0\n{extra}")
        self.log = tmp_path / "daemon.log"
        self.process: subprocess.Popen | None = None
        self.session = aiohttp.ClientSession(f"http://127.0.0.1:{self.port}")

    async def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "tests.e2e.launch", str(self.config)],
                                            stdout=log, stderr=subprocess.STDOUT)
        await wait_until(self._answers, timeout=30)

    async def _answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()[-2000:]
        try:
            async with self.session.get("/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def call(self, method: str, path: str, **kwargs):
        async with self.session.request(method, path, **kwargs) as response:
            return response.status, await response.json()

    async def task(self, task_id: int) -> dict:
        status, body = await self.call("GET", f"/api/v1/task/{task_id}")
        assert status == 200, body
        return body["data"]

    async def wait_task(self, task_id: int, *states: str, timeout: float = 30.0) -> dict:
        async def check():
            current = await self.task(task_id)
            return current if current["status_text"] in states else None

        return await wait_until(check, timeout)

    async def wait_online(self, serials: list[str]) -> None:
        async def check():
            _, body = await self.call("GET", "/api/v1/devices")
            healthy = {d["serial"] for d in body["data"]["devices"] if d["healthy"]}
            return set(serials) <= healthy

        await wait_until(check, timeout=30)

    async def create(self, serial: str, targets: list[str]) -> list[int]:
        status, body = await self.call("POST", "/api/v1/task", json={
            "serials": [serial], "script_name": "follow", "script_config": {"target_users": targets}})
        assert status == 200, body
        return body["data"]["task_ids"]

    def signal(self, signum: int) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        return self.process.wait(timeout=15)

    async def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        await self.session.close()


@pytest.fixture
async def daemon_process(tmp_path):
    started: list[Daemon] = []

    def make(servers, connect=(), extra=""):
        daemon = Daemon(tmp_path, servers, connect, extra)
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        await daemon.close()


async def hold_on_first_phone(adb_servers, farms, daemon_process, n=1, connect=False):
    """A daemon process over n phones, running a long task on the first with one queued behind."""
    server = adb_servers()
    farm = await farms(n, server)
    daemon = daemon_process([server], connect=farm.serials if connect else ())
    await daemon.start()
    await daemon.wait_online(farm.serials)
    hold, after = await daemon.create(farm[0].serial, ["hold", "after"])
    running = await daemon.wait_task(hold, "running")
    return server, farm, daemon, running, after


async def test_kill_9_mid_run_then_restart(adb_servers, farms, daemon_process):
    _, farm, daemon, running, after = await hold_on_first_phone(adb_servers, farms, daemon_process)
    hold = running["id"]

    assert daemon.signal(signal.SIGKILL) == -signal.SIGKILL
    await daemon.start()
    interrupted = await daemon.task(hold)
    assert (interrupted["status_text"], interrupted["error"]["reason"]) == ("failed", "interrupted")
    assert interrupted["started_at"] == running["started_at"]  # not run again
    done = await daemon.wait_task(after, "completed")  # the pending task was picked up
    assert done["retry_count"] == 0
    assert opened_profiles(farm[0]) == ["https://www.tiktok.com/@after"]
    _, stats = await daemon.call("GET", "/api/v1/task/stats")
    assert stats["data"] == {"total": 2, "pending": 0, "running": 0, "completed": 1, "failed": 1}


async def test_sigterm_cancels_running_scripts_cleans_up_and_exits_0(adb_servers, farms, daemon_process):
    _, farm, daemon, running, after = await hold_on_first_phone(adb_servers, farms, daemon_process)
    hold = running["id"]
    farm[0].state.foreground = "com.zhiliaoapp.musically"

    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, daemon.signal, signal.SIGTERM) == 0
    assert farm[0].state.foreground == "launcher"  # the script's cleanup ran before exit
    await daemon.start()
    stopped = await daemon.task(hold)
    assert (stopped["status_text"], stopped["error"]["reason"]) == ("failed", "interrupted")
    assert "shut down" in stopped["error"]["message"]
    await daemon.wait_task(after, "completed")


async def test_adb_server_killed_and_restarted_mid_run(adb_servers, farms, daemon_process):
    # With connect=True the daemon `adb connect`s the TCP phones again after the restart.
    server, farm, daemon, running, after = await hold_on_first_phone(adb_servers, farms, daemon_process,
                                                                     n=2, connect=True)
    hold = running["id"]

    server.process.kill()  # only the server this test started
    server.process.wait()
    dropped = await daemon.wait_task(hold, "failed")
    assert dropped["error"]["reason"] == "device_disconnected"
    assert (await daemon.task(after))["status_text"] == "pending"

    restarted = AdbServer.start(port=server.port)
    try:
        [other] = await daemon.create(farm[1].serial, ["other"])
        await daemon.wait_task(after, "completed", timeout=60)
        await daemon.wait_task(other, "completed", timeout=60)
    finally:
        restarted.stop()
    assert opened_profiles(farm[0]) == ["https://www.tiktok.com/@after"]
    assert opened_profiles(farm[1]) == ["https://www.tiktok.com/@other"]


async def test_each_log_line_of_a_request_carries_its_request_id(adb_servers, daemon_process):
    daemon = daemon_process([adb_servers()])
    await daemon.start()
    async with daemon.session.post("/api/v1/task", json={"serials": ["NOT-A-PHONE"], "script_name": "follow",
                                                         "script_config": {"target_users": ["@a"]}}) as response:
        request_id = response.headers["X-Request-Id"]
        assert response.status == 400
    async with daemon.session.get("/api/v1/task/stats") as response:
        assert response.status == 200
    lines = [json.loads(line) for line in daemon.log.read_text().splitlines() if line.startswith("{")]
    [logged] = [line for line in lines if line.get("event") == "request" and line.get("method") == "POST"]
    assert (logged["request_id"], logged["path"], logged["status"]) == (request_id, "/api/v1/task", 400)
    assert all("request_id" not in line for line in lines if line.get("event") != "request")  # start-up lines
