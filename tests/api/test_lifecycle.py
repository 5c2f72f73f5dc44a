"""Every task state change goes through the lifecycle module: each publishes its kind of event, and
every kind can be asked for by name in /api/v1/events?kinds=."""

from __future__ import annotations

import pytest

from tests.api.test_extensions import create
from tests.conftest import SERIALS
from tests.helpers import call, next_event, next_message, open_stream
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
        "id": first, "serial": SERIALS[0], "status_text": "failed", "reason": "stopped", "retry_count": 0, "at": None}
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


async def test_the_log_replays_exactly_what_was_published(client):
    """Each transition's events are appended to the event log in its own transaction: a client
    replaying the log from the start sees the same events, ids and data as one that was live."""
    live = await open_stream(client)
    [first, second, third] = await create(client)
    for method, path in (("POST", f"/task/{first}/stop"), ("POST", f"/task/{first}/retry"),
                         ("POST", f"/task/{second}/stop"), ("POST", "/task/retry-all"),
                         ("DELETE", f"/task/{third}")):
        assert (await call(client, method, f"/api/v1{path}"))[0] == 200
    seen = [await next_message(live) for _ in range(7)]
    assert [f.event for f in seen] == ["tasks_created", "task", "task", "task", "task", "tasks_retried",
                                       "tasks_deleted"]
    replay = await client.get("/api/v1/events", params={"after": 0})
    replayed = [await next_message(replay) for _ in range(8)]
    assert [(f.id, f.event, f.data) for f in replayed[:7]] == [(f.id, f.event, f.data) for f in seen]
    assert (replayed[7].event, replayed[7].data) == ("open", {"last_id": seen[-1].id})
