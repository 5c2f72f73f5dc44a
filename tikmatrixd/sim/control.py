"""Control endpoint of a ``tikmatrixd sim`` process: JSON over HTTP on loopback.

Routes (``{dev}`` is the adb serial "127.0.0.1:PORT", the port, or the name "sim000"):

- ``GET  /devices``                    every device: serial, port, model, screen, faults
- ``GET  /devices/{dev}``              full state (accounts, follows, posts, commands, files...)
- ``POST /devices/{dev}/seed``         {"language", "installed", "ime_enabled",
                                        "accounts": {pkg: [names]}, "current": {pkg: name},
                                        "follows": {pkg: {account: [names]}}}
- ``POST /devices/{dev}/faults``       {"latency": {kind: s}, "idle_error_rate", "null_root_rate",
                                        "popup_rate", "drop_next", "unauthorized": bool,
                                        "offline": bool, "silent": bool}
- ``POST /devices/{dev}/shell``        {"command": "..."} run as if sent by adb (for debugging)
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tikmatrixd.sim.farm import Farm
from tikmatrixd.sim.state import AppAccounts

FARM_KEY = web.AppKey("farm", Farm)


def create_app(farm: Farm) -> web.Application:
    app = web.Application()
    app[FARM_KEY] = farm
    app.router.add_get("/devices", list_devices)
    app.router.add_get("/devices/{dev}", get_device)
    app.router.add_post("/devices/{dev}/seed", seed)
    app.router.add_post("/devices/{dev}/faults", faults)
    app.router.add_post("/devices/{dev}/shell", run_shell)
    return app


def _device(request: web.Request) -> Any:
    try:
        return request.app[FARM_KEY][request.match_info["dev"]]
    except KeyError:
        raise web.HTTPNotFound(text='{"error": "no such device"}', content_type="application/json") from None


async def list_devices(request: web.Request) -> web.Response:
    return web.json_response([{"serial": d.serial, "name": d.name, "port": d.port, "model": d.state.model,
                               "language": d.state.language, "screen": d.screen(),
                               "faults": d.faults.__dict__} for d in request.app[FARM_KEY]])


async def get_device(request: web.Request) -> web.Response:
    return web.json_response(_device(request).snapshot())


async def seed(request: web.Request) -> web.Response:
    dev = _device(request)
    body = await request.json()
    state = dev.state
    if "language" in body:
        if body["language"] not in ("en", "fr"):
            raise web.HTTPBadRequest(text="language must be en or fr")
        state.language = body["language"]
    if "installed" in body:
        state.installed = list(body["installed"])
    if "ime_enabled" in body:
        state.ime_enabled = bool(body["ime_enabled"])
    for pkg, names in body.get("accounts", {}).items():
        names = list(names)
        state.apps[pkg] = AppAccounts(accounts=names, current=names[0], follows={n: [] for n in names})
        dev.apps[pkg].reset()
    for pkg, name in body.get("current", {}).items():
        if name in state.apps[pkg].accounts:
            state.apps[pkg].current = name
    for pkg, follows in body.get("follows", {}).items():
        for account, names in follows.items():
            state.apps[pkg].follows[account] = list(names)
    return web.json_response(dev.snapshot())


async def faults(request: web.Request) -> web.Response:
    dev = _device(request)
    body = await request.json()
    f = dev.faults
    for key in ("idle_error_rate", "null_root_rate", "popup_rate"):
        if key in body:
            setattr(f, key, float(body[key]))
    if "latency" in body:
        f.latency = {k: float(v) for k, v in body["latency"].items()}
    if "drop_next" in body:
        f.drop_next = int(body["drop_next"])
    if "unauthorized" in body:
        await dev.set_unauthorized(bool(body["unauthorized"]))
    if "offline" in body:
        if body["offline"]:
            await dev.go_offline(silent=bool(body.get("silent")))
        else:
            await dev.come_back()
    return web.json_response(dev.faults.__dict__)


async def run_shell(request: web.Request) -> web.Response:
    dev = _device(request)
    body = await request.json()
    result, _ = await dev.run_command(str(body["command"]), "control")
    return web.json_response({"stdout": result.out.decode("utf-8", "replace"),
                              "stderr": result.err.decode("utf-8", "replace"), "exit_code": result.code})
