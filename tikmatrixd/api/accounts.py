"""/api/v1/accounts: the account registry (TikMatrix's list shape, plus CRUD)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from marshmallow import RAISE, Schema, fields, post_load, validate

from tikmatrixd import constants, keys
from tikmatrixd.api import render
from tikmatrixd.api.envelope import ok
from tikmatrixd.api.parsing import json_object, load, path_id, query, task_source
from tikmatrixd.core.devices import AccountFilter
from tikmatrixd.core.platforms import PACKAGES, PLATFORMS
from tikmatrixd.core.tasks import CreateRequest, TargetSelection
from tikmatrixd.fields import PackageName, Serial, StrictInt, Username
from tikmatrixd.scripts import SCRIPTS
from tikmatrixd.scripts.match_accounts import MATCH_ACCOUNTS
from tikmatrixd.store.tasks import Created

routes = web.RouteTableDef()

_TAG = r"[\w.-]{1,40}"


class Tags(fields.Field[list[str]]):
    """A comma-separated string or a list of tags; stored as a list."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        if isinstance(value, str):
            value = [tag.strip() for tag in value.split(",") if tag.strip()]
        if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
            raise self.make_error("invalid")
        if len(value) > 50:
            raise self.make_error("invalid")
        validator = validate.Regexp(_TAG, error="tags are letters, digits, '.', '_' or '-' (at most 40)")
        for tag in value:
            validator(tag)
        return list(dict.fromkeys(value))

    default_error_messages = {"invalid": "Not a valid list of tags."}


class AccountSchema(Schema):
    class Meta:
        unknown = RAISE

    username = Username(required=True)
    platform = fields.String(load_default="tiktok", validate=validate.OneOf(PLATFORMS))
    device = Serial(allow_none=True)
    packagename = PackageName()
    email = fields.Email(load_default="")
    logined = StrictInt(load_default=1, validate=validate.OneOf([0, 1]))
    status = StrictInt(load_default=0, validate=validate.OneOf([0, 1]))
    tags = Tags(load_default=list)
    daily_caps = fields.Dict(keys=fields.String(validate=validate.OneOf(list(SCRIPTS))),
                             values=StrictInt(validate=validate.Range(0, 100_000)), load_default=dict)

    @post_load
    def default_package(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "platform" in data and not data.get("packagename") and not self.partial:
            data["packagename"] = PACKAGES[data["platform"]]
        return data


class AccountQuery(Schema):
    class Meta:
        unknown = RAISE

    platform = fields.String(validate=validate.OneOf(PLATFORMS))
    device = fields.String(validate=validate.Length(min=1))
    logined = fields.Integer(validate=validate.OneOf([0, 1]))
    status = fields.Integer(validate=validate.OneOf([0, 1]))
    tag = fields.String(validate=validate.Regexp(_TAG))
    page = fields.Integer(load_default=1, validate=validate.Range(1, constants.MAX_PAGE))
    page_size = fields.Integer(load_default=constants.DEFAULT_PAGE_SIZE,
                               validate=validate.Range(1, constants.MAX_PAGE_SIZE))


class MatchSchema(Schema):
    class Meta:
        unknown = RAISE

    serials = fields.List(Serial(), required=True,
                          validate=validate.Length(min=1, max=constants.MAX_MATCH_SERIALS))
    platforms = fields.List(fields.String(validate=validate.OneOf(PLATFORMS)), load_default=list(PLATFORMS),
                            validate=validate.Length(min=1))


# Built once: schemas are stateless across loads.
ACCOUNT_QUERY, ACCOUNT_SCHEMA, MATCH_SCHEMA = AccountQuery(), AccountSchema(), MatchSchema()
ACCOUNT_PATCH = AccountSchema(partial=True)


@routes.get("/api/v1/accounts")
async def list_accounts(request: web.Request) -> web.Response:
    args = query(request, ACCOUNT_QUERY)
    page, size = args.pop("page"), args.pop("page_size")
    accounts, total = await request.app[keys.STORE].accounts.list(AccountFilter(**args), page, size)
    return ok({"accounts": [render.account(a, request.app[keys.CONFIG].tz) for a in accounts], "total": total,
               "page": page, "page_size": size})


@routes.post("/api/v1/accounts")
async def create_account(request: web.Request) -> web.Response:
    values = load(ACCOUNT_SCHEMA, await json_object(request))
    account = await request.app[keys.STORE].accounts.create(values, request.app[keys.CLOCK]())
    return ok(render.account(account, request.app[keys.CONFIG].tz))


@routes.post("/api/v1/accounts/match")
async def match_accounts(request: web.Request) -> web.Response:
    """Discovery: one built-in match_accounts task per device and app, reading the
    accounts logged in there into this registry. Answers like a task create."""
    args = load(MATCH_SCHEMA, await json_object(request))
    created = await discover(request.app, args["serials"], task_source(request), args["platforms"])
    return ok({"task_ids": created.ids, "created_count": len(created.ids)})


async def discover(app: web.Application, serials: list[str], source: str,
                   platforms: list[str] | None = None) -> Created:
    """One match_accounts task per device (the API and the dashboard)."""
    now = app[keys.CLOCK]()
    create = CreateRequest(
        script_name=MATCH_ACCOUNTS.name, script_config={"platforms": list(dict.fromkeys(platforms or PLATFORMS))},
        source=source, start_time=None, scheduled_at=now, created_at=now,
        selection=TargetSelection(serials=tuple(dict.fromkeys(serials))))
    return await app[keys.LIFECYCLE].create(create, MATCH_ACCOUNTS, app[keys.CONFIG].tasks.max_per_request)


@routes.get("/api/v1/accounts/{account_id}")
async def get_account(request: web.Request) -> web.Response:
    account = await request.app[keys.STORE].accounts.get(path_id(request, "account_id", "account"))
    return ok(render.account(account, request.app[keys.CONFIG].tz))


@routes.patch("/api/v1/accounts/{account_id}")
async def update_account(request: web.Request) -> web.Response:
    account_id = path_id(request, "account_id", "account")
    changes = load(ACCOUNT_PATCH, await json_object(request))
    account = await request.app[keys.STORE].accounts.update(account_id, changes)
    return ok(render.account(account, request.app[keys.CONFIG].tz))


@routes.delete("/api/v1/accounts/{account_id}")
async def delete_account(request: web.Request) -> web.Response:
    await request.app[keys.STORE].accounts.delete(path_id(request, "account_id", "account"))
    return ok({"deleted_count": 1})
