"""create_app(config) → the aiohttp application, resources wired as cleanup contexts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping

import structlog
from aiohttp import web

from tikmatrixd import keys, systemd
from tikmatrixd.api import setup_routes
from tikmatrixd.api.envelope import envelope_middleware
from tikmatrixd.api.guard import make_guard
from tikmatrixd.artifacts import Artifacts
from tikmatrixd.config import Config
from tikmatrixd.core.devices import Device
from tikmatrixd.events import EventBus
from tikmatrixd.library import Library
from tikmatrixd.lifecycle import Lifecycle
from tikmatrixd.metrics import Metrics
from tikmatrixd.runtime.dispatcher import Dispatcher
from tikmatrixd.runtime.runtime import Runtime
from tikmatrixd.scripts import BUILTIN, SCRIPTS
from tikmatrixd.scripts.base import Runner
from tikmatrixd.store import Store
from tikmatrixd.store.events import PRUNE_BATCH
from tikmatrixd.web import setup_dashboard
from tikmatrixd.webhooks import Webhooks

log = structlog.get_logger("tikmatrixd")

#: Seconds between prunings of the event log.
PRUNE_INTERVAL = 600.0


def create_app(
    config: Config,
    *,
    clock: Callable[[], float] = time.time,
    dispatcher: Dispatcher | None = None,
    runners: Mapping[str, Runner | None] | None = None,
) -> web.Application:
    """The daemon. Without ``dispatcher`` it runs tasks on the adb servers'
    devices with ``runners`` (default: each script's own); tests of the API
    alone pass a dispatcher that runs nothing."""
    app = web.Application(
        middlewares=[envelope_middleware(make_guard(config))],
        client_max_size=config.server.max_body_bytes,
    )
    app[keys.CONFIG] = config
    app[keys.CLOCK] = clock
    app[keys.EVENTS] = events = EventBus()
    app[keys.METRICS] = Metrics(events)
    app[keys.ARTIFACTS] = Artifacts(config.artifacts_dir)
    setup_routes(app)
    setup_dashboard(app, config)
    app.cleanup_ctx.append(store_ctx)
    app.cleanup_ctx.append(event_log_ctx)
    app.cleanup_ctx.append(library_ctx)
    if dispatcher is None:
        scripts = {**SCRIPTS, **BUILTIN}
        app.cleanup_ctx.append(runtime_ctx(runners or {name: s.runner for name, s in scripts.items()}))
    else:
        app[keys.DISPATCHER] = dispatcher
    app.cleanup_ctx.append(systemd.watchdog_ctx)
    app.on_shutdown.append(end_event_streams)
    return app


async def store_ctx(app: web.Application) -> AsyncIterator[None]:
    config = app[keys.CONFIG]
    store = await Store.open(config.store.path)
    await store.devices.declare(
        Device(serial=d.serial, name=d.name, platform=d.platform) for d in config.devices
    )
    app[keys.STORE] = store
    app[keys.LIFECYCLE] = lifecycle = Lifecycle(store, app[keys.EVENTS], app[keys.ARTIFACTS], app[keys.CLOCK])
    if keys.DISPATCHER in app:  # given (tests of the API alone); else the runtime attaches itself
        lifecycle.attach(app[keys.DISPATCHER])
    log.info("store open", path=config.store.path)
    yield
    await store.close()
    log.info("store closed")


async def event_log_ctx(app: web.Application) -> AsyncIterator[None]:
    """Webhook deliveries, and the event log pruned to [events] keep_days / keep_count."""
    config, store, clock = app[keys.CONFIG], app[keys.STORE], app[keys.CLOCK]
    webhooks = app[keys.WEBHOOKS] = Webhooks(config.webhooks, store, app[keys.EVENTS], clock, app[keys.METRICS],
                                             tz=config.tz)
    await webhooks.start()

    async def prune() -> None:
        while True:
            before = clock() - config.events.keep_days * 86400
            while await store.events.prune(before, config.events.keep_count) == PRUNE_BATCH:
                pass  # a batch per store call: other requests go in between
            await asyncio.sleep(PRUNE_INTERVAL)

    pruning = asyncio.create_task(prune(), name="event log pruning")
    yield
    pruning.cancel()
    await asyncio.gather(pruning, return_exceptions=True)
    await webhooks.close()


async def library_ctx(app: web.Application) -> AsyncIterator[None]:
    """The material library, indexed in the background from start-up (requests sync it as needed)."""
    config = app[keys.CONFIG]
    library = app[keys.LIBRARY] = Library(
        config.media.roots[0], app[keys.STORE].materials, app[keys.CLOCK],
        max_file_bytes=config.media.upload_max_bytes, quota_bytes=config.media.library_quota_bytes,
    ) if config.media.roots else None
    indexing = asyncio.ensure_future(library.sync()) if library is not None else None
    yield
    if indexing is not None:
        indexing.cancel()
        await asyncio.gather(indexing, return_exceptions=True)


async def end_event_streams(app: web.Application) -> None:
    """Event streams never end by themselves; aiohttp waits for open requests
    after on_shutdown, so they are ended here."""
    app[keys.EVENTS].close()


def runtime_ctx(runners: Mapping[str, Runner | None]) -> Callable[[web.Application], AsyncIterator[None]]:
    """Devices and workers run between store open and store close; on shutdown
    (after the HTTP server stopped taking requests) running scripts are
    cancelled, cleaned up and marked interrupted before the store closes."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        runtime = Runtime(app[keys.CONFIG], app[keys.STORE], runners, clock=app[keys.CLOCK],
                          events=app[keys.EVENTS], artifacts=app[keys.ARTIFACTS], lifecycle=app[keys.LIFECYCLE],
                          library=app[keys.LIBRARY])
        await runtime.start()
        app[keys.DISPATCHER] = runtime
        yield
        await runtime.close()
        log.info("runtime stopped")

    return ctx
