"""/api/v1/task: create (with fan-out), list, get, stop, retry, delete, stats."""

from __future__ import annotations

import asyncio
import functools
import re
from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import web
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from tikmatrixd import constants, keys
from tikmatrixd.api import render
from tikmatrixd.api.envelope import ok
from tikmatrixd.api.parsing import json_object, load, path_id, query, task_source
from tikmatrixd.artifacts import NAMES as ARTIFACT_TYPES
from tikmatrixd.core import schedule
from tikmatrixd.core.errors import InvalidParameters, NotFound, ScriptNameMissing, ScriptNotSupported, TaskNotFound
from tikmatrixd.core.status import TaskStatus
from tikmatrixd.core.tasks import CreateRequest, TargetSelection, TaskFilter
from tikmatrixd.fields import Serial, StrictBool, StrictInt, Username, flatten_errors
from tikmatrixd.scripts import SCRIPTS
from tikmatrixd.scripts.base import ScriptContext
from tikmatrixd.store.tasks import Created

routes = web.RouteTableDef()
log = structlog.get_logger("tikmatrixd.tasks")


class CreateTaskSchema(Schema):
    class Meta:
        unknown = RAISE

    serials = fields.List(
        Serial(),
        allow_none=True, validate=validate.Length(min=1, max=constants.MAX_SERIALS),
    )
    usernames = fields.List(
        Username(), allow_none=True, validate=validate.Length(min=1, max=constants.MAX_USERNAMES)
    )
    script_name = fields.String(required=True)
    script_config = fields.Dict(required=True)
    enable_multi_account = StrictBool(load_default=False)
    start_time = fields.String(allow_none=True)

    @validates("start_time")
    def check_start_time(self, value: str | None, **kwargs: Any) -> None:
        if value:
            try:
                schedule.parse_hhmm(value)
            except ValueError as error:
                raise ValidationError(str(error)) from None


class ListTasksQuery(Schema):
    class Meta:
        unknown = RAISE

    status = fields.Integer(validate=validate.Range(0, 3))
    serial = fields.String(validate=validate.Length(min=1))
    script_name = fields.String(validate=validate.Length(min=1))
    source = fields.String(validate=validate.OneOf(["api", "ui"]))
    username = Username()
    page = fields.Integer(load_default=1, validate=validate.Range(1, constants.MAX_PAGE))
    page_size = fields.Integer(load_default=constants.DEFAULT_PAGE_SIZE,
                               validate=validate.Range(1, constants.MAX_PAGE_SIZE))


class BatchDeleteSchema(Schema):
    class Meta:
        unknown = RAISE

    task_ids = fields.List(
        StrictInt(validate=validate.Range(min=0)), required=True,
        validate=validate.Length(min=1, max=constants.MAX_BATCH_DELETE),
    )


# Built once: a schema is stateless across loads, and building one costs ~30-60 µs a request.
CREATE_SCHEMA, LIST_QUERY, BATCH_SCHEMA = CreateTaskSchema(), ListTasksQuery(), BatchDeleteSchema()


@functools.cache
def script_schema(script_name: str, context: ScriptContext) -> Schema:
    return SCRIPTS[script_name].schema(context)


def _validate_create(app: web.Application, body: dict[str, Any], now: float,
                     source: str) -> tuple[CreateRequest, Any]:
    """Checks in SPEC order: 40002, 40003, then every other error at once."""
    script_name = body.get("script_name")
    if script_name is None or script_name == "":
        raise ScriptNameMissing()
    script = SCRIPTS.get(script_name) if isinstance(script_name, str) else None
    if script is None:
        raise ScriptNotSupported(f"script_name {script_name!r} is not supported; use one of {', '.join(SCRIPTS)}")

    config = app[keys.CONFIG]
    errors: dict[str, list[str]] = {}
    try:
        data = CREATE_SCHEMA.load(body)
    except ValidationError as error:
        errors.update(flatten_errors(error.messages))
        data = error.valid_data or {}
    script_config: dict[str, Any] = {}
    if isinstance(body.get("script_config"), dict):
        try:
            script_config = script_schema(script.name, ScriptContext(media_roots=config.media.roots)).load(
                body["script_config"])
        except ValidationError as error:
            errors.update(flatten_errors(error.messages, "script_config"))
    serials, usernames = data.get("serials"), data.get("usernames")
    if "serials" not in errors and "usernames" not in errors and bool(serials) == bool(usernames):
        errors["body"] = ["give exactly one of serials or usernames"]
    if usernames and data.get("enable_multi_account"):
        errors["enable_multi_account"] = ["only valid with serials"]
    if errors:
        raise InvalidParameters.fields(errors)

    start_time = data.get("start_time") or None
    scheduled_at = now
    if start_time:
        scheduled_at = schedule.resolve(start_time, datetime.fromtimestamp(now, UTC), _zone(config)).timestamp()
    request = CreateRequest(
        script_name=script.name,
        script_config=script_config,
        source=source,
        start_time=start_time,
        scheduled_at=scheduled_at,
        created_at=now,
        selection=TargetSelection(
            serials=tuple(dict.fromkeys(serials or ())),
            usernames=tuple(dict.fromkeys(usernames or ())),
            multi_account=data.get("enable_multi_account", False),
        ),
    )
    return request, script


def _zone(config: Any) -> Any:
    return config.tz or datetime.now().astimezone().tzinfo


#: A library material named in a post's material_list instead of a path.
MATERIAL_REF = re.compile(r"material:\d{1,18}|sha256:[0-9a-fA-F]{64}")


async def _resolve_materials(app: web.Application, body: dict[str, Any]) -> None:
    """``material:ID`` and ``sha256:HEX`` in a post's material_list → the files' paths (one store
    hop, only when a request names materials); an unknown one is 40001, naming it."""
    config = body.get("script_config")
    if body.get("script_name") != "post" or not isinstance(config, dict):
        return
    listed = config.get("material_list")
    if not isinstance(listed, list):
        return
    refs = {item: _ref_key(item) for item in listed if isinstance(item, str) and MATERIAL_REF.fullmatch(item)}
    if not refs:
        return
    paths = await app[keys.STORE].materials.resolve(list(refs.values()))
    missing = {f"script_config.material_list.{i}": [f"no material {item} in the library"]
               for i, item in enumerate(listed) if item in refs and refs[item] not in paths}
    if missing:
        raise InvalidParameters.fields(missing)
    config["material_list"] = [paths[refs[item]] if item in refs else item for item in listed]


def _ref_key(ref: str) -> str:
    kind, value = ref.split(":", 1)
    return f"material:{int(value)}" if kind == "material" else f"sha256:{value.lower()}"


async def create_tasks(app: web.Application, body: dict[str, Any], source: str) -> Created:
    """A create request's body, validated as SPEC says, fanned out and stored (the API and the dashboard)."""
    await _resolve_materials(app, body)
    create, script = _validate_create(app, body, app[keys.CLOCK](), source)
    return await app[keys.LIFECYCLE].create(create, script, app[keys.CONFIG].tasks.max_per_request)


@routes.post("/api/v1/task")
async def create_task(request: web.Request) -> web.Response:
    created = await create_tasks(request.app, await json_object(request), task_source(request))
    return ok({"task_ids": created.ids, "created_count": len(created.ids)})


@routes.get("/api/v1/task")
async def list_tasks(request: web.Request) -> web.Response:
    args = query(request, LIST_QUERY)
    where = TaskFilter(
        status=TaskStatus(args["status"]) if "status" in args else None,
        serial=args.get("serial"), script_name=args.get("script_name"),
        source=args.get("source"), username=args.get("username"),
    )
    page = await request.app[keys.STORE].tasks.list(where, args["page"], args["page_size"])
    tz = request.app[keys.CONFIG].tz
    return ok({
        "tasks": [render.task(task, tz) for task in page.tasks],
        "total": page.total,
        "page": args["page"],
        "page_size": args["page_size"],
    })


@routes.get("/api/v1/task/stats")
async def task_stats(request: web.Request) -> web.Response:
    stats = await request.app[keys.STORE].tasks.stats()
    return ok({
        "total": stats.total, "pending": stats.pending, "running": stats.running,
        "completed": stats.completed, "failed": stats.failed,
    })


@routes.delete("/api/v1/task/batch")
async def delete_batch(request: web.Request) -> web.Response:
    ids = load(BATCH_SCHEMA, await json_object(request))["task_ids"]
    deleted = await request.app[keys.LIFECYCLE].delete(ids)
    return ok({"deleted_count": len(deleted.tasks), "not_found": deleted.not_found})


@routes.post("/api/v1/task/retry-all")
async def retry_all(request: web.Request) -> web.Response:
    return ok({"retried_count": await request.app[keys.LIFECYCLE].retry_all()})


@routes.get(r"/api/v1/task/{task_id:\d+}")
async def get_task(request: web.Request) -> web.Response:
    task = await request.app[keys.STORE].tasks.get(path_id(request, "task_id", "task"))
    return ok(render.task(task, request.app[keys.CONFIG].tz))


@routes.delete(r"/api/v1/task/{task_id:\d+}")
async def delete_task(request: web.Request) -> web.Response:
    task_id = path_id(request, "task_id", "task")
    deleted = await request.app[keys.LIFECYCLE].delete([task_id])
    if not deleted.tasks:
        raise TaskNotFound(task_id)
    return ok({"deleted_count": 1})


@routes.post(r"/api/v1/task/{task_id:\d+}/stop")
async def stop_task(request: web.Request) -> web.Response:
    task = await request.app[keys.LIFECYCLE].stop(path_id(request, "task_id", "task"))
    return ok(render.task(task, request.app[keys.CONFIG].tz))


@routes.post(r"/api/v1/task/{task_id:\d+}/retry")
async def retry_task(request: web.Request) -> web.Response:
    task = await request.app[keys.LIFECYCLE].retry(path_id(request, "task_id", "task"))
    return ok(render.task(task, request.app[keys.CONFIG].tz))


@routes.get(r"/api/v1/task/{task_id:\d+}/artifacts")
async def list_artifacts(request: web.Request) -> web.Response:
    """What a failed task left for diagnosis: its last UI dump and a screenshot."""
    task = await request.app[keys.STORE].tasks.get(path_id(request, "task_id", "task"))
    names = await asyncio.to_thread(request.app[keys.ARTIFACTS].names, task.id)
    return ok({"task_id": task.id, "artifacts": [
        {"name": name, "content_type": ARTIFACT_TYPES[name], "url": f"/api/v1/task/{task.id}/artifacts/{name}"}
        for name in names]})


@routes.get(r"/api/v1/task/{task_id:\d+}/artifacts/{name}")
async def get_artifact(request: web.Request) -> web.StreamResponse:
    task_id, name = path_id(request, "task_id", "task"), request.match_info["name"]
    path = await asyncio.to_thread(request.app[keys.ARTIFACTS].path, task_id, name)
    if path is None:
        raise NotFound(f"task {task_id} has no artifact {name}")
    return web.FileResponse(path, headers={"Content-Type": ARTIFACT_TYPES[name]})
