"""Smoke test of bench/: the cheapest benchmarks run in a tiny form and write their JSON.

Nothing here asserts a timing: numbers belong in bench/results, not in tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.cli import main
from bench.dispatch import FLOORS

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
    assert {"create", "get", "list", "list filtered", "stats"} <= set(api["raw"]["runs"])
    assert len(api["raw"]["hello_runs"]) == len(api["raw"]["runs"]) + 1  # one before and after each row
    runs = [*api["raw"]["runs"].values(), *api["raw"]["hello_runs"]]
    assert all(run["errors"] == 0 and run["ok"] > 0 for run in runs)
    assert [(t["name"], t["target"]) for t in api["targets"]][:5] == [
        ("create / hello-world", ">= 40%"), ("get / hello-world", ">= 60%"), ("list / hello-world", ">= 30%"),
        ("list filtered / hello-world", ">= 30%"), ("stats / hello-world", ">= 70%")]
    assert all(t["measured"] > 0 for t in api["targets"] if t["name"].endswith("p99 latency"))


def test_cli_refuses_unknown_names_and_parameters(capsys: object) -> None:
    assert main(["nope"]) == 2
    assert main(["store", "-p", "duration=1"]) == 2  # duration is api's, not store's


def test_dispatch_runs_the_real_scripts_at_their_floor_of_device_round_trips(tmp_path: Path) -> None:
    """Each kind of task (follow direct and by search, post by share and by the Create button) on
    real-sized screens, with no more adb calls and dumps than the steps a person needs (FLOORS)."""
    tiny = ["-p", "sizes=2", "-p", "idle_seconds=0.5", "-p", "latency=none"]
    done = subprocess.run([sys.executable, "-m", "bench", "dispatch", "--quick", *tiny, "--out", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    dispatch = json.loads((tmp_path / "dispatch.json").read_text())
    [(size, raw)] = dispatch["raw"]["sizes"].items()
    assert size == "2" and (raw["tasks"], raw["completed"]) == (8, 8), dispatch["notes"]
    assert set(raw["by_kind"]) == set(FLOORS)
    for kind, (calls, dumps) in FLOORS.items():
        numbers = raw["by_kind"][kind]
        assert (numbers["completed"], numbers["adb_calls"]["max"], numbers["dumps"]["max"]) == (2, calls, dumps), kind
    assert raw["daemon_cpu_ms_per_dump"] is not None
    assert raw["cpu_budget"]["cores"] >= 1 and raw["cpu_budget"]["rig_cpu_seconds"] > 0
    assert [t["name"] for t in dispatch["targets"]][:3] == [
        "2 phones: makespan / floor", "2 phones: idle CPU", "2 phones: peak RSS"]


def test_schedule_starts_scheduled_tasks_and_reports_their_delay(tmp_path: Path) -> None:
    tiny = ["-p", "tasks=60", "-p", "devices=2", "-p", "spread=2", "-p", "lead=3"]
    done = subprocess.run([sys.executable, "-m", "bench", "schedule", "--quick", *tiny, "--out", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    schedule = json.loads((tmp_path / "schedule.json").read_text())
    raw = schedule["raw"]
    assert (raw["tasks"], raw["completed"], raw["started_early"]) == (60, 60, 0), schedule["notes"]
    assert raw["start_delay_seconds"]["p99"] is not None
    assert [t["name"] for t in schedule["targets"]] == ["start delay p99", "start delay p50"]
