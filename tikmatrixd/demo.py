"""`tikmatrixd demo`: what `make run` starts — the daemon with simulated phones.

A private adb server (its own port and HOME, never the user's 5037), a few
simulated phones connected to it (English and French UIs), and the daemon
on 127.0.0.1:50809 following that adb server, all in one process. Ctrl-C
stops everything. The phones' ports are fixed (7100, 7101, ...) so their
serials stay the same from one run to the next.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from tikmatrixd import config as config_module
from tikmatrixd import logs
from tikmatrixd.config import ConfigError

DEMO_DB = "var/demo.db"
BASE_PORT = 7100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devices", type=int, default=3, help="how many simulated phones (default 3)")
    parser.add_argument("--port", type=int, default=config_module.DEFAULT_PORT, help="API port (default 50809)")
    parser.add_argument("--base-port", type=int, default=BASE_PORT, help="first simulated phone's port")
    parser.add_argument("--db", default=DEMO_DB, help=f"SQLite file (default {DEMO_DB})")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    logs.configure("auto", "info")
    try:
        asyncio.run(_demo(args))
    except (ConfigError, OSError, RuntimeError) as error:
        print(f"tikmatrixd demo: {error}", file=sys.stderr)
        return 2
    return 0


async def _demo(args: argparse.Namespace) -> None:
    from tikmatrixd.serve import serve
    from tikmatrixd.sim.testing import AdbServer, SimFarm

    adb_server = await asyncio.to_thread(AdbServer.start)
    try:
        async with SimFarm(args.devices, adb_server=adb_server, base_port=args.base_port,
                           languages=["en", "fr"]) as farm:
            config = config_module.load(None, {
                "server": {"port": args.port},
                "store": {"path": args.db},
                "adb": {"servers": [adb_server.address], "connect": farm.serials},
            })
            print(_banner(config.server.port, farm.serials), flush=True)
            await serve(config)
    finally:
        adb_server.stop()


def _banner(port: int, serials: list[str]) -> str:
    api = f"http://127.0.0.1:{port}/api/v1"
    quoted = ", ".join(f'"{s}"' for s in serials[:2])
    return "\n".join([
        f"tikmatrixd demo: {len(serials)} simulated phones: {', '.join(serials)}",
        f"  curl {api}/devices",
        f"  curl -X POST {api}/task -H 'Content-Type: application/json' \\",
        f"       -d '{{\"serials\": [{quoted}], \"script_name\": \"follow\","
        " \"script_config\": {\"target_users\": [\"nasa\"]}}'",
        f"  curl '{api}/task?page_size=5'",
        "Ctrl-C stops the daemon and the phones.",
    ])
