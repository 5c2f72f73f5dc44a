"""dispatch: the real scripts on farms of several sizes; the daemon's makespan against the phones' own time.

For each size in ``sizes`` (50, 200, 500 phones at full size), a fresh farm:
the phones (tikmatrixd.sim with its realistic latencies, each call's drawn
within +-``spread`` of it, screens built from real dumps with ``language=fr``)
split over processes of ``phones_per_process``, attached to
ceil(size / ``phones_per_adb_server``) private adb servers (at most 5), and
the daemon following all of them. After every phone is healthy the
daemon's CPU is sampled for ``idle_seconds``. Then every phone gets one task
of each kind in ``mix``, ``rounds`` times, all created at once:

- ``follow_direct``: the profile opened by its link (follow, access_method direct);
- ``follow_search``: the user found through the app's search (access_method search);
- ``post_share``: a video pushed and handed to the app by a share intent (post_way share);
- ``post_addButton``: the same through the app's Create button and gallery (post_way addButton).

``-p spread=0`` is the worst case: every phone takes exactly as long for every
command, so all of them ask for a dump at the same instant, step after step,
and the daemon parses them in bursts of the farm's size.

Targets per size (issue "Performance on real work"):

- makespan <= 1.05 x floor up to 500 phones, <= 1.10 x at 1,000: the *floor*
  is the busiest phone's total injected latency (what a real phone would
  take for the commands it served); the makespan runs from the first create
  request to the last ``finished_at`` in the store;
- idle CPU with every phone attached and no task < 1 % of a core;
- peak RSS (VmHWM) of the daemon < 200 MB.

Reported per size: adb calls and dumps per task by kind (next to the floor
a person would need, ``FLOORS``), daemon CPU ms per task and per dump, and
the CPU of every other process (phones, adb servers): on 2 cores they all
share the machine with the daemon, so a missed target can be told apart
from a starved one. ``-p runner=open_profile`` runs the old 3-call stand-in
script instead of the real ones (follow tasks only).
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Result, Target, cpu_seconds, memory_mb, percentiles, rounded, sample_cpu
from bench.rig import Rig
from tikmatrixd.sim.state import REALISTIC_SPREAD

NAME = "dispatch"
TARGET_IDLE_CPU = 1.0  # % of one core
TARGET_RSS_MB = 200.0
MAX_ADB_SERVERS = 5

#: Kind → (script_name, script_config without targets or media).
KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "follow_direct": ("follow", {"access_method": "direct"}),
    "follow_search": ("follow", {"access_method": "search"}),
    "post_share": ("post", {"post_way": "share"}),
    "post_addButton": ("post", {"post_way": "addButton"}),
}

#: Kind → (adb calls, dumps) a person would need, step by step; the daemon's scripts are at these
#: floors (tests/test_bench.py checks it). Steps that are not obvious, and why they are needed:
#: - force-stop before a launch: the app may be in any screen (a user, a failed task); a cold start
#:   lands on the feed, where the script's first selector is;
#: - "settings get secure default_input_method" before typing: text goes in through the ADBKeyboard
#:   broadcast, which types nothing when the user switched keyboards since the last task;
#: - the uri lookup of a pushed file: it waits for the media scan (a gallery or share opened before
#:   the file is scanned shows, and posts, the phone's newest other video).
FLOORS: dict[str, tuple[int, int]] = {
    # am start the profile link; dump; tap Follow; dump (Following?); force-stop.
    "follow_direct": (5, 2),
    # force-stop; launch; dump (feed); tap Search; dump; tap the field; IME check; type; enter;
    # dump (results); tap the Users tab; dump; tap the user; dump (profile); tap Follow; dump; force-stop.
    "follow_search": (17, 6),
    # push; scan; uri lookup; am start the share intent; dump (editor); tap Next; dump (post screen);
    # tap the caption; IME check; type; dump (the keyboard moved Post); tap Post; dump (upload);
    # force-stop; rm the file (and scan it away).
    "post_share": (15, 4),
    # push; scan; uri lookup; force-stop; launch; dump (feed); tap Create; dump (camera); tap Upload;
    # dump (gallery); tap our video; dump (Next appears); tap Next; dump (editor); tap Next; dump
    # (post screen); tap the caption; IME check; type; dump; tap Post; dump (upload); force-stop; rm.
    "post_addButton": (24, 8),
}


def target_ratio(size: int) -> float:
    return 1.05 if size <= 500 else 1.10


@dataclass
class Params:
    sizes: str = "50,200,500"  # phones per farm, one farm after the other
    mix: str = "follow_direct,follow_search,post_share,post_addButton"  # see KINDS
    rounds: int = 1  # each phone runs the mix this many times
    phones_per_adb_server: int = 200
    phones_per_process: int = 250
    idle_seconds: float = 10.0
    latency: str = "realistic"  # see bench.simfarm
    spread: float = REALISTIC_SPREAD  # each call's latency x [1 - spread, 1 + spread]; 0: phones in lockstep
    runner: str = "real"  # the daemon's own scripts; "open_profile": the 3-call stand-in (follow only)
    language: str = "fr"  # the phones'; "fr" serves TikTok screens built from real dumps
    adb_socket: str = "tcp"  # how the daemon reaches the adb servers: "tcp" (host:port) or "unix" (localfilesystem:)

    @classmethod
    def quick(cls) -> Params:
        return cls(sizes="20", idle_seconds=3.0)

    def size_list(self) -> list[int]:
        return [int(size) for size in self.sizes.split(",") if size.strip()]

    def kinds(self) -> list[str]:
        kinds = [kind.strip() for kind in self.mix.split(",") if kind.strip()]
        unknown = [kind for kind in kinds if kind not in KINDS]
        if unknown or not kinds:
            raise ValueError(f"mix: unknown kind {unknown[0] if unknown else '(none)'}; choose from {', '.join(KINDS)}")
        if self.runner != "real" and any(KINDS[kind][0] != "follow" for kind in kinds):
            raise ValueError(f"runner {self.runner} runs follow tasks only: use -p mix=follow_direct")
        return kinds


@dataclass
class Measured:
    """What one farm size observed, before it is turned into targets."""

    size: int
    adb_servers: int
    processes: int
    created_at: float  # just before the first create request (epoch s)
    create_seconds: float
    rows: list[tuple[Any, ...]]  # see _task_rows
    phones: dict[str, dict[str, float]]  # serial -> bench.simfarm.Tally's fields
    idle: dict[str, dict[str, float]]  # process -> CPU over the idle window
    idle_memory: dict[str, float]
    memory: dict[str, float]  # the daemon's, after the run (peak = VmHWM)
    cpu_used: dict[str, float]  # process -> CPU seconds during the run
    startup: dict[str, float]
    exits: dict[str, Any]


def run(params: Params, workdir: Path) -> Result:
    kinds = params.kinds()
    if params.adb_socket not in ("tcp", "unix"):
        raise ValueError(f"adb_socket: {params.adb_socket!r}; choose tcp or unix")
    media = workdir / "media"
    media.mkdir(exist_ok=True)
    (media / "clip.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + bytes(200_000))  # a 200 kB stand-in video
    measured = [_run_size(size, kinds, params, workdir / f"farm{size}", media) for size in params.size_list()]
    return _result(params, kinds, measured)


def _run_size(size: int, kinds: list[str], params: Params, workdir: Path, media: Path) -> Measured:
    workdir.mkdir(parents=True, exist_ok=True)
    adb_servers = min(MAX_ADB_SERVERS, math.ceil(size / params.phones_per_adb_server))
    processes = max(adb_servers, math.ceil(size / params.phones_per_process))
    rig = Rig(workdir, devices=size, latency=params.latency, runner=params.runner, language=params.language,
              adb_servers=adb_servers, processes=processes, media_root=media, spread=params.spread,
              unix_sockets=params.adb_socket == "unix")
    try:
        rig.start_phones()
        rig.start_daemon()
        pids = rig.pids
        time.sleep(1.0)  # let start-up settle (probes answered, app versions stored)
        idle = sample_cpu(pids, params.idle_seconds)
        idle_memory = memory_mb(pids["daemon"])
        rig.phone_stats("reset")

        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        created_at = time.time()
        ids: list[int] = []
        for round_ in range(params.rounds):
            for kind in kinds:
                ids += rig.call("POST", "/api/v1/task", _create_body(kind, rig.serials, media, round_))["task_ids"]
        create_seconds = time.time() - created_at
        _wait_done(rig, len(ids), timeout=300 + 120 * params.rounds * len(kinds))
        cpu_used = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        memory = memory_mb(pids["daemon"])
        phones = rig.phone_stats()["devices"]
        rows = _task_rows(rig.db, ids)
        return Measured(size=size, adb_servers=adb_servers, processes=processes, created_at=created_at,
                        create_seconds=create_seconds, rows=rows, phones=phones, idle=idle, idle_memory=idle_memory,
                        memory=memory, cpu_used=cpu_used, startup=rig.timings, exits=rig.close())
    finally:
        rig.close()


def _create_body(kind: str, serials: list[str], media: Path, round_: int) -> dict[str, Any]:
    script_name, config = KINDS[kind]
    if script_name == "follow":
        config = {**config, "target_users": [f"@bench_{kind}_{round_}"]}
    else:
        config = {**config, "material_list": [str(media / "clip.mp4")], "captions": f"bench {kind} {round_}"}
    return {"serials": serials, "script_name": script_name, "script_config": config}


def _wait_done(rig: Rig, total: int, timeout: float) -> None:
    """Until no task is pending or running (the orchestrator polls; the daemon never does)."""
    deadline = time.monotonic() + timeout
    while True:
        stats = rig.call("GET", "/api/v1/task/stats")
        if stats["completed"] + stats["failed"] >= total:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"tasks not done after {timeout:.0f} s: {stats}")
        time.sleep(0.5)


def _task_rows(db: Path, ids: list[int]) -> list[tuple[Any, ...]]:
    """(serial, status, started_at, finished_at, adb_calls, dumps, kind, error reason) from the store."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT serial, status, started_at, finished_at, json_extract(result, '$.adb_calls'),"
            " coalesce(json_extract(result, '$.dumps'), 0),"
            " script_name || '_' || coalesce(json_extract(script_config, '$.access_method'),"
            "                                json_extract(script_config, '$.post_way')),"
            " json_extract(error, '$.reason')"
            " FROM tasks WHERE id BETWEEN ? AND ?", (min(ids), max(ids))).fetchall()
    finally:
        conn.close()


def _result(params: Params, kinds: list[str], runs: list[Measured]) -> Result:
    result = Result(NAME, params.__dict__)
    raw: dict[str, Any] = {"floors": {kind: {"adb_calls": FLOORS[kind][0], "dumps": FLOORS[kind][1]}
                                      for kind in kinds}, "sizes": {}}
    for m in runs:
        numbers = _size_numbers(m, kinds)
        raw["sizes"][str(m.size)] = numbers
        ratio, limit = numbers["makespan_over_floor"], target_ratio(m.size)
        idle_cpu = numbers["idle"]["daemon"]["percent_of_core"]
        peak_rss = numbers["daemon_memory_mb"].get("peak_rss_mb")
        result.targets += [
            Target(f"{m.size} phones: makespan / floor", f"<= {limit:.2f} x", ratio, "x",
                   ratio is not None and ratio <= limit),
            Target(f"{m.size} phones: idle CPU", f"< {TARGET_IDLE_CPU:g} % of a core", idle_cpu, "%",
                   idle_cpu < TARGET_IDLE_CPU),
            Target(f"{m.size} phones: peak RSS", f"< {TARGET_RSS_MB:g} MB", peak_rss, "MB",
                   peak_rss is not None and peak_rss < TARGET_RSS_MB),
            Target(f"{m.size} phones: daemon CPU / dump", "reported", numbers["daemon_cpu_ms_per_dump"], "ms", None),
            Target(f"{m.size} phones: daemon CPU / task", f"reported (the target leaves it "
                   f"{numbers['cpu_budget']['daemon_ms_per_task_at_target']:.1f})",
                   numbers["daemon_cpu_ms_per_task"], "ms", None),
        ]
        if numbers["completed"] != numbers["tasks"]:
            result.notes.append(f"{m.size} phones: {numbers['tasks'] - numbers['completed']} of {numbers['tasks']} "
                                f"tasks did not complete ({numbers['failure_reasons']})")
        if not numbers["floor_seconds"]:
            result.notes.append("the phones counted no injected latency: check --latency, and that bench.simfarm's "
                                "wrappers still match tikmatrixd.sim's SimDevice.run_command/delay")
        over = {kind: k for kind, k in numbers["by_kind"].items()
                if k["adb_calls"]["max"] is not None and (k["adb_calls"]["max"] > FLOORS[kind][0]
                                                          or k["dumps"]["max"] > FLOORS[kind][1])}
        if over and params.runner == "real":
            result.notes.append(f"{m.size} phones: above the floor of device round trips: {sorted(over)}")
    result.raw = rounded(raw, 4)
    return result


def _cpu_budget(m: Measured, floor: float, tasks: int) -> dict[str, Any]:
    """What the makespan target leaves the daemon: within target x floor, the machine's cores less
    what the rig (simulated phones, adb servers) used, and at most one core (one event loop). The
    rig's CPU goes with the commands it serves, not with the makespan, so this holds for a faster run."""
    cores = os.cpu_count() or 1
    window = target_ratio(m.size) * floor
    rig = sum(used for name, used in m.cpu_used.items() if name != "daemon")
    left = max(0.0, min(window, cores * window - rig))
    return {"cores": cores, "target_window_seconds": window, "rig_cpu_seconds": rig,
            "rig_cores_within_window": rig / window if window else None,
            "daemon_ms_per_task_at_target": 1000 * left / max(1, tasks)}


def _size_numbers(m: Measured, kinds: list[str]) -> dict[str, Any]:
    rows, phones = m.rows, m.phones
    finished = [r[3] for r in rows if r[3] is not None]
    makespan = max(finished) - m.created_at if finished else None
    floor_serial = max(phones, key=lambda s: phones[s]["injected"])
    floor = phones[floor_serial]["injected"]
    last_by_serial: dict[str, float] = {}
    for serial, _, _, done, *_ in rows:
        if done is not None:
            last_by_serial[serial] = max(done, last_by_serial.get(serial, 0.0))
    per_phone = [(last_by_serial[s] - m.created_at) / p["injected"] for s, p in phones.items()
                 if p["injected"] and s in last_by_serial]
    dumps = sum(r[5] for r in rows)
    by_kind = {}
    for kind in kinds:
        mine = [r for r in rows if r[6] == kind]
        calls, kind_dumps = [r[4] for r in mine if r[4] is not None], [r[5] for r in mine if r[4] is not None]
        by_kind[kind] = {
            "tasks": len(mine), "completed": sum(1 for r in mine if r[1] == 2),
            "adb_calls": {"mean": sum(calls) / len(calls) if calls else None, "max": max(calls, default=None),
                          "floor": FLOORS[kind][0]},
            "dumps": {"mean": sum(kind_dumps) / len(kind_dumps) if kind_dumps else None,
                      "max": max(kind_dumps, default=None), "floor": FLOORS[kind][1]},
        }
    statuses = [r[1] for r in rows]
    starts = [r[2] for r in rows if r[2] is not None]
    reasons: dict[str, int] = {}
    for r in rows:
        if r[1] == 3:
            reasons[r[7] or "?"] = reasons.get(r[7] or "?", 0) + 1
    return {
        "phones": m.size, "adb_servers": m.adb_servers, "phone_processes": m.processes,
        "tasks": len(rows), "completed": statuses.count(2), "failed": statuses.count(3), "failure_reasons": reasons,
        "makespan_seconds": makespan, "floor_seconds": floor, "floor_serial": floor_serial,
        "makespan_over_floor": makespan / floor if makespan and floor else None,
        "overhead_per_task_ms": 1000 * (makespan - floor) / max(1, len(rows) / m.size) if makespan else None,
        "ratio_per_phone": percentiles(per_phone, (50, 99, 100)),
        "injected_seconds_per_phone": percentiles([p["injected"] for p in phones.values()], (0, 50, 100)),
        "slept_seconds_busiest_phone": phones[floor_serial]["slept"],
        # Where a phone's time went (medians over phones): its injected latency; the rest of serving
        # its commands (the simulator's own work and lag); between an answer and the next command
        # (the daemon's turn, and the adb server's both ways).
        "phone_seconds_p50": {
            "injected": percentiles([p["injected"] for p in phones.values()], (50,))["p50"],
            "simulator": percentiles([p["serving"] - p["injected"] for p in phones.values()], (50,))["p50"],
            "between_commands": percentiles([p["between"] for p in phones.values()], (50,))["p50"],
        },
        "commands_served": sum(p["commands"] for p in phones.values()),
        "by_kind": by_kind,
        "create_requests_seconds": m.create_seconds,
        "first_start_after_create_seconds": min(starts) - m.created_at if starts else None,
        "idle": {**m.idle, "daemon_memory_mb": m.idle_memory},
        "run_cpu_seconds": m.cpu_used,
        "run_cpu_percent_of_core": {name: 100 * used / makespan for name, used in m.cpu_used.items()}
        if makespan else {},
        "daemon_cpu_ms_per_task": 1000 * m.cpu_used["daemon"] / max(1, len(rows)),
        "cpu_budget": _cpu_budget(m, floor, len(rows)),
        "dumps_per_task": dumps / max(1, len(rows)),
        "daemon_cpu_ms_per_dump": 1000 * m.cpu_used["daemon"] / dumps if dumps else None,
        "daemon_memory_mb": m.memory,
        "startup": m.startup, "exit_status": m.exits,
    }
