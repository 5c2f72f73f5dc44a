"""/api/v1/devices: every device known from adb or the config file."""

from __future__ import annotations

from aiohttp import web

from tikmatrixd import keys
from tikmatrixd.api import render
from tikmatrixd.api.envelope import ok

routes = web.RouteTableDef()


@routes.get("/api/v1/devices")
async def list_devices(request: web.Request) -> web.Response:
    devices = await request.app[keys.STORE].devices.list()
    live = request.app[keys.DISPATCHER].live
    return ok({"devices": [render.device(d, live(d.serial)) for d in devices], "total": len(devices)})


@routes.get("/api/v1/devices/{serial}")
async def get_device(request: web.Request) -> web.Response:
    device = await request.app[keys.STORE].devices.get(request.match_info["serial"])
    return ok(render.device(device, request.app[keys.DISPATCHER].live(device.serial)))
