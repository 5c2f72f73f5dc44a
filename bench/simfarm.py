"""``python -m bench.simfarm --devices N --adb-server HOST:PORT [--latency SPEC]``: phones in a process of their own.

``tikmatrixd sim`` with bookkeeping for the benchmarks: every device counts
the shell commands it serves and the latency it injects (the time a real
phone would spend on them). The simulated phones run on an asyncio loop;
in their own process, their CPU never counts as the daemon's.

Prints ``{"ready": true, "serials": [...]}`` once every device is ``device``
on the adb server, then answers one JSON line per command read on stdin:

- ``reset``: zero the counters (after the daemon's start-up probes);
- ``stats``: per device the :class:`Tally`: ``commands``, ``injected``
  (seconds of latency the sim drew for them, by its own rule), ``slept``
  (seconds actually spent in those sleeps, which includes the sim loop's own
  lag), ``serving`` and ``between`` (where the phone's time went);
- ``quit`` (or end of input, or SIGTERM): disconnect and exit.

SPEC is ``realistic`` (tikmatrixd.sim's phone-like latencies), ``none``, or a
JSON object ``{"input": 0.3, "default": 0.03, ...}`` (seconds per command kind).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tikmatrixd.sim.device import SimDevice
from tikmatrixd.sim.farm import Farm
from tikmatrixd.sim.state import REALISTIC_LATENCY


def latency_spec(spec: str) -> dict[str, float]:
    if spec == "realistic":
        return dict(REALISTIC_LATENCY)
    if spec == "none":
        return {}
    return {kind: float(seconds) for kind, seconds in json.loads(spec).items()}


@dataclass
class Tally:
    """One phone's commands and where its time went: ``serving`` (a command's start to its answer,
    the injected latency included), ``between`` (an answer to the next command: the daemon's turn,
    and the adb server's both ways)."""

    commands: int = 0
    injected: float = 0.0
    slept: float = 0.0
    serving: float = 0.0
    between: float = 0.0
    answered_at: float = 0.0

    def reset(self) -> None:
        self.commands = 0
        self.injected = self.slept = self.serving = self.between = self.answered_at = 0.0


def instrument(device: SimDevice, tally: Tally) -> None:
    """Count the device's commands and latencies by wrapping two of its methods (this instance only)."""
    run_command: Callable[..., Awaitable[Any]] = device.run_command
    delay: Callable[[str], Awaitable[float]] = device.delay

    async def counted_run_command(line: str, service: str = "shell", status: int = 0) -> Any:
        tally.commands += 1
        started = time.perf_counter()
        if tally.answered_at:
            tally.between += max(0.0, started - tally.answered_at)
        try:
            return await run_command(line, service, status)
        finally:
            tally.answered_at = time.perf_counter()
            tally.serving += tally.answered_at - started

    async def counted_delay(kind: str) -> float:
        started = time.perf_counter()
        try:
            seconds = await delay(kind)
        finally:
            tally.slept += time.perf_counter() - started
        tally.injected += seconds
        return seconds

    device.run_command = counted_run_command  # type: ignore[method-assign]
    device.delay = counted_delay  # type: ignore[method-assign]


def read_stdin(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str]:
    """Lines of stdin, read by a daemon thread (a blocked read never holds up the exit); "" at the end."""
    lines: asyncio.Queue[str] = asyncio.Queue()

    def put(line: str) -> None:
        try:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        except RuntimeError:  # the loop is closed: we are exiting anyway
            pass

    def reader() -> None:
        for line in sys.stdin:
            put(line.strip() or "?")
        put("")

    threading.Thread(target=reader, name="stdin", daemon=True).start()
    return lines


async def serve_commands(tallies: dict[str, Tally], stop: asyncio.Event) -> None:
    lines = read_stdin(asyncio.get_running_loop())
    while not stop.is_set():
        line = await lines.get()
        if line in ("", "quit"):
            break
        if line == "reset":
            for tally in tallies.values():
                tally.reset()  # in place: the instrumented devices hold these objects
            answer: dict[str, Any] = {"ok": True}
        elif line == "stats":
            answer = {"devices": {s: t.__dict__ for s, t in tallies.items()}}
        else:
            answer = {"error": f"unknown command {line!r}"}
        print(json.dumps(answer), flush=True)
    stop.set()


async def main(args: argparse.Namespace) -> None:
    latency = latency_spec(args.latency)
    farm = Farm(args.devices, language=args.language)
    tallies: dict[str, Tally] = {}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await farm.start()
    try:
        for device in farm:
            device.faults.latency = dict(latency)
            device.faults.latency_spread = args.spread
            tallies[device.serial] = Tally()
            instrument(device, tallies[device.serial])
        await farm.connect(args.adb_server, timeout=120)
        print(json.dumps({"ready": True, "serials": farm.serials, "latency": latency}), flush=True)
        commands = asyncio.create_task(serve_commands(tallies, stop))
        await stop.wait()
        commands.cancel()
    finally:
        await farm.stop()


def run() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.simfarm")
    parser.add_argument("--devices", type=int, required=True)
    parser.add_argument("--adb-server", required=True, help="HOST:PORT of a private adb server")
    parser.add_argument("--latency", default="realistic", help="realistic | none | JSON {kind: seconds}")
    parser.add_argument("--spread", type=float, default=0.0, help="each call's latency drawn from latency x "
                        "[1 - SPREAD, 1 + SPREAD] (tikmatrixd.sim's realistic phones: 0.25); 0: phones in lockstep")
    parser.add_argument("--language", default="en", help="the phones' language (fr: TikTok screens built from "
                        "real dumps, see tikmatrixd/sim/real)")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    run()
