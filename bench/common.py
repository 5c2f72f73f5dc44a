"""What every benchmark shares: results, percentiles, child processes, their CPU and memory.

Benchmarks start their servers as child processes (never in the process
that measures), so each process's CPU time and RSS are its own. Children are
stopped by their pid, and only the ones started here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- results ------------------------------------------------------------------------------------


@dataclass
class Target:
    """One DESIGN.md performance target and what this run measured for it."""

    name: str
    target: str  # human form, e.g. "p50 < 10 ms"
    measured: float | None
    unit: str
    met: bool | None  # None: not measurable in this run

    def line(self) -> str:
        verdict = {True: "met", False: "MISSED", None: "n/a"}[self.met]
        value = "-" if self.measured is None else f"{self.measured:.4g} {self.unit}".strip()
        return f"{self.name:<34} {value:>16}   target {self.target:<22} {verdict}"


@dataclass
class Result:
    benchmark: str
    params: dict[str, Any]
    targets: list[Target] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self, quick: bool, seconds: float) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "quick": quick,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": round(seconds, 2),
            "machine": machine(),
            "params": self.params,
            "targets": [dataclasses.asdict(t) for t in self.targets],
            "all_met": all(t.met is not False for t in self.targets),
            "raw": self.raw,
            "notes": self.notes,
        }


def machine() -> dict[str, Any]:
    """Enough to tell two result files from different machines apart."""
    import aiohttp

    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
        "aiohttp": aiohttp.__version__, "sqlite": sqlite3.sqlite_version,
        "loadavg_at_end": [round(x, 2) for x in load],
    }


def write_result(data: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{data['benchmark']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)
    return path


def percentiles(values: Sequence[float], points: Sequence[int] = (50, 99)) -> dict[str, float | None]:
    """Nearest-rank percentiles, e.g. {"p50": ..., "p99": ...}; None for an empty sample."""
    ordered = sorted(values)
    out: dict[str, float | None] = {}
    for p in points:
        if not ordered:
            out[f"p{p}"] = None
            continue
        rank = max(1, -(-p * len(ordered) // 100))  # ceil(p/100 * n)
        out[f"p{p}"] = ordered[rank - 1]
    return out


def rounded(value: Any, digits: int = 4) -> Any:
    """Round every float in a nested structure (JSON stays readable)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value


# -- processes ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15)


def memory_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory, in MB."""
    found: dict[str, float] = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = int(value.split()[0]) / 1024
    return found


def child_env() -> dict[str, str]:
    """Children import `bench` and `tikmatrixd` from this tree, whatever the caller's cwd."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.pop("NOTIFY_SOCKET", None)  # a child must never talk to our systemd
    return env


class Child:
    """A Python child process (``python -m MODULE ARGS``) that prints JSON lines on stdout.

    Its stderr goes to ``log_path``. Its stdout is read by a thread, so that
    waiting for a line (the ready line, or an answer to a command written to
    its stdin) can time out even when the child hangs.
    """

    def __init__(self, module: str, args: Sequence[str], log_path: Path, *, stdin: bool = False) -> None:
        self.log_path = log_path
        self._log: IO[bytes] = open(log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=REPO, env=child_env(),
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log,
            text=True, bufsize=1,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name=f"stdout of {module}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put("")  # end of output

    def read_json(self, timeout: float = 120.0) -> dict[str, Any]:
        """The next JSON line the child prints; other lines are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"{self.describe()} said nothing within {timeout} s") from None
            if not line:
                self._lines.put("")  # stays at its end
                raise RuntimeError(f"{self.describe()} exited ({self.process.poll()}); log:\n{self.log_tail()}")
            if line.strip().startswith("{"):
                return json.loads(line)

    def ask(self, command: str, timeout: float = 60.0) -> dict[str, Any]:
        """Write one command line to the child's stdin; return its JSON answer."""
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.read_json(timeout)

    def describe(self) -> str:
        return " ".join(self.process.args[2:4]) if isinstance(self.process.args, list) else str(self.process.args)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (graceful), then SIGKILL after ``timeout``; by pid, this child only."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._reader.join(5)
        if self.process.stdin is not None:
            self.process.stdin.close()
        self._log.close()
        return self.process.returncode


def run_json(module: str, args: Sequence[str], timeout: float) -> dict[str, Any]:
    """Run ``python -m MODULE ARGS`` to the end; its last stdout line is JSON."""
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=child_env(), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


#: No proxy, whatever the environment says: every request stays on loopback.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(method: str, url: str, body: Any = None, timeout: float = 60.0) -> Any:
    """One request to a loopback server; the envelope's ``data`` (raises on a non-zero code)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"benchmarks only talk to loopback, not {url}")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with _DIRECT.open(request, timeout=timeout) as response:
        envelope = json.loads(response.read())
    if envelope.get("code") != 0:
        raise RuntimeError(f"{method} {url}: {envelope}")
    return envelope["data"]


def sample_cpu(pids: dict[str, int], seconds: float) -> dict[str, dict[str, float]]:
    """CPU each process uses over the same ``seconds`` of wall time, as a percentage of one core.

    /proc counts in clock ticks (10 ms): over 10 s the resolution is 0.1 %.
    """
    before, started = {name: cpu_seconds(pid) for name, pid in pids.items()}, time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - started
    used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    return {name: {"cpu_seconds": u, "wall_seconds": wall, "percent_of_core": 100.0 * u / wall}
            for name, u in used.items()}
