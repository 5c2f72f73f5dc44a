"""/api/v1/webhooks: how far each configured endpoint has been delivered (secrets never shown)."""

from __future__ import annotations

from aiohttp import web

from tikmatrixd import keys
from tikmatrixd.api import render
from tikmatrixd.api.envelope import ok

routes = web.RouteTableDef()


@routes.get("/api/v1/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    """Delivery state of every webhook endpoint of the config."""
    tz = request.app[keys.CONFIG].tz
    states = request.app[keys.WEBHOOKS].states
    return ok({"webhooks": [{
        "url": s.url, "kinds": list(s.kinds), "delivered_id": s.delivered_id, "last_event_id": s.last_id,
        "lag": s.lag, "delivered": s.delivered, "failures": s.failures,
        "last_success_at": render.timestamp(s.last_success_at, tz), "last_error": s.last_error,
        "last_error_at": render.timestamp(s.last_error_at, tz),
        "next_attempt_at": render.timestamp(s.next_attempt_at, tz),
    } for s in states], "total": len(states)})
