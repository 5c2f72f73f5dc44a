"""/api/v1/openapi.json: the OpenAPI 3.1 document, built with apispec from the
marshmallow schemas that validate requests, walking the app's own router.

Every route appears, described or not (a new route shows up by itself with
its docstring as summary); ``_operations()`` says what a route takes and answers.
Served in the envelope like every /api/ answer: the document is ``data``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin, resolver
from marshmallow import Schema, fields

from tikmatrixd import __version__, keys
from tikmatrixd.api import (
    accounts,
    devices,
    docs,
    events,
    health,
    license,
    materials,
    metrics,
    shapes,
    tasks,
    webhooks,
)
from tikmatrixd.api.envelope import ok
from tikmatrixd.artifacts import NAMES as ARTIFACT_TYPES
from tikmatrixd.core.errors import TikmatrixError
from tikmatrixd.scripts import SCRIPTS
from tikmatrixd.scripts.base import ScriptContext
from tikmatrixd.scripts.post import ADD_SOUND_VALUES, AddSound

routes = web.RouteTableDef()


@dataclass(frozen=True)
class Operation:
    summary: str
    body: str | None = None  # component of the JSON request body
    query: type[Schema] | None = None
    data: type[Schema] | dict[str, Any] | None = None  # what the envelope's data holds
    media: tuple[str, ...] = ()  # a raw answer, outside the envelope, of these types
    form: dict[str, Any] | None = None  # a multipart/form-data request body: its properties


_SCHEMAS: dict[str, Schema | type[Schema]] = {
    "CreateTask": tasks.CreateTaskSchema,
    "BatchDelete": tasks.BatchDeleteSchema,
    "AccountCreate": accounts.AccountSchema,
    "AccountPatch": accounts.AccountSchema(partial=True),
    "MaterialPatch": materials.MaterialPatch,
}

# Fields apispec cannot type by their class: they accept more than one JSON type.
_FIELDS: dict[type[fields.Field[Any]], dict[str, Any]] = {
    accounts.Tags: {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                    "description": "a comma-separated string or a list"},
    materials.TagsField: {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                          "description": "a comma-separated string or a list"},
    AddSound: {"enum": [*ADD_SOUND_VALUES, -1, 0, 1]},
}


def _operations() -> dict[Callable[..., Any], Operation]:
    return {
        tasks.create_task: Operation("Create tasks (one per device or account, and per target)",
                                     body="CreateTask", data=shapes.CreatedSchema),
        tasks.list_tasks: Operation("List tasks, newest first", query=tasks.ListTasksQuery,
                                    data=shapes.TaskPageSchema),
        tasks.task_stats: Operation("Count tasks by status", data=shapes.TaskStatsSchema),
        tasks.delete_batch: Operation("Delete tasks by id (running ones are stopped first)", body="BatchDelete",
                                      data=shapes.BatchDeletedSchema),
        tasks.retry_all: Operation("Every failed task back to pending", data=shapes.RetriedSchema),
        tasks.get_task: Operation("One task", data=shapes.TaskSchema),
        tasks.delete_task: Operation("Delete a task (stopped first if running)", data=shapes.DeletedSchema),
        tasks.stop_task: Operation("Pending or running → failed with reason stopped", data=shapes.TaskSchema),
        tasks.retry_task: Operation("Failed → pending, retry_count + 1", data=shapes.TaskSchema),
        tasks.list_artifacts: Operation("What a failed task left for diagnosis", data=shapes.ArtifactListSchema),
        tasks.get_artifact: Operation("One artifact: the last UI dump or a screenshot",
                                      media=tuple(dict.fromkeys(ARTIFACT_TYPES.values()))),
        license.license_check: Operation("The configured plan", data=shapes.LicenseSchema),
        devices.list_devices: Operation("Every known device", data=shapes.DeviceListSchema),
        devices.get_device: Operation("One device", data=shapes.DeviceSchema),
        devices.screen: Operation("The phone's screen now, a PNG (refused while a task runs on it unless "
                                  "force=1)", query=devices.LookQuery, media=("image/png",)),
        devices.dump: Operation("The phone's screen now, its uiautomator dump (refused while a task runs on "
                                "it unless force=1)", query=devices.LookQuery, media=("application/xml",)),
        materials.upload: Operation(
            "Upload videos and images into the material library (deduplicated by content)",
            form={"file": {"type": "string", "format": "binary", "description": "one part per file"},
                  "tags": {"type": "string", "description": "comma-separated; the first is the folder"}},
            data=shapes.UploadedSchema),
        materials.list_materials: Operation("List the material library", query=materials.MaterialQuery,
                                            data=shapes.MaterialPageSchema),
        materials.get_material: Operation("One material", data=shapes.MaterialSchema),
        materials.update_material: Operation("Change a material's tags", body="MaterialPatch",
                                             data=shapes.MaterialSchema),
        materials.delete_material: Operation("Delete a material and its file", data=shapes.DeletedSchema),
        accounts.list_accounts: Operation("List accounts", query=accounts.AccountQuery,
                                          data=shapes.AccountPageSchema),
        accounts.create_account: Operation("Register an account", body="AccountCreate",
                                           data=shapes.AccountOutSchema),
        accounts.get_account: Operation("One account", data=shapes.AccountOutSchema),
        accounts.update_account: Operation("Change an account", body="AccountPatch", data=shapes.AccountOutSchema),
        accounts.delete_account: Operation("Delete an account", data=shapes.DeletedSchema),
        events.event_stream: Operation(
            "The event log as server-sent events: `id: <log id>`, `event: <kind>`, `data: <json>`. With "
            "`Last-Event-ID` or `after`, the events after that id first (a `gap` notice when the log was "
            "pruned past it), then an `open` notice (`last_id`), then live; a `: ping` comment every 15 s",
            query=events.EventsQuery, media=("text/event-stream",)),
        webhooks.list_webhooks: Operation("Delivery state of each configured webhook endpoint",
                                          data=shapes.WebhookListSchema),
        openapi: Operation("This document", data={"type": "object"}),
        docs.bare_openapi: Operation("This document, bare (not in the envelope), for tools",
                                     media=("application/json",)),
        docs.docs_page: Operation("The API page: this document as HTML, with the README's examples",
                                  media=("text/html",)),
        health.healthz: Operation("Liveness: the event loop answers and the store responds",
                                  data=shapes.HealthSchema),
        metrics.metrics: Operation("Prometheus metrics", media=("text/plain", "application/openmetrics-text")),
    }


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of this daemon."""
    return ok(document(request.app))


def document(app: web.Application) -> dict[str, Any]:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="tikmatrixd", version=__version__, openapi_version="3.1.0", plugins=[plugin],
        info={"description": "The TikMatrix local Task Management API. Every answer under /api/ is the "
                             "envelope {code, message, data}; code 0 is success."},
    )
    assert plugin.converter is not None
    plugin.converter.add_attribute_function(_multi_type_fields)  # type: ignore[no-untyped-call]
    _components(spec, app)
    operations = _operations()
    by_path: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        if route.method == "HEAD" or not route.handler.__module__.startswith("tikmatrixd.api."):
            continue  # HEAD is implied by GET; the dashboard's pages and files are no API
        path = route.resource.canonical if route.resource is not None else ""
        by_path.setdefault(path, {})[route.method.lower()] = _operation(route, operations.get(route.handler))
    for path, ops in by_path.items():
        spec.path(path=path, operations=ops, parameters=[_path_parameter(name) for name in re.findall(r"{(\w+)", path)])
    return spec.to_dict()


def _components(spec: APISpec, app: web.Application) -> None:
    codes = sorted({cls.code for cls in _subclasses(TikmatrixError)})
    spec.components.schema("Envelope", {
        "type": "object", "required": ["code", "message", "data"],
        "properties": {"code": {"type": "integer"}, "message": {"type": "string"}, "data": {}},
    })
    spec.components.schema("Error", {"allOf": [{"$ref": "#/components/schemas/Envelope"}], "properties": {
        "code": {"enum": codes, "description": "40001 invalid parameters (also on HTTP 405 and 413), 40002 "
                 "script_name missing, 40003 script not supported, 40101 token missing, 40301 plan without API, "
                 "40302 request from another web page (Origin), "
                 "40401 not found, 50001 internal error"},
        "data": {"type": ["object", "null"], "properties": {"errors": {
            "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "dotted field path → messages, e.g. script_config.captions"}}},
    }})
    spec.components.response("Error", {"description": "an error, in the envelope",
                                       "content": {"application/json": {"schema": "Error"}}})
    spec.components.security_scheme("token", {
        "type": "http", "scheme": "bearer", "description": "required when [server] token_file is set"})

    context = ScriptContext(media_roots=app[keys.CONFIG].media.roots)
    configs: dict[str, str] = {}
    for script in SCRIPTS.values():
        script_schema = script.schema(context)
        name = resolver(type(script_schema))
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=script_schema)
        configs[script.name] = name
    for name, schema in _SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    # Defaults that would mislead: a PATCH leaves a missing field as it is, and
    # a missing email is stored as "", which is no email address.
    for prop in spec.components.schemas["AccountPatch"]["properties"].values():
        prop.pop("default", None)
    spec.components.schemas["AccountCreate"]["properties"]["email"].pop("default")
    create = spec.components.schemas["CreateTask"]["properties"]
    create["script_name"]["enum"] = list(SCRIPTS)
    create["script_config"] = {
        "description": "validated by the schema of script_name: "
                       + "; ".join(f"{script} → {name}" for script, name in configs.items()),
        "anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in dict.fromkeys(configs.values())],
    }


def _operation(route: web.AbstractRoute, op: Operation | None) -> dict[str, Any]:
    handler = route.handler
    path = route.resource.canonical if route.resource is not None else ""
    summary = op.summary if op else (handler.__doc__ or f"{route.method} {path}").split("\n")[0]
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": handler.__name__,
        "tags": [handler.__module__.rsplit(".", 1)[-1]],
        "responses": {"200": _success(op), "default": "Error"},
    }
    if route.resource is not None and route.resource.canonical.startswith("/api/"):
        operation["security"] = [{}, {"token": []}]  # {}: no token unless one is configured
    if op and op.query:
        operation["parameters"] = [{"in": "query", "schema": op.query}]
    if op and op.body:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    if op and op.form:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", "properties": op.form}}}}
    return operation


def _success(op: Operation | None) -> dict[str, Any]:
    if op and op.media:
        content = {media: {"schema": {"type": "object" if media == "application/json" else "string"}}
                   for media in op.media}
        return {"description": ", ".join(op.media), "content": content}
    data = op.data if op and op.data is not None else {}
    # "type": "object" lets apispec resolve a marshmallow schema in data to a $ref.
    envelope = {"type": "object", "allOf": [{"$ref": "#/components/schemas/Envelope"}],
                "properties": {"code": {"const": 0}, "message": {"const": "success"}, "data": data}}
    return {"description": "success, in the envelope", "content": {"application/json": {"schema": envelope}}}


def _path_parameter(name: str) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 0} if name.endswith("_id") else {"type": "string"}
    return {"in": "path", "name": name, "required": True, "schema": schema}


def _multi_type_fields(self: Any, field: fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
    return _FIELDS.get(type(field), {})


def _subclasses(cls: type[TikmatrixError]) -> set[type[TikmatrixError]]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _subclasses(sub)
    return found
