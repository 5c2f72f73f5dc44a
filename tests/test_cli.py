"""The `tikmatrixd serve` process: start-up errors, systemd notify, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tikmatrixd.sim.testing import free_port, free_port_run


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tikmatrixd", "serve", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


@pytest.mark.parametrize("config_text, message", [
    ("[server]\nprot = 1\n", "unknown config key server.prot"),
    ('[license]\nplan = "gold"\n', "license.plan"),
    ("not toml [", "not valid TOML"),
])
def test_bad_config_exits_2_with_one_line(tmp_path: Path, config_text: str, message: str):
    path = tmp_path / "c.toml"
    path.write_text(config_text)
    process = serve("--config", str(path))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unusable_database_exits_2(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    process = serve("--db", str(blocker / "sub" / "t.db"), "--port", "50998", "--log-format", "json")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("tikmatrixd: cannot")


def test_ready_answers_and_stops_cleanly_on_sigterm(tmp_path: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(20)
    env = {"NOTIFY_SOCKET": str(notify_path), "PATH": "/usr/bin:/bin"}
    nothing_there = free_port()  # never the user's adb server on 5037
    process = serve("--port", str(port), "--db", str(tmp_path / "t.db"), "--log-format", "json",
                    "--adb-server", f"127.0.0.1:{nothing_there}", env=env)
    try:
        assert notify.recv(100) == b"READY=1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/task/stats", timeout=5) as response:
            assert json.load(response) == {"code": 0, "message": "success", "data": {
                "total": 0, "pending": 0, "running": 0, "completed": 0, "failed": 0}}
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert notify.recv(100) == b"STOPPING=1"
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 10
    finally:
        process.kill()
        process.communicate()
        notify.close()


def test_demo_posts_a_sample_video_and_stops_cleanly_on_ctrl_c(tmp_path: Path):
    """`make run`: the daemon with simulated phones on a private adb server; the README's post works;
    a client that leaves mid-body and a Ctrl-C leave no traceback and no false alarm."""
    port, base = free_port(), free_port_run(2)
    process = subprocess.Popen(
        [sys.executable, "-m", "tikmatrixd", "demo", "--devices", "2", "--port", str(port),
         "--base-port", str(base), "--db", str(tmp_path / "demo.db")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        start_new_session=True)  # its own process group, as a terminal's foreground job
    serials = {f"127.0.0.1:{base}", f"127.0.0.1:{base + 1}"}
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                devices = _get(f"{api}/devices")["data"]["devices"]
                if {d["serial"] for d in devices if d["state"] == "online" and d["worker"]} == serials:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.1)
        # The README's post: a sample video of the demo's library, on a simulated phone.
        body = json.dumps({"serials": [f"127.0.0.1:{base}"], "script_name": "post",
                           "script_config": {"captions": "Hello from tikmatrixd"}}).encode()
        request = urllib.request.Request(f"{api}/task", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            [task_id] = json.load(response)["data"]["task_ids"]
        while (task := _get(f"{api}/task/{task_id}")["data"])["status"] in (0, 1):
            assert time.monotonic() < deadline + 60, task
            time.sleep(0.2)
        assert task["status_text"] == "completed", task["error"]
        assert task["result"]["media"] == ["sample-1.mp4"]
        assert (tmp_path / "var" / "demo-media" / "sample-1.mp4").stat().st_size > 0
        # A client that sends half a body and leaves.
        with socket.create_connection(("127.0.0.1", port)) as half:
            half.sendall(b"POST /api/v1/task HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{")
            time.sleep(0.3)
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
    assert "2 simulated phones" in out and '"script_name": "post"' in out
    assert "client disconnected" in out
    assert "Traceback" not in out and "unhandled error" not in out, out[-3000:]
    assert "adb server unreachable" not in out, out[-3000:]  # the private adb server outlives the daemon


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def test_version():
    done = subprocess.run([sys.executable, "-m", "tikmatrixd", "--version"], capture_output=True, text=True,
                          timeout=30)
    from tikmatrixd import __version__
    assert (done.returncode, done.stdout.strip()) == (0, f"tikmatrixd {__version__}")
