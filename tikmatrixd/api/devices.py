"""/api/v1/devices: every device known from adb or the config file."""

from __future__ import annotations

from aiohttp import web
from marshmallow import RAISE, Schema, fields, validate

from tikmatrixd import keys
from tikmatrixd.adb.device import AdbError
from tikmatrixd.api import render
from tikmatrixd.api.envelope import ok
from tikmatrixd.api.parsing import query
from tikmatrixd.core.errors import InvalidParameters
from tikmatrixd.core.status import ScriptFailure

routes = web.RouteTableDef()


class LookQuery(Schema):
    class Meta:
        unknown = RAISE

    force = fields.Integer(load_default=0, validate=validate.OneOf([0, 1]),
                           metadata={"description": "1: look even while a task runs on the phone"})


_LOOK_QUERY = LookQuery()


@routes.get("/api/v1/devices")
async def list_devices(request: web.Request) -> web.Response:
    devices = await request.app[keys.STORE].devices.list()
    live = request.app[keys.DISPATCHER].live
    return ok({"devices": [render.device(d, live(d.serial)) for d in devices], "total": len(devices)})


@routes.get("/api/v1/devices/{serial}")
async def get_device(request: web.Request) -> web.Response:
    device = await request.app[keys.STORE].devices.get(request.match_info["serial"])
    return ok(render.device(device, request.app[keys.DISPATCHER].live(device.serial)))


@routes.get("/api/v1/devices/{serial}/screen")
async def screen(request: web.Request) -> web.Response:
    """The phone's screen now, a PNG screenshot."""
    return await _look(request, "screen")


@routes.get("/api/v1/devices/{serial}/dump")
async def dump(request: web.Request) -> web.Response:
    """The phone's screen now, its uiautomator dump (XML)."""
    return await _look(request, "dump")


async def _look(request: web.Request, what: str) -> web.Response:
    """Refused while a task runs on the phone, unless ``force=1``: a look between two steps
    of a script changes nothing on the screen, but costs the script time."""
    force = query(request, _LOOK_QUERY)["force"]
    device = await request.app[keys.STORE].devices.get(request.match_info["serial"])
    try:
        data = await request.app[keys.DISPATCHER].look(device.serial, what, force=bool(force))
    except (AdbError, ScriptFailure) as error:
        raise InvalidParameters(f"cannot read {device.serial}'s screen: {error}") from None
    return web.Response(body=data, content_type="image/png" if what == "screen" else "application/xml",
                        headers={"Cache-Control": "no-store"})
