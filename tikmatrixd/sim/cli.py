"""`tikmatrixd sim`: placeholder until the simulator lands."""

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise SystemExit("simulator not implemented yet")
