"""/api/v1/events (server-sent events), /api/v1/openapi.json and /metrics, as a client sees them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientResponse, web
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import SERIALS
from tests.helpers import call
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


async def next_frame(response: ClientResponse) -> list[str]:
    """The lines of the next SSE message (an event or a comment), without the blank line."""
    lines = []
    while (line := (await response.content.readline()).decode()) not in ("\n", ""):
        lines.append(line.rstrip("\n"))
    return lines


async def next_event(response: ClientResponse) -> tuple[str, dict[str, Any]]:
    while (lines := await next_frame(response))[0].startswith(":"):
        pass  # a comment: the open line or a ping
    assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: "), lines
    return lines[0].removeprefix("event: "), json.loads(lines[1].removeprefix("data: "))


async def open_stream(client, **params: str) -> ClientResponse:
    response = await client.get("/api/v1/events", params=params)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert await next_frame(response) == [": stream open"]
    return response


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


async def test_events_tell_a_slow_client_how_many_it_lost(client):
    stream = await open_stream(client)
    bus = client.app[keys.EVENTS]
    for n in range(QUEUE_SIZE + 5):  # all at once: the stream cannot take any in between
        bus.publish("device", serial=SERIALS[0], n=n)
    kind, data = await next_event(stream)
    assert (kind, data["n"], data["dropped"]) == ("device", 5, 5)
    kind, data = await next_event(stream)
    assert data["n"] == 6 and "dropped" not in data


async def test_events_ping_when_idle(client, monkeypatch):
    monkeypatch.setattr(constants, "EVENTS_PING_INTERVAL", 0.01)
    stream = await open_stream(client)
    assert await next_frame(stream) == [": ping"]


async def test_events_end_on_shutdown(client):
    stream = await open_stream(client)
    await client.app.shutdown()  # what aiohttp runs before it waits for open requests
    assert await stream.content.read() == b""
    assert stream.content.at_eof()
    assert client.app[keys.EVENTS].subscriber_count == 0


async def test_events_end_when_the_client_goes(make_config, clock):
    """Served as `tikmatrixd serve` serves it (a gone client does not cancel
    the handler): the stream notices at its next write and unsubscribes."""
    app = create_app(make_config(), clock=clock, dispatcher=NullDispatcher())
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession() as session:
            stream = await session.get(f"http://{host}:{port}/api/v1/events")
            assert await next_frame(stream) == [": stream open"]
            assert app[keys.EVENTS].subscriber_count == 1
            stream.close()
        while app[keys.EVENTS].subscriber_count:
            app[keys.EVENTS].publish("device", serial=SERIALS[0], healthy=True)
            await asyncio.sleep(0.01)
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("params, field", [
    ({"kinds": "task,nope"}, "kinds"), ({"kinds": ","}, "kinds"), ({"serial": ""}, "serial"), ({"since": "1"}, "since"),
])
async def test_events_bad_query(client, params, field):
    status, body = await call(client, "GET", "/api/v1/events", params=params)
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
    routes = {(r.method.lower(), r.resource.canonical) for r in client.app.router.routes()}
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
