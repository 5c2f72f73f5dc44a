"""Command line: `tikmatrixd serve | sim | demo | import-accounts | selectors | doctor`, and the
API's client: `tikmatrixd task | devices | accounts | events`."""

from __future__ import annotations

import argparse
import sys

from tikmatrixd import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tikmatrixd", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tikmatrixd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    from tikmatrixd import serve

    serve.add_arguments(commands.add_parser("serve", help="run the daemon"))

    from tikmatrixd.sim import cli as sim_cli

    sim_cli.add_arguments(commands.add_parser("sim", help="run simulated phones"))

    from tikmatrixd import demo

    demo.add_arguments(commands.add_parser("demo", help="daemon + simulated phones on a private adb server"))

    from tikmatrixd import import_accounts

    import_accounts.add_arguments(commands.add_parser("import-accounts", help="register accounts from CSV or TOML"))

    from tikmatrixd import doctor

    doctor.add_selectors_arguments(commands.add_parser("selectors", help="check selector packs on a saved dump"))
    doctor.add_doctor_arguments(commands.add_parser("doctor", help="check a live phone's screen against the packs"))

    from tikmatrixd import ctl

    ctl.add_arguments(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
