"""/api/v1/events (server-sent events), /api/v1/openapi.json and /metrics, as a client sees them."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SERIALS
from tests.helpers import call, next_event, next_frame, next_message, open_stream
from tikmatrixd import constants, keys
from tikmatrixd.app import create_app
from tikmatrixd.events import QUEUE_SIZE
from tikmatrixd.runtime.dispatcher import NullDispatcher


async def create(client, serials=SERIALS, targets=("nasa",)) -> list[int]:
    status, body = await call(client, "POST", "/api/v1/task", json={
        "serials": list(serials), "script_name": "follow", "script_config": {"target_users": list(targets)},
    })
    assert status == 200, body
    return body["data"]["task_ids"]


# --- /api/v1/events ---------------------------------------------------------


async def test_events_show_tasks_created_and_stopped(client):
    stream = await open_stream(client)
    ids = await create(client)
    kind, data = await next_event(stream)
    assert (kind, data["task_ids"], data["script_name"]) == ("tasks_created", ids, "follow")
    assert data["at"].endswith("+01:00")  # the configured zone, like every timestamp
    await call(client, "POST", f"/api/v1/task/{ids[1]}/stop")
    kind, data = await next_event(stream)
    assert kind == "task"
    assert {k: data[k] for k in ("id", "serial", "status_text", "reason")} == {
        "id": ids[1], "serial": SERIALS[1], "status_text": "failed", "reason": "stopped"}
    assert "dropped" not in data
    await call(client, "POST", f"/api/v1/task/{ids[1]}/retry")
    await call(client, "DELETE", f"/api/v1/task/{ids[1]}")
    assert [(await next_event(stream))[0] for _ in range(2)] == ["task", "tasks_deleted"]


async def test_events_filtered_by_kind_and_serial(client):
    stream = await open_stream(client, kinds="task,device", serial=SERIALS[2])
    ids = await create(client)  # tasks_created: not asked for
    for task_id in ids:  # three stops, one of them on SERIALS[2]
        await call(client, "POST", f"/api/v1/task/{task_id}/stop")
    kind, data = await next_event(stream)
    assert (kind, data["id"], data["serial"]) == ("task", ids[2], SERIALS[2])


async def test_a_slow_client_is_caught_up_from_the_log(client):
    """More events at once than the bus queues for a stream: the dropped ones are read back from
    the event log, so the client still sees every event once, in order."""
    ids = await create(client, targets=[f"user{i}" for i in range(QUEUE_SIZE // len(SERIALS) + 2)])
    for task_id in ids:
        await call(client, "POST", f"/api/v1/task/{task_id}/stop")
    stream = await open_stream(client)
    _, body = await call(client, "POST", "/api/v1/task/retry-all")  # one publish of len(ids) + 1 events
    assert body["data"]["retried_count"] == len(ids) > QUEUE_SIZE
    frames = [await next_message(stream) for _ in range(len(ids) + 1)]
    assert [(f.event, f.data.get("id")) for f in frames] == [("task", i) for i in ids] + [("tasks_retried", None)]
    assert [f.id for f in frames] == list(range(frames[0].id, frames[0].id + len(frames)))
    assert all(f.data["status_text"] == "pending" and f.data["retry_count"] == 1 for f in frames[:-1])


async def test_resume_after_an_id_then_live(client):
    first = await open_stream(client)
    ids = await create(client)
    await call(client, "POST", f"/api/v1/task/{ids[0]}/stop")
    created, stopped = await next_message(first), await next_message(first)
    first.close()  # the client goes away; meanwhile things happen
    await call(client, "POST", f"/api/v1/task/{ids[1]}/stop")
    await call(client, "POST", f"/api/v1/task/{ids[0]}/retry")
    streams = [await client.get("/api/v1/events", params={"after": created.id}),
               await client.get("/api/v1/events", params={"after": 0},  # the header wins: it is newer
                                headers={"Last-Event-ID": str(created.id)})]
    for again in streams:
        frames = [await next_message(again) for _ in range(4)]
        assert [(f.event, f.data.get("id"), f.data.get("status_text")) for f in frames] == [
            ("task", ids[0], "failed"), ("task", ids[1], "failed"), ("task", ids[0], "pending"), ("open", None, None)]
        assert frames[0].id == stopped.id and frames[3].data["last_id"] == frames[2].id == frames[3].id
    await call(client, "DELETE", f"/api/v1/task/{ids[2]}")
    for again in streams:
        kind, data = await next_event(again)  # live after the replay
        assert (kind, data["task_ids"]) == ("tasks_deleted", [ids[2]])


async def test_replay_filters_and_tells_what_was_pruned(client):
    ids = await create(client)
    for task_id in ids:
        await call(client, "POST", f"/api/v1/task/{task_id}/stop")
    stream = await client.get("/api/v1/events", params={"after": 0, "kinds": "task", "serial": SERIALS[2]})
    frames = [await next_message(stream) for _ in range(2)]
    assert [(f.event, f.data.get("id")) for f in frames] == [("task", ids[2]), ("open", None)]
    store = client.app[keys.STORE]
    assert await store.events.prune(before=0, keep=2) == 2  # 4 events: the first two go
    stream = await client.get("/api/v1/events", params={"after": 1})
    gap, first, second, opened = [await next_message(stream) for _ in range(4)]
    assert (gap.event, gap.id, gap.data) == ("gap", None, {"after": 1, "first_id": 3, "missed": 1})
    assert (first.id, second.id, opened.event, opened.data) == (3, 4, "open", {"last_id": 4})


async def test_a_stream_opens_with_the_last_id(client):
    await create(client)
    response = await client.get("/api/v1/events")
    frame = await next_message(response)
    assert (frame.event, frame.id, frame.data) == ("open", 1, {"last_id": 1})


async def test_events_ping_when_idle(client, monkeypatch):
    monkeypatch.setattr(constants, "EVENTS_PING_INTERVAL", 0.01)
    stream = await open_stream(client)
    assert (await next_frame(stream)).comment == "ping"


async def test_events_end_on_shutdown(client):
    stream = await open_stream(client)
    await client.app.shutdown()  # what aiohttp runs before it waits for open requests
    assert await stream.content.read() == b""
    assert stream.content.at_eof()
    assert client.app[keys.EVENTS].subscriber_count == 0


async def test_events_end_when_the_client_goes(make_config, clock, monkeypatch):
    """Served as `tikmatrixd serve` serves it (a gone client does not cancel
    the handler): the next ping notices, and the stream unsubscribes."""
    monkeypatch.setattr(constants, "EVENTS_PING_INTERVAL", 0.02)
    app = create_app(make_config(), clock=clock, dispatcher=NullDispatcher())
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession() as session:
            stream = await session.get(f"http://{host}:{port}/api/v1/events")
            assert (await next_message(stream)).event == "open"
            assert app[keys.EVENTS].subscriber_count == 1
            stream.close()
        for _ in range(250):  # the next ping (20 ms) finds the socket closed
            if not app[keys.EVENTS].subscriber_count:
                break
            await asyncio.sleep(0.02)
        assert app[keys.EVENTS].subscriber_count == 0
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("params, field", [
    ({"kinds": "task,nope"}, "kinds"), ({"kinds": ","}, "kinds"), ({"serial": ""}, "serial"), ({"since": "1"}, "since"),
    ({"after": "-1"}, "after"), ({"after": "x"}, "after"), ({"after": str(2**63)}, "after"),
    ({"Last-Event-ID": "abc"}, "Last-Event-ID"),
])
async def test_events_bad_query(client, params, field):
    headers = {k: params.pop(k) for k in list(params) if k == "Last-Event-ID"}
    status, body = await call(client, "GET", "/api/v1/events", params=params, headers=headers)
    assert (status, body["code"]) == (400, 40001)
    assert list(body["data"]["errors"]) == [field]


async def test_events_guarded_like_the_api(api, tmp_path):
    starter = await api(license={"plan": "starter"})
    status, body = await call(starter, "GET", "/api/v1/events")
    assert (status, body["code"]) == (403, 40301)
    (tmp_path / "token").write_text("s3cret\n")
    with_token = await api(server={"token_file": str(tmp_path / "token")})
    status, body = await call(with_token, "GET", "/api/v1/events")
    assert (status, body["code"]) == (401, 40101)
    status, body = await call(with_token, "GET", "/api/v1/events", headers={"Host": "evil.example"})
    assert (status, body["code"]) == (400, 40001)
    response = await with_token.get("/api/v1/events", headers={"Authorization": "Bearer s3cret"})
    assert response.status == 200
    response.close()


# --- /api/v1/openapi.json ---------------------------------------------------


async def openapi(client) -> dict[str, Any]:
    status, body = await call(client, "GET", "/api/v1/openapi.json")
    assert (status, body["code"], body["message"]) == (200, 0, "success")  # in the envelope, like all of /api/
    return body["data"]


async def test_openapi_lists_every_route(client):
    doc = await openapi(client)
    assert doc["openapi"] == "3.1.0"
    routes = {(r.method.lower(), r.resource.canonical) for r in client.app.router.routes()
              if r.handler.__module__.startswith("tikmatrixd.api.")}  # not the dashboard's pages
    for method, path in routes:
        if method == "head":
            assert ("get", path) in routes  # HEAD is implied by GET
            continue
        operation = doc["paths"][path][method]
        assert operation["summary"] and operation["responses"]["default"] == {"$ref": "#/components/responses/Error"}
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops if m != "parameters"}
    assert documented == {(m, p) for m, p in routes if m != "head"}


async def test_openapi_documents_the_envelope(client):
    doc = await openapi(client)
    schemas = doc["components"]["schemas"]
    assert schemas["Envelope"]["required"] == ["code", "message", "data"]
    assert set(schemas["Error"]["properties"]["code"]["enum"]) >= {40001, 40002, 40003, 40101, 40301, 40401, 50001}
    ok = doc["paths"]["/api/v1/task/{task_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["allOf"] == [{"$ref": "#/components/schemas/Envelope"}]
    assert ok["properties"]["data"] == {"$ref": "#/components/schemas/Task"}
    assert "text/plain" in doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert "text/event-stream" in doc["paths"]["/api/v1/events"]["get"]["responses"]["200"]["content"]


async def test_openapi_create_body_from_the_validating_schemas(client):
    doc = await openapi(client)
    operation = doc["paths"]["/api/v1/task"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateTask"}
    create = doc["components"]["schemas"]["CreateTask"]
    assert {"script_name", "script_config"} <= set(create["required"])
    assert create["properties"]["script_name"]["enum"] == ["post", "follow", "unfollow"]
    assert create["additionalProperties"] is False  # unknown fields are 40001
    configs = doc["components"]["schemas"]
    assert configs["PostConfig"]["properties"]["image_count"]["maximum"] == 35
    assert configs["FollowConfig"]["properties"]["access_method"]["enum"] == ["direct", "search"]
    listing = {p["name"]: p for p in doc["paths"]["/api/v1/task"]["get"]["parameters"]}
    assert listing["page_size"]["schema"]["maximum"] == 100 and listing["status"]["in"] == "query"


async def test_openapi_shapes_match_the_answers(client):
    doc = await openapi(client)
    schemas = doc["components"]["schemas"]

    def keys_of(name: str) -> set[str]:
        return set(schemas[name]["properties"])

    [task_id] = await create(client, serials=SERIALS[:1])
    assert set((await call(client, "GET", f"/api/v1/task/{task_id}"))[1]["data"]) == keys_of("Task")
    assert set((await call(client, "GET", f"/api/v1/devices/{SERIALS[0]}"))[1]["data"]) == keys_of("Device")
    _, account = await call(client, "POST", "/api/v1/accounts", json={"username": "shop_a", "device": SERIALS[0]})
    assert set(account["data"]) == keys_of("AccountOut")
    assert set((await call(client, "GET", "/api/v1/task/stats"))[1]["data"]) == keys_of("TaskStats")


async def test_openapi_guarded_like_the_api(api):
    client = await api(license={"plan": "starter"})
    status, body = await call(client, "GET", "/api/v1/openapi.json")
    assert (status, body["code"]) == (403, 40301)


# --- /metrics ---------------------------------------------------------------


async def scrape(client, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(await response.text())
        for sample in family.samples
    }


async def test_metrics_count_tasks_devices_and_requests(client):
    ids = await create(client, targets=("nasa", "esa"))  # 3 devices x 2 targets
    await call(client, "POST", f"/api/v1/task/{ids[0]}/stop")
    await call(client, "GET", "/api/v1/task/999")
    metrics = await scrape(client)
    tasks = {labels[0][1]: value for (name, labels), value in metrics.items() if name == "tikmatrixd_tasks"}
    assert tasks == {"pending": 5, "running": 0, "completed": 0, "failed": 1}
    assert metrics["tikmatrixd_tasks_finished_total", (("reason", "stopped"), ("status", "failed"))] == 1
    assert metrics["tikmatrixd_devices", (("state", "disconnected"),)] == 3
    assert metrics["tikmatrixd_devices", (("state", "online"),)] == 0
    assert metrics["tikmatrixd_device_workers", ()] == 0  # the test dispatcher runs nothing
    assert metrics["tikmatrixd_http_requests_total",
                   (("method", "POST"), ("route", "/api/v1/task"), ("status", "200"))] == 1
    assert metrics["tikmatrixd_http_requests_total",
                   (("method", "GET"), ("route", "/api/v1/task/{task_id}"), ("status", "404"))] == 1
    assert metrics["tikmatrixd_http_request_duration_seconds_count",
                   (("method", "POST"), ("route", "/api/v1/task"))] == 1
    assert not [name for name, _ in metrics if name.endswith("_created")]  # no timestamp series per counter


async def test_metrics_per_app(api, tmp_path):
    first, second = await api(), await api(store={"path": str(tmp_path / "second.db")})
    await create(first)
    created = ("tikmatrixd_http_requests_total", (("method", "POST"), ("route", "/api/v1/task"), ("status", "200")))
    assert (await scrape(first))[created] == 1
    assert created not in await scrape(second)
    assert (await scrape(second))["tikmatrixd_tasks", (("status", "pending"),)] == 0


async def test_metrics_open_like_healthz(api, tmp_path):
    (tmp_path / "token").write_text("s3cret\n")
    client = await api(license={"plan": "starter"}, server={"token_file": str(tmp_path / "token")})
    assert (await scrape(client))["tikmatrixd_tasks", (("status", "failed"),)] == 0
    status, body = await call(client, "GET", "/metrics", headers={"Host": "evil.example"})
    assert (status, body["code"]) == (400, 40001)


async def test_metrics_openmetrics_on_request(client):
    response = await client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert (await response.text()).endswith("# EOF\n")
