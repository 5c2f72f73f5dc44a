"""``python -m tests.e2e.launch CONFIG``: ``tikmatrixd serve`` with the test-only script.

The process-level tests (kill -9, SIGTERM, adb server restarts) need the
daemon in a process of its own; this is `serve` with the runners of
:mod:`tests.e2e.runners` instead of the real scripts.
"""

from __future__ import annotations

import asyncio
import sys

from tests.e2e.runners import runners
from tikmatrixd import config as config_module
from tikmatrixd import logs
from tikmatrixd.app import create_app
from tikmatrixd.serve import serve


def main() -> None:
    config = config_module.load(sys.argv[1])
    logs.configure("json", "info")
    asyncio.run(serve(config, create_app(config, runners=runners())))


if __name__ == "__main__":
    main()
