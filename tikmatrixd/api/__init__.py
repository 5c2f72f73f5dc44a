"""The HTTP API: one module per resource, each with its RouteTableDef."""

from __future__ import annotations

from aiohttp import web

from tikmatrixd.api import (
    accounts,
    devices,
    docs,
    events,
    health,
    license,
    materials,
    metrics,
    openapi,
    tasks,
    webhooks,
)


def setup_routes(app: web.Application) -> None:
    # tasks first: its fixed paths (/task/stats, /task/batch, /task/retry-all)
    # are registered before /task/{task_id}, so they are never captured by it.
    for module in (tasks, license, devices, accounts, materials, events, webhooks, openapi, docs, health, metrics):
        app.add_routes(module.routes)
