"""`tikmatrixd selectors check DUMP.xml` and `tikmatrixd doctor SERIAL`: why a script misses.

``selectors check`` reads a saved ``uiautomator dump`` (stock or
uiautomator2), says which app and screen it looks like and what each of that
screen's selectors resolves to, with the closest candidates for a miss.
``doctor`` does the same on a live phone through its adb server, and saves
the dump and a screenshot next to the report. Both exit 0 once the report is
printed (a miss is part of the report: Follow misses on a followed profile),
2 when there is nothing to report on (no such file, no phone, no pack).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import structlog

from tikmatrixd import config as config_module
from tikmatrixd.adb.device import Adb, AdbError
from tikmatrixd.config import ConfigError
from tikmatrixd.core.status import ScriptFailure
from tikmatrixd.ui import diagnose
from tikmatrixd.ui.driver import Ui
from tikmatrixd.ui.hierarchy import DumpError, parse
from tikmatrixd.ui.selectors import Pack, PackError, load_packs

EXIT_USAGE = 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app", default="", help="which app's pack to use (default: the app on the screen)")
    parser.add_argument("--screen", default="", help="which screen of the pack (default: the likeliest)")
    parser.add_argument("--user", default="", help="the account the screen shows (fills {user} in selectors)")
    parser.add_argument("--selectors-dir", default=None,
                        help="selector packs to check (default: ui.selectors_dir of --config, else built-in)")
    parser.add_argument("--config", help="TOML config file")


def add_selectors_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="what the selector packs resolve to on a saved dump")
    check.add_argument("dump", help="a uiautomator dump (XML file, or - for standard input)")
    _common(check)
    check.set_defaults(run=run_check)


def add_doctor_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("serial", help="the phone's serial as its adb server lists it")
    parser.add_argument("--adb-server", metavar="HOST:PORT",
                        help="the adb server the phone is on (default: the first of adb.servers)")
    parser.add_argument("--out", default="", help="folder for dump.xml, screen.png and report.txt "
                                                  "(default ./doctor-SERIAL-TIME)")
    _common(parser)
    parser.set_defaults(run=run_doctor)


def _config_and_packs(args: argparse.Namespace) -> tuple[config_module.Config, dict[str, Pack]]:
    config = config_module.load(args.config, {"adb": {"servers": [args.adb_server]
                                                      if getattr(args, "adb_server", None) else None}})
    directory = args.selectors_dir if args.selectors_dir is not None else config.ui.selectors_dir
    return config, load_packs(directory)


def _print_report(packs: dict[str, Pack], xml: str, args: argparse.Namespace) -> tuple[list[str], int]:
    """The report on stdout (exit 0), or why there is none on stderr (exit 2)."""
    try:
        nodes = parse(xml)
    except DumpError as error:
        lines, reported = [f"not a uiautomator dump: {error}"], False
    else:
        lines, reported = diagnose.report(packs, nodes, app=args.app, screen=args.screen, user=args.user)
    if not reported:
        print(f"tikmatrixd: {lines[-1]}", file=sys.stderr)
        return lines, EXIT_USAGE
    print("\n".join(lines))
    return lines, 0


def run_check(args: argparse.Namespace) -> int:
    try:
        _, packs = _config_and_packs(args)
        if args.dump == "-":
            xml = sys.stdin.read()
        else:
            with open(args.dump, encoding="utf-8", errors="replace") as handle:
                xml = handle.read()
    except (ConfigError, OSError) as error:
        print(f"tikmatrixd: {error}", file=sys.stderr)
        return EXIT_USAGE
    return _print_report(packs, xml, args)[1]


def run_doctor(args: argparse.Namespace) -> int:
    try:
        config, packs = _config_and_packs(args)
        xml, png = asyncio.run(_look(config, args.serial))
    except (ConfigError, PackError) as error:
        print(f"tikmatrixd: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (AdbError, ScriptFailure, OSError) as error:  # unreachable server, unknown serial, no dump
        print(f"tikmatrixd doctor: cannot read {args.serial}'s screen: {error}", file=sys.stderr)
        return EXIT_USAGE
    safe_serial = "".join(c if c.isalnum() else "_" for c in args.serial)
    out = args.out or f"doctor-{safe_serial}-{time.strftime('%Y%m%d-%H%M%S')}"
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "dump.xml"), "w", encoding="utf-8") as handle:
        handle.write(xml)
    if png:
        with open(os.path.join(out, "screen.png"), "wb") as binary:
            binary.write(png)
    print(f"phone {args.serial}: dump and screenshot saved in {out}/")
    lines, status = _print_report(packs, xml, args)
    with open(os.path.join(out, "report.txt"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return status


async def _look(config: config_module.Config, serial: str) -> tuple[str, bytes]:
    adb = Adb(config.adb.call_timeout).device(config.adb.servers[0], serial)
    ui = Ui(adb, None, structlog.get_logger("tikmatrixd.doctor"))
    await ui.nodes()
    return ui.last_dump.decode("utf-8", "replace"), await ui.screenshot()
