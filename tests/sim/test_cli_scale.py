"""`tikmatrixd sim` as a separate process, its control endpoint, and 200 phones on one server."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.request

from tikmatrixd.sim import adbhost
from tikmatrixd.sim.testing import SimFarm, free_port_run

SCALE_DEVICES = 200


def _http(url: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


async def test_cli_connects_five_devices_and_removes_them_on_sigterm(adb_server_factory):
    server = adb_server_factory()
    base = free_port_run(5)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tikmatrixd", "sim", "--devices", "5", "--connect", "--base-port", str(base),
        "--adb-server", server.address, "--control-port", "0", "--language", "en,fr",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=server.env)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line, (await proc.stderr.read()).decode()
        ready = json.loads(line)
        assert ready["devices"] == [f"127.0.0.1:{base + i}" for i in range(5)]
        rc, out, _ = await server.aadb("devices", "-l")
        lines = [ln for ln in out.decode().splitlines() if ln.startswith("127.0.0.1:")]
        assert len(lines) == 5 and all(" device " in ln and "model:" in ln for ln in lines)
        # the control endpoint, from this (other) process
        control = f"http://127.0.0.1:{ready['control']}"
        devices = await asyncio.to_thread(_http, f"{control}/devices")
        assert [d["language"] for d in devices] == ["en", "fr", "en", "fr", "en"]
        serial = ready["devices"][1]
        await asyncio.to_thread(_http, f"{control}/devices/{serial}/seed",
                                {"follows": {"com.instagram.android": {"ig_sim001_1": ["alice"]}}})
        rc, out, _ = await server.aadb("-s", serial, "shell",
                                       "am start -a android.intent.action.VIEW -d https://instagram.com/alice")
        state = await asyncio.to_thread(_http, f"{control}/devices/{serial}")
        assert state["screens"]["com.instagram.android"] == "profile"
        assert state["apps"]["com.instagram.android"]["follows"]["ig_sim001_1"] == ["alice"]
        assert state["commands"][-1]["command"].startswith("am start")
        await asyncio.to_thread(_http, f"{control}/devices/{serial}/faults", {"idle_error_rate": 1.0})
        rc, out, _ = await server.aadb("-s", serial, "shell", "uiautomator dump /dev/tty")
        assert out == b"ERROR: could not get idle state.\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(proc.wait(), 30)
    assert rc == 0
    rc, out, _ = await server.aadb("devices")
    assert "127.0.0.1:" not in out.decode()


async def test_200_devices_answer_a_shell_command_concurrently(adb_server_factory):
    server = adb_server_factory()  # fresh: the 29.0.6 server dislikes big churn on one instance
    async with SimFarm(SCALE_DEVICES, adb_server=server) as farm:
        states = await adbhost.devices(server.address)
        assert sum(1 for s in farm.serials if states.get(s) == "device") == SCALE_DEVICES

        async def shell(serial: str) -> str:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            try:
                for req in (f"host:transport:{serial}", "shell:getprop ro.serialno"):
                    writer.write(f"{len(req):04x}{req}".encode())
                    await writer.drain()
                    assert await reader.readexactly(4) == b"OKAY"
                return (await reader.read()).decode().strip()
            finally:
                writer.close()

        loop = asyncio.get_running_loop()
        start = loop.time()
        answers = await asyncio.gather(*(shell(s) for s in farm.serials))
        elapsed = loop.time() - start
        assert answers == [d.name for d in farm]
        assert elapsed < 10
