"""create_app(config) → the aiohttp application, resources wired as cleanup contexts."""

from __future__ import annotations

import time
from typing import AsyncIterator, Callable

import structlog
from aiohttp import web

from tikmatrixd import keys, systemd
from tikmatrixd.api import setup_routes
from tikmatrixd.api.envelope import envelope_middleware
from tikmatrixd.api.guard import guard_middleware
from tikmatrixd.config import Config
from tikmatrixd.core.devices import Device
from tikmatrixd.runtime.dispatcher import Dispatcher, NullDispatcher
from tikmatrixd.store import Store

log = structlog.get_logger("tikmatrixd")


def create_app(
    config: Config,
    *,
    clock: Callable[[], float] = time.time,
    dispatcher: Dispatcher | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[envelope_middleware, guard_middleware(config)],
        client_max_size=config.server.max_body_bytes,
    )
    app[keys.CONFIG] = config
    app[keys.CLOCK] = clock
    app[keys.DISPATCHER] = dispatcher or NullDispatcher()
    setup_routes(app)
    app.cleanup_ctx.append(store_ctx)
    app.cleanup_ctx.append(systemd.watchdog_ctx)
    return app


async def store_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[keys.CONFIG]
    store = await Store.open(config.store.path)
    await store.devices.declare(
        Device(serial=d.serial, name=d.name, platform=d.platform) for d in config.devices
    )
    app[keys.STORE] = store
    log.info("store open", path=config.store.path)
    yield
    await store.close()
    log.info("store closed")
