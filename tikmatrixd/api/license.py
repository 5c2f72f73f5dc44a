"""/api/v1/license/check: the configured plan (starter is refused by the guard)."""

from __future__ import annotations

from aiohttp import web

from tikmatrixd import keys
from tikmatrixd.api.envelope import ok

routes = web.RouteTableDef()


@routes.get("/api/v1/license/check")
async def license_check(request: web.Request) -> web.Response:
    plan = request.app[keys.CONFIG].license
    return ok({
        "plan_name": plan.plan,
        "api_enabled": True,
        "device_limit": plan.device_limit,
        "message": f"{plan.plan} plan: API access enabled for up to {plan.device_limit} devices",
    })
