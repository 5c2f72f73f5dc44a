"""Every piece of app state, as typed `web.AppKey`s declared in one place."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from tikmatrixd.artifacts import Artifacts
from tikmatrixd.config import Config
from tikmatrixd.events import EventBus
from tikmatrixd.library import Library
from tikmatrixd.lifecycle import Lifecycle
from tikmatrixd.metrics import Metrics
from tikmatrixd.runtime.dispatcher import Dispatcher
from tikmatrixd.store import Store
from tikmatrixd.webhooks import Webhooks

CONFIG = web.AppKey("config", Config)
STORE = web.AppKey("store", Store)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
EVENTS = web.AppKey("events", EventBus)
METRICS = web.AppKey("metrics", Metrics)
ARTIFACTS = web.AppKey("artifacts", Artifacts)
# Every task state change goes through it.
LIFECYCLE = web.AppKey("lifecycle", Lifecycle)
# Delivers the event log to the configured webhook endpoints.
WEBHOOKS = web.AppKey("webhooks", Webhooks)
# The material library; None when no media root is configured.
LIBRARY: web.AppKey[Library | None] = web.AppKey("library")
# Seconds since the epoch; tests replace it to control scheduling.
CLOCK: web.AppKey[Callable[[], float]] = web.AppKey("clock")
