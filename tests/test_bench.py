"""Smoke test of bench/: the cheapest benchmarks run in a tiny form and write their JSON.

Nothing here asserts a timing: numbers belong in bench/results, not in tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.cli import main

REPO = Path(__file__).resolve().parent.parent
TOP_KEYS = {"benchmark", "quick", "finished_at", "seconds", "machine", "params", "targets", "all_met", "raw", "notes"}
TARGET_KEYS = {"name", "target", "measured", "unit", "met"}


def test_store_and_api_write_their_results(tmp_path: Path) -> None:
    tiny = ["-p", "rows=3000", "-p", "samples=5",  # store
            "-p", "duration=0.3", "-p", "warmup=0.1", "-p", "prefill=200", "-p", "connections=4"]  # api
    done = subprocess.run([sys.executable, "-m", "bench", "store", "api", "--quick", *tiny, "--out", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "== store" in done.stdout and "== api" in done.stdout

    store = json.loads((tmp_path / "store.json").read_text())
    assert set(store) == TOP_KEYS and store["benchmark"] == "store" and store["quick"] is True
    assert store["params"]["rows"] == 3000 and store["raw"]["rows"] == 3000
    assert {"list none", "list status", "list serial", "list script_name", "list source", "list username",
            "stats", "hop (no-op)"} <= set(store["raw"]["queries_ms"])
    assert all(set(q) == {"p50", "p90", "p99"} for q in store["raw"]["queries_ms"].values())
    assert store["targets"] and all(set(t) == TARGET_KEYS for t in store["targets"])

    api = json.loads((tmp_path / "api.json").read_text())
    assert set(api) == TOP_KEYS and api["benchmark"] == "api"
    assert {"create", "get", "list", "stats"} <= set(api["raw"]["ratios"])
    assert {"hello (first)", "hello (last)", "create", "get", "list", "stats"} <= set(api["raw"]["runs"])
    assert all(run["errors"] == 0 and run["ok"] > 0 for run in api["raw"]["runs"].values())
    assert [t["name"] for t in api["targets"]][:4] == ["create / hello-world", "get / hello-world",
                                                       "list / hello-world", "list filtered / hello-world"]


def test_cli_refuses_unknown_names_and_parameters(capsys: object) -> None:
    assert main(["nope"]) == 2
    assert main(["store", "-p", "duration=1"]) == 2  # duration is api's, not store's


def test_dispatch_runs_the_real_follow_on_real_sized_screens(tmp_path: Path) -> None:
    """The real script at its floor of device round trips: open, look, tap, look again, close."""
    tiny = ["-p", "devices=3", "-p", "tasks_per_device=1", "-p", "idle_seconds=0.5", "-p", "runner=real",
            "-p", "language=fr", "-p", "latency=none"]
    done = subprocess.run([sys.executable, "-m", "bench", "dispatch", "--quick", *tiny, "--out", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    dispatch = json.loads((tmp_path / "dispatch.json").read_text())
    raw = dispatch["raw"]
    assert (raw["tasks"], raw["completed"]) == (3, 3), dispatch["notes"]
    assert raw["adb_calls_per_task"]["max"] == 5 and raw["dumps_per_task"] == 2
    assert raw["daemon_cpu_ms_per_dump"] is not None
