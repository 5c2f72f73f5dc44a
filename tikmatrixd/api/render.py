"""Domain objects → the JSON shapes of SPEC.md."""

from __future__ import annotations

import math
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from tikmatrixd.core import names
from tikmatrixd.core.devices import Account, Device
from tikmatrixd.core.tasks import Task
from tikmatrixd.events import Event
from tikmatrixd.runtime.dispatcher import LiveDevice
from tikmatrixd.store.materials import Material


def timestamp(value: float | None, tz: tzinfo | None) -> str | None:
    """ISO 8601 with offset, to the second, in the configured zone (None: the host's)."""
    if value is None:
        return None
    return _iso_seconds(math.floor(value), tz)


@lru_cache(maxsize=16384)
def _iso_seconds(seconds: int, tz: tzinfo | None) -> str:
    # Cached: lists polled again and again show the same few thousand instants, and
    # fromtimestamp + astimezone + isoformat was most of a task's rendering.
    moment = datetime.fromtimestamp(seconds, tz) if tz else datetime.fromtimestamp(seconds).astimezone()
    return moment.isoformat()


def task(task: Task, tz: tzinfo | None) -> dict[str, Any]:
    return {
        "id": task.id,
        "serial": task.serial,
        "username": names.display(task.username) if task.username else None,
        "script_name": task.script_name,
        "script_config": task.script_config,
        "status": int(task.status),
        "status_text": task.status.text,
        "source": task.source,
        "start_time": task.start_time,
        "scheduled_at": timestamp(task.scheduled_at, tz),
        "created_at": timestamp(task.created_at, tz),
        "started_at": timestamp(task.started_at, tz),
        "finished_at": timestamp(task.finished_at, tz),
        "retry_count": task.retry_count,
        "error": task.error,
        "result": task.result,
    }


def event(event: Event, tz: tzinfo | None) -> dict[str, Any]:
    """One logged event as webhooks deliver it and the dashboard lists it: ``{id, event, at, data}``."""
    return {"id": event.id, "event": event.kind.value, "at": timestamp(event.at, tz), "data": event.data}


def account(account: Account, tz: tzinfo | None = None) -> dict[str, Any]:
    return {
        "id": account.id,
        "username": account.username,
        "email": account.email,
        "platform": account.platform,
        "packagename": account.packagename,
        "device": account.device,
        "device_online": account.device_online,
        "device_name": account.device_name,
        "logined": account.logined,
        "logined_text": "logged in" if account.logined else "logged out",
        "status": account.status,
        "status_text": "enabled" if account.status == 0 else "disabled",
        "tags": ",".join(account.tags),
        "daily_caps": account.daily_caps,
        "cooldown_until": timestamp(account.cooldown_until, tz),
    }


def device(device: Device, live: LiveDevice) -> dict[str, Any]:
    return {
        "serial": device.serial,
        "state": device.state,
        "name": device.name,
        "model": device.model,
        "platform": device.platform,
        "adb_server": device.adb_server,
        "apps": device.apps,
        "current_account": names.display(device.current_account) if device.current_account else None,
        "current_accounts": {platform: names.display(name) for platform, name in device.current_accounts.items()},
        "worker": live.worker,
        "healthy": live.healthy,
        "running_task_id": live.running_task_id,
    }


def material(material: Material, tz: tzinfo | None) -> dict[str, Any]:
    return {
        "id": material.id,
        "sha256": material.sha256,
        "name": material.name,
        "kind": material.kind,
        "size": material.size,
        "tags": material.tags,
        "path": material.path,
        "created_at": timestamp(material.created_at, tz),
        "posted_count": material.posted_count,
        "posted_by": [_poster(key) for key in material.posted_by],
    }


def _poster(key: str) -> dict[str, str]:
    """posted_media's "platform:username" (or "serial:<serial>" for a post with no account)."""
    kind, _, value = key.partition(":")
    return {"serial": value} if kind == "serial" else {"platform": kind, "username": names.display(value)}
