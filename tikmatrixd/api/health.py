"""/healthz: liveness (the event loop answers and the store responds)."""

from __future__ import annotations

from aiohttp import web

from tikmatrixd import keys
from tikmatrixd.api.envelope import ok

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    stats = await request.app[keys.STORE].tasks.stats()
    return ok({"status": "ok", "tasks": stats.total})
