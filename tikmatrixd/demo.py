"""`tikmatrixd demo`: what `make run` starts — the daemon with simulated phones.

A private adb server (its own port and HOME, never the user's 5037), a few
simulated phones connected to it (English and French UIs), and the daemon
on 127.0.0.1:50809 following that adb server, all in one process. Ctrl-C
stops everything. The phones' ports are fixed (7100, 7101, ...) so their
serials stay the same from one run to the next. Unless the config names media
roots, the demo's is ``var/demo-media``, filled with a few sample files on
first start, so a post works at once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from tikmatrixd import config as config_module
from tikmatrixd import logs
from tikmatrixd.config import ConfigError

DEMO_DB = "var/demo.db"
DEMO_MEDIA = "var/demo-media"
BASE_PORT = 7100
#: Sample media: a video header (an MP4 ftyp box) and the smallest JPEG; the simulated phones
#: take any bytes, and real phones get the operator's own files.
_MP4 = bytes.fromhex("0000001c667479706d703432000000006d7034326d70343169736f6d000000086d646174")
_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + bytes(64) + bytes.fromhex(
    "ffc0000b080001000101011100ffc4001400010000000000000000000000000000000affc40014100100000000000000"
    "00000000000000000000ffda0008010100003f00d2cf20ffd9")
SAMPLES = {"sample-1.mp4": _MP4, "sample-2.mp4": _MP4, "sample-3.mp4": _MP4, "photo-1.jpg": _JPEG,
           "photo-2.jpg": _JPEG}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devices", type=int, default=3, help="how many simulated phones (default 3)")
    parser.add_argument("--port", type=int, default=config_module.DEFAULT_PORT, help="API port (default 50809)")
    parser.add_argument("--base-port", type=int, default=BASE_PORT, help="first simulated phone's port")
    parser.add_argument("--db", default=DEMO_DB, help=f"SQLite file (default {DEMO_DB})")
    parser.add_argument("--config", help="TOML config file (its media roots, token, selectors...; the demo keeps "
                                         "its own database, adb server and phones)")
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
            overrides: dict[str, dict[str, object]] = {
                "server": {"port": args.port},
                "store": {"path": args.db},
                "adb": {"servers": [adb_server.address], "connect": farm.serials},
            }
            config = config_module.load(args.config, overrides)
            if not config.media.roots:
                config = config_module.load(args.config, {**overrides, "media": {"roots": [sample_media()]}})
            print(_banner(config.server.port, farm.serials), flush=True)
            await serve(config)
    finally:
        adb_server.stop()


def sample_media(directory: str = DEMO_MEDIA) -> str:
    """The demo's media library, with the sample files (never overwriting one)."""
    os.makedirs(directory, exist_ok=True)
    for name, data in SAMPLES.items():
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            with open(path, "wb") as handle:
                handle.write(data)
    return directory


def _banner(port: int, serials: list[str]) -> str:
    api = f"http://127.0.0.1:{port}/api/v1"
    quoted = ", ".join(f'"{s}"' for s in serials[:2])
    return "\n".join([
        f"tikmatrixd demo: {len(serials)} simulated phones: {', '.join(serials)}",
        f"  dashboard: http://127.0.0.1:{port}/   API page: http://127.0.0.1:{port}/docs",
        f"  curl {api}/devices",
        f"  curl -X POST {api}/task -H 'Content-Type: application/json' \\",
        f"       -d '{{\"serials\": [{quoted}], \"script_name\": \"follow\","
        " \"script_config\": {\"target_users\": [\"nasa\"]}}'",
        f"  curl -X POST {api}/task -d '{{\"serials\": [{quoted}], \"script_name\": \"post\","
        " \"script_config\": {\"captions\": \"Hello from tikmatrixd\"}}'   # posts a sample video",
        f"  curl '{api}/task?page_size=5'",
        f"  TIKMATRIXD_URL=http://127.0.0.1:{port} .venv/bin/tikmatrixd task list",
        "Ctrl-C stops the daemon and the phones.",
    ])
