"""``python -m bench.servers KIND --port P [--config FILE] [--runner NAME]``: one HTTP server process.

KIND is
- ``hello``: a bare aiohttp JSON hello-world (``GET /hello``), the yardstick;
- ``api``: tikmatrixd's app with a dispatcher that runs nothing (the API and store alone), plus
  two probe routes that go through the same middlewares: ``/bench/hello`` (the
  envelope, no store) and ``/bench/hop`` (the envelope and one no-op store call),
  so a benchmark can tell the app's fixed cost per request from its endpoints' own;
- ``daemon``: tikmatrixd's app with its runtime on (adb servers from the config), running
  the bench script ``--runner`` (see :mod:`bench.runners`) for follow and unfollow.

All three are served the same way as ``tikmatrixd serve`` serves the daemon
(AppRunner without access log, one TCPSite on loopback). The process prints
one JSON line ``{"ready": true, ...}`` once it listens, and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from tikmatrixd import config as config_module
from tikmatrixd import constants, keys, logs
from tikmatrixd.api.envelope import json_body, ok
from tikmatrixd.app import create_app
from tikmatrixd.runtime.dispatcher import NullDispatcher
from tikmatrixd.serve import tune_gc


def write_config(path: Path, *, store: Path, port: int, adb_servers: Sequence[str] = (),
                 devices: Sequence[str] = (), probe_timeout: float = 10.0, log_level: str = "info",
                 media_root: Path | None = None, device_limit: int = 200) -> Path:
    """A daemon config file: loopback, business plan for ``device_limit`` phones, JSON logs at
    ``log_level`` (shipped default: info)."""
    lines = [
        f"[server]\nhost = \"127.0.0.1\"\nport = {port}",
        f"[license]\ndevice_limit = {device_limit}",
        f"[store]\npath = {json.dumps(str(store))}",
        f"[adb]\nservers = {json.dumps(list(adb_servers))}\nprobe_timeout = {probe_timeout}",
        f"[log]\nformat = \"json\"\nlevel = {json.dumps(log_level)}",
    ]
    if media_root is not None:
        lines.append(f"[media]\nroots = {json.dumps([str(media_root)])}")
    lines += [f"[[devices]]\nserial = {json.dumps(serial)}" for serial in devices]
    path.write_text("\n\n".join(lines) + "\n")
    return path


def hello_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return json_body({"hello": "world"})  # the daemon's JSON library and response type: a fair yardstick

    app = web.Application()
    app.router.add_get("/hello", hello)
    return app


def add_probes(app: web.Application) -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return ok({"hello": "world"})

    async def hop(request: web.Request) -> web.Response:
        await request.app[keys.STORE].run(lambda conn: None)
        return ok({"hello": "world"})

    app.router.add_get("/bench/hello", hello)
    app.router.add_get("/bench/hop", hop)
    return app


def build(args: argparse.Namespace) -> web.Application:
    if args.kind == "hello":
        return hello_app()
    config = config_module.load(args.config)
    logs.configure(config.log.format, config.log.level)
    if args.kind == "api":
        return add_probes(create_app(config, dispatcher=NullDispatcher()))
    from bench.runners import runners

    return create_app(config, runners=runners(args.runner))


async def serve(app: web.Application, port: int, ready: dict[str, Any]) -> None:
    """What ``tikmatrixd.serve.serve`` does, plus the ready line on stdout."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False,
                           shutdown_timeout=constants.HTTP_SHUTDOWN_TIMEOUT)
    await runner.setup()
    tune_gc()
    try:
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        print(json.dumps({"ready": True, "pid": os.getpid(), "port": port, **ready}), flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    parser.add_argument("kind", choices=["hello", "api", "daemon"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", help="tikmatrixd config file (api, daemon)")
    parser.add_argument("--runner", default="open_profile", help="bench script for the daemon")
    args = parser.parse_args()

    async def build_and_serve() -> None:  # the app is built inside the loop that runs it
        await serve(build(args), args.port, {"kind": args.kind})

    asyncio.run(build_and_serve())


if __name__ == "__main__":
    main()
