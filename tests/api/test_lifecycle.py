"""Every task state change goes through the lifecycle module: each publishes its kind of event, and
every kind can be asked for by name in /api/v1/events?kinds=."""

from __future__ import annotations

import pytest

from tests.api.test_extensions import create, next_event, open_stream
from tests.conftest import SERIALS
from tests.helpers import call
from tikmatrixd import keys
from tikmatrixd.events import Kind


@pytest.mark.parametrize("kind", list(Kind))
async def test_every_kind_is_a_valid_filter(client, kind):
    stream = await open_stream(client, kinds=kind.value)
    stream.close()


async def test_each_transition_publishes_its_kind(client):
    streams = {kind: await open_stream(client, kinds=kind.value) for kind in Kind if kind is not Kind.DEVICE}
    [first, second, third] = await create(client)
    assert (await next_event(streams[Kind.TASKS_CREATED]))[1]["task_ids"] == [first, second, third]
    await call(client, "POST", f"/api/v1/task/{first}/stop")
    assert (await next_event(streams[Kind.TASK]))[1] | {"at": None} == {
        "id": first, "serial": SERIALS[0], "status_text": "failed", "reason": "stopped", "at": None}
    await call(client, "POST", f"/api/v1/task/{first}/retry")
    assert (await next_event(streams[Kind.TASK]))[1]["status_text"] == "pending"
    await call(client, "POST", f"/api/v1/task/{second}/stop")
    await next_event(streams[Kind.TASK])
    await call(client, "POST", "/api/v1/task/retry-all")
    assert (await next_event(streams[Kind.TASKS_RETRIED]))[1]["count"] == 1
    await call(client, "DELETE", f"/api/v1/task/{third}")
    assert (await next_event(streams[Kind.TASKS_DELETED]))[1]["task_ids"] == [third]

    # An account's rest (the worker's "action blocked" path) is one transition too.
    _, account = await call(client, "POST", "/api/v1/accounts", json={"username": "shop_a", "device": SERIALS[0]})
    _, body = await call(client, "POST", "/api/v1/task", json={
        "usernames": ["shop_a"], "script_name": "follow", "script_config": {"target_users": ["nasa"]}})
    task = await client.app[keys.STORE].tasks.get(body["data"]["task_ids"][0])
    await client.app[keys.LIFECYCLE].cool_down(task, 2_000_000_000.0)
    kind, data = await next_event(streams[Kind.ACCOUNT])
    assert (data["id"], data["username"]) == (account["data"]["id"], "shop_a")
    _, again = await call(client, "GET", f"/api/v1/accounts/{account['data']['id']}")
    assert again["data"]["cooldown_until"] is not None
