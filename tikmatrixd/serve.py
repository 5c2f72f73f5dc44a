"""`tikmatrixd serve`: run the daemon until SIGTERM/SIGINT.

Start-up problems (bad config, unusable database, busy port) exit with
status 2 and one readable line, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys

import structlog
from aiohttp import web

from tikmatrixd import config as config_module
from tikmatrixd import constants, logs, systemd
from tikmatrixd.app import create_app
from tikmatrixd.config import Config, ConfigError
from tikmatrixd.store import StoreError

log = structlog.get_logger("tikmatrixd")
EXIT_STARTUP = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML config file (see config/tikmatrixd.toml)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 50809)")
    parser.add_argument("--db", help="SQLite file (default ./var/tikmatrixd.db, or $STATE_DIRECTORY)")
    parser.add_argument("--adb-server", action="append", metavar="HOST:PORT",
                        help="adb server to reach phones through (repeatable; replaces adb.servers)")
    parser.add_argument("--log-format", choices=["auto", "json", "console"], help="log renderer")
    parser.set_defaults(run=run)


def overrides(args: argparse.Namespace) -> dict[str, dict[str, object]]:
    return {
        "server": {"host": args.host, "port": args.port},
        "store": {"path": args.db},
        "adb": {"servers": args.adb_server},
        "log": {"format": args.log_format},
    }


def run(args: argparse.Namespace) -> int:
    try:
        config = config_module.load(args.config, overrides(args))
    except ConfigError as error:
        print(f"tikmatrixd: {error}", file=sys.stderr)
        return EXIT_STARTUP
    logs.configure(config.log.format, config.log.level)
    try:
        asyncio.run(serve(config))
    except (ConfigError, StoreError, OSError) as error:
        print(f"tikmatrixd: {error}", file=sys.stderr)
        return EXIT_STARTUP
    return 0


def tune_gc() -> None:
    """For a long-running daemon, once its app is built. What is alive then (modules, selector
    packs, config) lives as long as the process: frozen, the cyclic collector no longer walks it.
    And it runs after 10,000 new objects instead of 700: reading a real dump builds about 700
    tuples (none in a cycle: reference counting frees them), so the default ran it on every dump."""
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


async def serve(config: Config, app: web.Application | None = None) -> None:
    app = app or create_app(config)
    runner = web.AppRunner(app, access_log=None, handle_signals=False,
                           shutdown_timeout=constants.HTTP_SHUTDOWN_TIMEOUT)
    await runner.setup()
    tune_gc()
    try:
        site = web.TCPSite(runner, config.server.host, config.server.port)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        systemd.notify("READY=1")
        log.info("listening", host=config.server.host, port=config.server.port, plan=config.license.plan)
        await stop.wait()
        systemd.notify("STOPPING=1")
        log.info("stopping")
    finally:
        await runner.cleanup()
    log.info("stopped")
