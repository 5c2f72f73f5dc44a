"""/api/v1/materials: the material library over HTTP (uploads from other machines, by content)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http import HttpProcessingError
from marshmallow import RAISE, Schema, fields, validate

from tikmatrixd import constants, keys
from tikmatrixd.api import render
from tikmatrixd.api.envelope import ok
from tikmatrixd.api.parsing import check_text, json_object, load, path_id, query
from tikmatrixd.core.errors import InvalidParameters
from tikmatrixd.fields import Username
from tikmatrixd.library import Library, Received
from tikmatrixd.store.materials import MaterialFilter

routes = web.RouteTableDef()
#: A tag names a sub-folder of the library: no dot first, no separator.
TAG = re.compile(r"\w[\w.-]{0,39}")
MAX_FILES = 100


def _tags(values: list[str]) -> list[str]:
    tags = [tag.strip() for value in values for tag in value.split(",") if tag.strip()]
    bad = [tag for tag in tags if not TAG.fullmatch(tag)]
    if bad:
        raise InvalidParameters.fields({"tags": [f"not a tag: {bad[0][:60]!r} (letters, digits, '.', '_', '-'; "
                                                 "at most 40; not starting with '.' or '-')"]})
    if len(tags) > 20:
        raise InvalidParameters.fields({"tags": ["at most 20 tags"]})
    return list(dict.fromkeys(tags))


class TagsField(fields.Field[list[str]]):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise self.make_error("invalid")
        return _tags(value)

    default_error_messages = {"invalid": "a comma-separated string or a list of tags"}


class MaterialQuery(Schema):
    class Meta:
        unknown = RAISE

    tag = fields.String(validate=validate.Regexp(TAG))
    kind = fields.String(validate=validate.OneOf(["video", "image"]))
    posted_by = Username(metadata={"description": "posted by this account (@username, any platform)"})
    unposted_for = Username(metadata={"description": "never posted by this account"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, constants.MAX_PAGE))
    page_size = fields.Integer(load_default=constants.DEFAULT_PAGE_SIZE,
                               validate=validate.Range(1, constants.MAX_PAGE_SIZE))


class MaterialPatch(Schema):
    class Meta:
        unknown = RAISE

    tags = TagsField(required=True)


MATERIAL_QUERY, MATERIAL_PATCH = MaterialQuery(), MaterialPatch()


def _library(request: web.Request) -> Library:
    library = request.app[keys.LIBRARY]
    if library is None:
        raise InvalidParameters("no material library: set media.roots in the config (the first is the library)")
    return library


@routes.post("/api/v1/materials")
async def upload(request: web.Request) -> web.Response:
    """Upload videos and images (multipart/form-data: file parts, and optional ``tags``)."""
    library = _library(request)
    if not request.content_type.startswith("multipart/"):
        raise InvalidParameters("send the files as multipart/form-data (curl -F file=@video.mp4)")
    received: list[tuple[Received, str]] = []
    tag_values: list[str] = []
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise InvalidParameters("nested multipart is not supported")
            if part.filename is None:
                if part.name != "tags":
                    raise InvalidParameters(f"unknown form field {str(part.name)[:40]!r}: send files and tags")
                tag_values.append(await _small_text(part))
                continue
            if len(received) == MAX_FILES:
                raise InvalidParameters(f"at most {MAX_FILES} files per upload")
            name = check_text(part.filename, "a file name")
            received.append((await library.receive(part), name))
        if not received:
            raise InvalidParameters("no file in the upload")
        tags = _tags(tag_values)
    except (ValueError, HttpProcessingError) as error:  # a malformed or truncated multipart body
        await _discard(library, received)
        raise InvalidParameters(f"incomplete or malformed upload: {error}") from None
    except BaseException:
        await _discard(library, received)
        raise
    try:
        await library.check_quota([item for item, _ in received])  # all of the request or none of it
    except BaseException:
        await _discard(library, received)
        raise
    materials = []
    for index, (item, name) in enumerate(received):
        try:
            material, created = await library.keep(item, name, tags)
        except BaseException:
            await _discard(library, received[index + 1:])
            raise
        materials.append({**render.material(material, request.app[keys.CONFIG].tz), "created": created})
    return ok({"materials": materials, "created_count": sum(m["created"] for m in materials)})


async def _small_text(part: BodyPartReader, limit: int = 4096) -> str:
    """A form field's text, read no further than ``limit`` bytes."""
    data = b""
    while chunk := await part.read_chunk(limit):
        data += chunk
        if len(data) > limit:
            raise InvalidParameters(f"the {part.name} field is longer than {limit} bytes")
    try:
        return check_text(data.decode("utf-8"), str(part.name))
    except UnicodeDecodeError:
        raise InvalidParameters(f"the {part.name} field is not UTF-8") from None


async def _discard(library: Library, received: list[tuple[Received, str]]) -> None:
    for item, _ in received:
        await library.drop(item)


@routes.get("/api/v1/materials")
async def list_materials(request: web.Request) -> web.Response:
    args = query(request, MATERIAL_QUERY)
    library = _library(request)
    await library.sync()  # files copied by hand since the last look
    page, size = args.pop("page"), args.pop("page_size")
    materials, total = await request.app[keys.STORE].materials.list(MaterialFilter(**args), page, size)
    tz = request.app[keys.CONFIG].tz
    return ok({"materials": [render.material(m, tz) for m in materials], "total": total, "page": page,
               "page_size": size})


@routes.get("/api/v1/materials/{material_id}")
async def get_material(request: web.Request) -> web.Response:
    material = await request.app[keys.STORE].materials.get(path_id(request, "material_id", "material"))
    return ok(render.material(material, request.app[keys.CONFIG].tz))


@routes.patch("/api/v1/materials/{material_id}")
async def update_material(request: web.Request) -> web.Response:
    material_id = path_id(request, "material_id", "material")
    tags = load(MATERIAL_PATCH, await json_object(request))["tags"]
    material = await request.app[keys.STORE].materials.update_tags(material_id, tags)
    return ok(render.material(material, request.app[keys.CONFIG].tz))


@routes.delete("/api/v1/materials/{material_id}")
async def delete_material(request: web.Request) -> web.Response:
    """Delete a material and its file (refused while a task that has not ended names it)."""
    library = _library(request)
    material = await request.app[keys.STORE].materials.delete(path_id(request, "material_id", "material"))
    await library.forget(material)
    return ok({"deleted_count": 1})
