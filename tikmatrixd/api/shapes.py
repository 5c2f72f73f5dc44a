"""What the API answers inside the envelope's ``data``, as marshmallow schemas
for the OpenAPI document only (render.py builds the JSON; a test checks both
name the same keys)."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate

from tikmatrixd.config import PLANS
from tikmatrixd.core.devices import DEVICE_STATES
from tikmatrixd.core.platforms import PLATFORMS
from tikmatrixd.core.status import TaskStatus


class Shape(Schema):
    class Meta:
        unknown = INCLUDE  # answers may gain fields; clients must not reject them


def _timestamp(**kwargs: Any) -> fields.DateTime:
    return fields.DateTime(metadata={"description": "ISO 8601 with offset, in the configured time zone"}, **kwargs)


class TaskErrorSchema(Shape):
    reason = fields.String(metadata={"description": "machine-readable: stopped, interrupted, device_disconnected, "
                                                    "ui_timeout, ..."})
    message = fields.String()


class TaskSchema(Shape):
    id = fields.Integer()
    serial = fields.String()
    username = fields.String(allow_none=True)
    script_name = fields.String()
    script_config = fields.Dict(metadata={"description": "this task's config after fan-out and normalisation"})
    status = fields.Integer(validate=validate.OneOf([int(s) for s in TaskStatus]))
    status_text = fields.String(validate=validate.OneOf([s.text for s in TaskStatus]))
    source = fields.String(validate=validate.OneOf(["api", "ui"]))
    start_time = fields.String(allow_none=True, metadata={"description": "HH:MM as sent"})
    scheduled_at = _timestamp()
    created_at = _timestamp()
    started_at = _timestamp(allow_none=True)
    finished_at = _timestamp(allow_none=True)
    retry_count = fields.Integer()
    error = fields.Nested(TaskErrorSchema, allow_none=True)
    result = fields.Dict(allow_none=True)


class TaskPageSchema(Shape):
    tasks = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class CreatedSchema(Shape):
    task_ids = fields.List(fields.Integer())
    created_count = fields.Integer()


class DeletedSchema(Shape):
    deleted_count = fields.Integer()


class BatchDeletedSchema(Shape):
    deleted_count = fields.Integer()
    not_found = fields.List(fields.Integer())


class RetriedSchema(Shape):
    retried_count = fields.Integer()


class ArtifactSchema(Shape):
    name = fields.String()
    content_type = fields.String()
    url = fields.String()


class ArtifactListSchema(Shape):
    task_id = fields.Integer()
    artifacts = fields.List(fields.Nested(ArtifactSchema))


class TaskStatsSchema(Shape):
    total = fields.Integer()
    pending = fields.Integer()
    running = fields.Integer()
    completed = fields.Integer()
    failed = fields.Integer()


class LicenseSchema(Shape):
    plan_name = fields.String(validate=validate.OneOf(PLANS))
    api_enabled = fields.Boolean()
    device_limit = fields.Integer()
    message = fields.String()


class DeviceSchema(Shape):
    serial = fields.String()
    state = fields.String(validate=validate.OneOf(DEVICE_STATES))
    name = fields.String()
    model = fields.String()
    platform = fields.String(validate=validate.OneOf(PLATFORMS))
    adb_server = fields.String()
    apps = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "package → version"})
    current_account = fields.String(allow_none=True, metadata={
        "description": "the active account of the app of the device's platform"})
    current_accounts = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "the active account of each app on the phone (platform → @username)"})
    worker = fields.Boolean(metadata={"description": "false beyond license.device_limit"})
    healthy = fields.Boolean(allow_none=True, metadata={"description": "null until first probed"})
    running_task_id = fields.Integer(allow_none=True)


class DeviceListSchema(Shape):
    devices = fields.List(fields.Nested(DeviceSchema))
    total = fields.Integer()


class AccountOutSchema(Shape):
    id = fields.Integer()
    username = fields.String()
    email = fields.String()
    platform = fields.String(validate=validate.OneOf(PLATFORMS))
    packagename = fields.String()
    device = fields.String(allow_none=True)
    device_online = fields.Boolean()
    device_name = fields.String()
    logined = fields.Integer(validate=validate.OneOf([0, 1]))
    logined_text = fields.String()
    status = fields.Integer(validate=validate.OneOf([0, 1]), metadata={"description": "0 enabled, 1 disabled"})
    status_text = fields.String()
    tags = fields.String(metadata={"description": "comma-separated"})
    daily_caps = fields.Dict(keys=fields.String(), values=fields.Integer(),
                             metadata={"description": "script → most completed tasks per day (overrides [caps])"})
    cooldown_until = fields.String(allow_none=True,
                                   metadata={"description": "resting after an action-blocked notice until then"})


class AccountPageSchema(Shape):
    accounts = fields.List(fields.Nested(AccountOutSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class HealthSchema(Shape):
    status = fields.String()
    tasks = fields.Integer(metadata={"description": "tasks in the store"})


class PosterSchema(Shape):
    platform = fields.String()
    username = fields.String()
    serial = fields.String(metadata={"description": "a post made with no account, on this phone"})


class MaterialSchema(Shape):
    id = fields.Integer()
    sha256 = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"enum": ["video", "image"]})
    size = fields.Integer()
    tags = fields.List(fields.String())
    path = fields.String(metadata={"description": "where the file lies on the daemon's host"})
    created_at = _timestamp()
    posted_count = fields.Integer()
    posted_by = fields.List(fields.Nested(PosterSchema))


class UploadedMaterialSchema(MaterialSchema):
    created = fields.Boolean(metadata={"description": "false: that content was in the library already"})


class UploadedSchema(Shape):
    materials = fields.List(fields.Nested(UploadedMaterialSchema))
    created_count = fields.Integer()


class MaterialPageSchema(Shape):
    materials = fields.List(fields.Nested(MaterialSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class WebhookSchema(Shape):
    url = fields.String()
    kinds = fields.List(fields.String(), metadata={"description": "empty: every kind"})
    delivered_id = fields.Integer(metadata={"description": "the last event delivered (event log id)"})
    last_event_id = fields.Integer(metadata={"description": "the newest event in the log when last looked"})
    lag = fields.Integer(metadata={"description": "events in the log after the last one delivered"})
    delivered = fields.Integer(metadata={"description": "deliveries since start-up"})
    failures = fields.Integer(metadata={"description": "failed attempts since start-up"})
    last_success_at = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True)
    last_error_at = fields.String(allow_none=True)
    next_attempt_at = fields.String(allow_none=True, metadata={"description": "when failing: the next retry"})


class WebhookListSchema(Shape):
    webhooks = fields.List(fields.Nested(WebhookSchema))
    total = fields.Integer()
