"""`tikmatrixd demo`: what `make run` starts.

For now the daemon alone on 127.0.0.1:50809; the simulated phones on a
private adb server join it when the device runtime lands (issue 5).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--devices", type=int, default=3, help="how many simulated phones")
    parser.add_argument("--port", type=int, default=50809, help="API port")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tikmatrixd import serve

    return serve.run(argparse.Namespace(config=None, host=None, port=args.port, db=None, log_format=None))
