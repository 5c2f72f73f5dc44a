"""``tikmatrixd sim``: run N simulated phones, optionally registered with an adb server."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from aiohttp import web

from tikmatrixd.core.platforms import PACKAGES
from tikmatrixd.sim.control import create_app
from tikmatrixd.sim.farm import Farm

DEFAULT_BASE_PORT = 7100  # clear of 5037 and the emulator probe range 5555-5585
DEFAULT_CONTROL_PORT = 7099


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devices", type=int, default=3, help="number of phones (default 3)")
    parser.add_argument("--base-port", type=int, default=DEFAULT_BASE_PORT,
                        help="first device port; device i listens on base+i (default 7100)")
    parser.add_argument("--adb-server", default="127.0.0.1:5037", help="adb server HOST:PORT for --connect")
    parser.add_argument("--connect", action="store_true",
                        help="adb connect every device to --adb-server, disconnect them on exit")
    parser.add_argument("--control-port", type=int, default=DEFAULT_CONTROL_PORT,
                        help="loopback port of the JSON control endpoint (0 = pick one; -1 = none)")
    parser.add_argument("--language", default="en", help="UI language: en, fr, or a list like en,fr")
    parser.add_argument("--realistic", action="store_true",
                        help="phone-like latencies (input 0.3 s, dump 2.1 s...) instead of instant answers")
    parser.add_argument("--seed", type=int, default=0, help="seed of every device's fault RNG")
    parser.add_argument("--accounts", type=int, default=3, help="logged-in accounts per app (default 3)")
    parser.add_argument("--app-version", action="append", default=[], metavar="APP=VERSION",
                        help="an app's version, e.g. tiktok=43.1.4 (repeatable): its screens are built from "
                             "its real dumps where the corpus has them (sim/real/SCREENS.toml)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_main(args))
    except KeyboardInterrupt:
        return 130


async def _main(args: argparse.Namespace) -> int:
    languages = [lang.strip() for lang in args.language.split(",") if lang.strip()]
    if any(lang not in ("en", "fr") for lang in languages):
        print("--language: only en and fr are simulated", file=sys.stderr)
        return 2
    versions = {}
    for item in args.app_version:
        app, _, version = item.partition("=")
        if app not in PACKAGES or not version:
            print(f"--app-version: expected tiktok=VERSION or instagram=VERSION, got {item!r}", file=sys.stderr)
            return 2
        versions[PACKAGES[app]] = version
    farm = Farm(args.devices, base_port=args.base_port, seed=args.seed, languages=languages,
                realistic=args.realistic, accounts_per_app=args.accounts, versions=versions)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await farm.start()
    runner = None
    control = None
    try:
        if args.control_port >= 0:
            runner = web.AppRunner(create_app(farm), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", args.control_port)
            await site.start()
            control = runner.addresses[0][1] if runner.addresses else args.control_port
        if args.connect:
            await farm.connect(args.adb_server)
        print(json.dumps({"ready": True, "devices": farm.serials, "control": control,
                          "adb_server": args.adb_server if args.connect else None}), flush=True)
        await stop.wait()
    finally:
        await farm.stop()  # disconnects from the adb server first when --connect was given
        if runner is not None:
            await runner.cleanup()
    return 0
