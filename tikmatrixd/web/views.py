"""The dashboard's pages: devices, tasks, accounts; forms that act through the same code as the API.

Pages are rendered on the server (readable without JavaScript); ``live.js``
re-renders the part marked ``data-live`` when the event stream reports a
change. Reads go to the store and the dispatcher directly, writes through
the lifecycle and the API's own validation, so a form can do nothing the
API could not, and refuses what the API refuses, with the same messages.
"""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from tikmatrixd import keys
from tikmatrixd.adb.device import AdbError
from tikmatrixd.api import render
from tikmatrixd.api.events import event_stream
from tikmatrixd.api.tasks import create_tasks
from tikmatrixd.artifacts import NAMES as ARTIFACT_TYPES
from tikmatrixd.core import schedule
from tikmatrixd.core.devices import AccountFilter
from tikmatrixd.core.errors import TikmatrixError
from tikmatrixd.core.status import ScriptFailure, TaskStatus
from tikmatrixd.core.tasks import TaskFilter
from tikmatrixd.scripts import SCRIPTS
from tikmatrixd.ui import diagnose
from tikmatrixd.ui.hierarchy import DumpError, parse
from tikmatrixd.ui.selectors import Pack
from tikmatrixd.web.session import CSRF_FIELD, Sessions

routes = web.RouteTableDef()

SESSIONS = web.AppKey("dashboard_sessions", Sessions)
#: The selector packs, for the device page's verdict on the screen.
PACKS: web.AppKey[dict[str, Pack]] = web.AppKey("dashboard_packs")
#: Screenshots are kept this long: a page (or many open ones) never makes a phone take more.
SCREEN_TTL = 30.0
SCREENS = web.AppKey("dashboard_screens", dict)  # serial → (taken at, png)
PAGE_SIZE = 25


def _tz(request: web.Request) -> Any:
    return request.app[keys.CONFIG].tz


def _signed_in(handler: Any) -> Any:
    """Pages and actions need a session when the API has a token; actions need the CSRF field."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        sessions = request.app[SESSIONS]
        if not sessions.signed_in(request):
            if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):  # a page
                raise web.HTTPSeeOther(f"/login?next={request.path_qs}")
            raise web.HTTPUnauthorized(text="sign in first (/login)")
        if request.method == "POST":
            form = await request.post()
            if not sessions.csrf_ok(request, form.get(CSRF_FIELD)):
                raise web.HTTPForbidden(text="this form is stale or did not come from the dashboard: reload the page")
        response: web.StreamResponse = await handler(request)
        return response

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def context(request: web.Request, **values: Any) -> dict[str, Any]:
    """What every page template gets: the CSRF field, the task counts, the page's own values."""
    return {"csrf": request.app[SESSIONS].csrf(request), "csrf_field": CSRF_FIELD, "path": request.path,
            "scripts": list(SCRIPTS), **values}


async def _stats(request: web.Request) -> dict[str, int]:
    stats = await request.app[keys.STORE].tasks.stats()
    return {status.text: getattr(stats, status.text) for status in TaskStatus} | {"total": stats.total}


# -- sign in ---------------------------------------------------------------------------
@routes.get("/login")
@aiohttp_jinja2.template("login.html")
async def login_page(request: web.Request) -> dict[str, Any]:
    return context(request, title="Sign in", next=_safe_next(request.query.get("next", "/")), error=None, live=False)


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    sessions = request.app[SESSIONS]
    target = _safe_next(str(form.get("next", "/")))
    if not sessions.valid_token(str(form.get("token", ""))):
        return aiohttp_jinja2.render_template("login.html", request, context(
            request, title="Sign in", next=target, error="that is not the daemon's token", live=False), status=401)
    response = web.HTTPSeeOther(target)
    sessions.sign_in(response)
    raise response


def _safe_next(target: str) -> str:
    """Only a path of this site: never an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


# -- devices -----------------------------------------------------------------------------
@routes.get("/")
@_signed_in
@aiohttp_jinja2.template("devices.html")
async def devices_page(request: web.Request) -> dict[str, Any]:
    devices = await request.app[keys.STORE].devices.list()
    dispatcher = request.app[keys.DISPATCHER]
    shown = [render.device(d, dispatcher.live(d.serial)) for d in devices]
    return context(request, title="Devices", devices=shown, stats=await _stats(request),
                   screen_version=int(time.time() // SCREEN_TTL))


@routes.get("/devices/{serial}")
@_signed_in
@aiohttp_jinja2.template("device.html")
async def device_page(request: web.Request) -> dict[str, Any]:
    store = request.app[keys.STORE]
    device = await store.devices.get(request.match_info["serial"])
    shown = render.device(device, request.app[keys.DISPATCHER].live(device.serial))
    page = await store.tasks.list(TaskFilter(serial=device.serial), 1, PAGE_SIZE)
    events = await store.events.recent(serial=device.serial, limit=30)
    look = await _look(request, device.serial) if request.query.get("look") == "1" else None
    return context(request, title=device.name or device.serial, device=shown,
                   tasks=[render.task(t, _tz(request)) for t in page.tasks], total=page.total,
                   events=[render.event(e, _tz(request)) for e in events], stats=await _stats(request),
                   screen_version=int(time.time() // SCREEN_TTL), look=look, live=look is None)


async def _look(request: web.Request, serial: str) -> dict[str, Any]:
    """The screen now (dump and screenshot) with what the packs' selectors resolve to on it: the
    doctor's verdict, and a box on the screenshot for each selector found."""
    dispatcher = request.app[keys.DISPATCHER]
    force = request.query.get("force") == "1"
    try:
        xml = (await dispatcher.look(serial, "dump", force=force)).decode("utf-8", "replace")
        png = await dispatcher.look(serial, "screen", force=force)
        nodes = parse(xml)
    except (TikmatrixError, AdbError, ScriptFailure, DumpError) as error:
        return {"error": str(error)}
    packs = request.app[PACKS]
    lines, _ = diagnose.report(packs, nodes)
    pack = diagnose.app_of(packs, nodes)
    ranked = diagnose.guess_screens(pack, nodes) if pack is not None else []
    resolutions = diagnose.check_screen(pack, ranked[0][0], nodes) if pack is not None and ranked else []
    width = max((n.bounds[2] for n in nodes), default=1) or 1
    height = max((n.bounds[3] for n in nodes), default=1) or 1
    boxes = [{"name": r.selector.name, "left": 100 * r.node.bounds[0] / width, "top": 100 * r.node.bounds[1] / height,
              "width": 100 * (r.node.bounds[2] - r.node.bounds[0]) / width,
              "height": 100 * (r.node.bounds[3] - r.node.bounds[1]) / height}
             for r in resolutions if r.node is not None]
    return {"report": "\n".join(lines), "boxes": boxes, "png": base64.b64encode(png).decode()}


@routes.get("/devices/{serial}/screen.png")
@_signed_in
async def device_screen(request: web.Request) -> web.Response:
    """The phone's screen, at most one screenshot per SCREEN_TTL; ``fresh=1`` takes a new one, and
    ``force=1`` even while a task runs (it costs the task a little time)."""
    serial = request.match_info["serial"]
    cache = request.app[SCREENS]
    taken = cache.get(serial)
    now = time.monotonic()
    if taken is None or now - taken[0] > SCREEN_TTL or request.query.get("fresh") == "1":
        try:
            png = await request.app[keys.DISPATCHER].look(serial, "screen", force=request.query.get("force") == "1")
        except (TikmatrixError, AdbError, ScriptFailure) as error:
            if taken is None:
                return web.Response(status=409, text=f"no screenshot: {error}")
            png = taken[1]  # the last one, rather than none
        else:
            cache[serial] = taken = (now, png)
    return web.Response(body=taken[1] if taken else b"", content_type="image/png",
                        headers={"Cache-Control": f"private, max-age={int(SCREEN_TTL)}"})


# -- tasks -------------------------------------------------------------------------------
@routes.get("/tasks")
@_signed_in
@aiohttp_jinja2.template("tasks.html")
async def tasks_page(request: web.Request) -> dict[str, Any]:
    q = request.query
    status = {s.text: s for s in TaskStatus}.get(q.get("status", ""))
    where = TaskFilter(status=status, serial=q.get("serial") or None, script_name=q.get("script_name") or None,
                       source=q.get("source") or None, username=q.get("username") or None)
    page_number = int(q["page"]) if q.get("page", "").isdigit() and 0 < int(q["page"]) < 10**9 else 1
    page = await request.app[keys.STORE].tasks.list(where, page_number, PAGE_SIZE)
    filters = {k: v for k, v in q.items() if k in ("status", "serial", "script_name", "source", "username") and v}
    return context(request, title="Tasks", tasks=[render.task(t, _tz(request)) for t in page.tasks],
                   total=page.total, page=page_number, pages=max(1, -(-page.total // PAGE_SIZE)), filters=filters,
                   stats=await _stats(request))


@routes.get("/tasks/new")
@_signed_in
@aiohttp_jinja2.template("new_task.html")
async def new_task_page(request: web.Request) -> dict[str, Any]:
    serial = request.query.get("serial")
    form = {"script_name": request.query.get("script", "follow"), "serials": [serial] if serial else []}
    return await _new_task_context(request, form, {})


async def _new_task_context(request: web.Request, form: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    store = request.app[keys.STORE]
    devices = await store.devices.list()
    accounts, _ = await store.accounts.list(AccountFilter(), 1, 500)
    dispatcher = request.app[keys.DISPATCHER]
    return context(request, title="New task", form=form, errors=errors, live=False,
                   devices=[render.device(d, dispatcher.live(d.serial)) for d in devices],
                   accounts=[render.account(a) for a in accounts], stats=await _stats(request))


@routes.post("/tasks/new")
@_signed_in
async def create_task(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {key: form.getall(key) if key in ("serials", "usernames") else form.get(key) for key in form}
    body = task_body(values)
    try:
        created = await create_tasks(request.app, body, "ui")
    except TikmatrixError as error:
        errors = (error.data or {}).get("errors") if isinstance(error.data, dict) else None
        page = await _new_task_context(request, values, errors or {"body": [error.message]})
        return aiohttp_jinja2.render_template("new_task.html", request, page, status=400)
    first = min(created.ids) if created.ids else 0
    raise web.HTTPSeeOther(f"/tasks?created={len(created.ids)}" if len(created.ids) != 1 else f"/tasks/{first}")


def task_body(form: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as the API's create body (lists from text areas, one item per line)."""

    def lines(name: str) -> list[str]:
        return [line.strip() for line in str(form.get(name) or "").splitlines() if line.strip()]

    script = str(form.get("script_name") or "")
    config: dict[str, Any] = {}
    if script in ("follow", "unfollow"):
        config = {"target_users": lines("target_users"), "access_method": form.get("access_method") or "direct"}
    elif script == "post":
        config = {"captions": str(form.get("captions") or ""), "post_way": form.get("post_way") or "share"}
        if lines("material_list"):
            config["material_list"] = lines("material_list")
        if form.get("content_type") in ("0", "1"):
            config["content_type"] = int(str(form["content_type"]))
    body: dict[str, Any] = {"script_name": script, "script_config": config}
    serials = [s for s in form.get("serials") or [] if s]
    usernames = [u for u in form.get("usernames") or [] if u]
    if serials:
        body["serials"] = serials
    if usernames:
        body["usernames"] = usernames
    if form.get("start_time"):
        body["start_time"] = str(form["start_time"])
    return body


@routes.get(r"/tasks/{task_id:\d+}")
@_signed_in
@aiohttp_jinja2.template("task.html")
async def task_page(request: web.Request) -> dict[str, Any]:
    task_id = _task_id(request)
    store = request.app[keys.STORE]
    task = await store.tasks.get(task_id)
    events = await store.events.recent(task_id=task_id, limit=50)
    names = await asyncio.to_thread(request.app[keys.ARTIFACTS].names, task_id)
    return context(request, title=f"Task {task_id}", task=render.task(task, _tz(request)), artifacts=names,
                   problem=request.query.get("problem"),
                   events=[render.event(e, _tz(request)) for e in events], stats=await _stats(request))


@routes.get(r"/tasks/{task_id:\d+}/artifacts/{name}")
@_signed_in
async def task_artifact(request: web.Request) -> web.StreamResponse:
    path = request.app[keys.ARTIFACTS].path(_task_id(request), request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound(text="no such artifact")
    return web.FileResponse(path, headers={"Content-Type": ARTIFACT_TYPES[request.match_info["name"]]})


@routes.post(r"/tasks/{task_id:\d+}/{action:stop|retry|delete}")
@_signed_in
async def task_action(request: web.Request) -> web.StreamResponse:
    task_id, action = _task_id(request), request.match_info["action"]
    lifecycle = request.app[keys.LIFECYCLE]
    try:
        if action == "stop":
            await lifecycle.stop(task_id)
        elif action == "retry":
            await lifecycle.retry(task_id)
        else:
            await lifecycle.delete([task_id])
            raise web.HTTPSeeOther("/tasks")
    except TikmatrixError as error:
        raise web.HTTPSeeOther(f"/tasks/{task_id}?problem={error.message[:200]}") from None
    raise web.HTTPSeeOther(_back(request, f"/tasks/{task_id}"))


@routes.post("/tasks/retry-all")
@_signed_in
async def retry_all(request: web.Request) -> web.StreamResponse:
    await request.app[keys.LIFECYCLE].retry_all()
    raise web.HTTPSeeOther(_back(request, "/tasks"))


def _back(request: web.Request, default: str) -> str:
    """Where a form came from (a path of this site), else ``default``."""
    referer = request.headers.get("Referer", "")
    own = f"{request.scheme}://{request.host}"
    return referer[len(own):] if referer.startswith(own + "/") else default


def _task_id(request: web.Request) -> int:
    raw = request.match_info["task_id"]
    if not raw.isascii() or len(raw) > 18:
        raise web.HTTPNotFound(text="no such task")
    return int(raw)


# -- accounts ----------------------------------------------------------------------------
@routes.get("/accounts")
@_signed_in
@aiohttp_jinja2.template("accounts.html")
async def accounts_page(request: web.Request) -> dict[str, Any]:
    store = request.app[keys.STORE]
    accounts, total = await store.accounts.list(AccountFilter(), 1, 500)
    devices = await store.devices.list()
    config = request.app[keys.CONFIG]
    done = await store.accounts.done_since(schedule.day_start(request.app[keys.CLOCK](), config.tz))
    shown = []
    for account in accounts:
        caps = {**config.caps.daily, **account.daily_caps}
        today = done.get(account.id, {})
        usage = [f"{script} {today.get(script, 0)}" + (f"/{cap}" if cap else "")
                 for script, cap in caps.items() if cap or today.get(script)]
        shown.append({**render.account(account, _tz(request)), "today": usage})
    return context(request, title="Accounts", accounts=shown, total=total,
                   devices=[d.serial for d in devices if d.state == "online"], stats=await _stats(request))


@routes.post("/accounts/match")
@_signed_in
async def match_accounts(request: web.Request) -> web.StreamResponse:
    from tikmatrixd.api.accounts import discover

    form = await request.post()
    serials = [s for s in form.getall("serials", []) if isinstance(s, str) and s]
    if serials:
        await discover(request.app, serials, "ui")
    raise web.HTTPSeeOther("/accounts")


# -- live --------------------------------------------------------------------------------
@routes.get("/ui/events")
@_signed_in
async def live_events(request: web.Request) -> web.StreamResponse:
    """The event stream for the dashboard's own pages (their session, not a bearer token)."""
    return await event_stream(request)
