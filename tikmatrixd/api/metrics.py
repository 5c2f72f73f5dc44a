"""/metrics: Prometheus exposition, plain text (scrapers cannot read our envelope).

Outside /api/v1/ like /healthz, so the guard applies its Host check but no
token and no plan: a monitoring system scrapes whatever the plan.
"""

from __future__ import annotations

from aiohttp import web

from tikmatrixd import keys

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Prometheus metrics (text format; OpenMetrics when the scraper asks for it)."""
    app = request.app
    lag = {state.url: state.lag for state in app[keys.WEBHOOKS].states}
    body, content_type = await app[keys.METRICS].scrape(app[keys.STORE], app[keys.DISPATCHER],
                                                        request.headers.get("Accept", ""), lag)
    return web.Response(body=body, headers={"Content-Type": content_type})
