"""Webhooks: the event log delivered to a receiver, signed, in order, retried, resumed after a restart."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from typing import Any

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from tests.api.test_extensions import create
from tests.helpers import call, next_message
from tikmatrixd import keys
from tikmatrixd import webhooks as webhooks_module
from tikmatrixd.config import ConfigError

SECRET = b"s3cret-for-tests"


class Receiver:
    """An HTTP endpoint that records every delivery; it answers 500 to the next ``fail`` ones."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[dict[str, str], bytes]] = asyncio.Queue()
        self.fail = 0
        self.attempts = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/hook"
        return self

    async def _hook(self, request: web.Request) -> web.Response:
        self.attempts += 1
        body = await request.read()
        if self.fail:
            self.fail -= 1
            return web.Response(status=500)
        await self.received.put((dict(request.headers), body))
        return web.Response(text="ok")

    async def next(self, timeout: float = 10.0) -> dict[str, Any]:
        headers, body = await asyncio.wait_for(self.received.get(), timeout)
        assert verify(headers["X-Tikmatrixd-Signature"], body, SECRET)
        event: dict[str, Any] = json.loads(body)
        assert headers["X-Tikmatrixd-Event-Id"] == str(event["id"])
        return event

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def verify(header: str, body: bytes, secret: bytes, tolerance: float = 300) -> bool:
    """What a receiver does (README): recompute the HMAC over "<t>.<body>", compare in constant time."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < tolerance


@pytest.fixture
async def receiver():
    server = await Receiver().start()
    yield server
    await server.stop()


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "webhook.secret"
    path.write_bytes(SECRET + b"\n")
    return str(path)


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(webhooks_module, "FIRST_BACKOFF", 0.01)


async def test_events_arrive_signed_in_order_and_a_failure_is_retried(api, receiver, secret_file):
    receiver.fail = 2  # the first event is refused twice, then taken
    client = await api(webhooks=[{"url": receiver.url, "secret_file": secret_file}])
    ids = await create(client)
    await call(client, "POST", f"/api/v1/task/{ids[0]}/stop")
    created, stopped = await receiver.next(), await receiver.next()
    assert (created["event"], created["data"]["task_ids"]) == ("tasks_created", ids)
    assert (stopped["event"], stopped["data"]["id"], stopped["data"]["status_text"]) == ("task", ids[0], "failed")
    assert stopped["id"] == created["id"] + 1
    assert receiver.attempts == 4
    _, body = await call(client, "GET", "/api/v1/webhooks")
    [state] = body["data"]["webhooks"]
    assert {k: state[k] for k in ("url", "delivered_id", "lag", "delivered", "failures", "last_error")} == {
        "url": receiver.url, "delivered_id": stopped["id"], "lag": 0, "delivered": 2, "failures": 2,
        "last_error": "HTTP 500"}
    assert state["last_success_at"] is not None and "secret" not in json.dumps(body)
    metrics = (await (await client.get("/metrics")).text())
    samples = {(s.name, s.labels.get("result")): s.value for family in text_string_to_metric_families(metrics)
               for s in family.samples if s.name.startswith("tikmatrixd_webhook")}
    assert samples[("tikmatrixd_webhook_deliveries_total", "ok")] == 2
    assert samples[("tikmatrixd_webhook_deliveries_total", "failed")] == 2
    assert samples[("tikmatrixd_webhook_lag_events", None)] == 0


async def test_only_the_kinds_asked_for(api, receiver, secret_file):
    client = await api(webhooks=[{"url": receiver.url, "secret_file": secret_file, "kinds": ["task"]}])
    ids = await create(client)
    for task_id in ids:
        await call(client, "POST", f"/api/v1/task/{task_id}/stop")
    assert [(await receiver.next())["data"]["id"] for _ in ids] == ids


async def test_a_restart_resumes_where_delivery_stopped(api, receiver, secret_file, make_config):
    hooks = [{"url": receiver.url, "secret_file": secret_file}]
    first = await api(webhooks=hooks)
    ids = await create(first)
    assert (await receiver.next())["event"] == "tasks_created"
    receiver.fail = 10**6  # the receiver goes down: nothing more is taken
    await call(first, "POST", f"/api/v1/task/{ids[0]}/stop")
    await call(first, "POST", f"/api/v1/task/{ids[1]}/stop")
    await first.close()  # the daemon stops with two events undelivered
    receiver.fail = 0
    second = await api(webhooks=hooks)  # same database
    stops = [await receiver.next(), await receiver.next()]
    assert [(e["event"], e["data"]["id"]) for e in stops] == [("task", ids[0]), ("task", ids[1])]
    assert receiver.received.empty()
    await call(second, "POST", f"/api/v1/task/{ids[2]}/stop")
    assert (await receiver.next())["data"]["id"] == ids[2]


async def test_a_new_endpoint_starts_from_now(api, receiver, secret_file):
    plain = await api()
    await create(plain)
    await plain.close()
    client = await api(webhooks=[{"url": receiver.url, "secret_file": secret_file}])
    ids = await create(client)
    assert (await receiver.next())["data"]["task_ids"] == ids  # not the earlier batch


@pytest.mark.parametrize("hook, events, message", [
    ({"url": "ftp://127.0.0.1/x"}, {}, "webhooks[0].url: 'ftp://127.0.0.1/x' is not an http(s) URL"),
    ({"url": "https://hooks.example.com/x"}, {}, "hooks.example.com is not loopback"),
    ({"url": "http://127.0.0.1:9/x", "kinds": ["tasks"]}, {}, "webhooks[0].kinds: 'tasks' is not one of"),
    ({"url": "http://127.0.0.1:9/x", "secret_file": ""}, {}, "webhooks[0].secret_file: required"),
    ({"url": "http://127.0.0.1:9/x"}, {"keep_days": 0}, "events: keep_days must be positive"),
])
def test_bad_webhook_config_names_the_key(make_config, secret_file, hook, events, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_config(webhooks=[{"secret_file": secret_file, **hook}], events=events)


def test_other_hosts_only_when_allowed(make_config, secret_file):
    hook = {"url": "https://hooks.example.com/x", "secret_file": secret_file}
    assert make_config(webhooks=[hook], events={"webhook_hosts": ["hooks.example.com"]}).webhooks[0].url == hook["url"]
    assert make_config(webhooks=[hook], events={"webhook_hosts": ["*"]}).webhooks


def test_the_signature_is_hmac_of_timestamp_and_body():
    body = b'{"id":1}'
    header = webhooks_module.sign(SECRET, 1_700_000_000, body)
    digest = hmac.new(SECRET, b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={digest}"
    assert not verify(webhooks_module.sign(b"other", int(time.time()), body), body, SECRET)


async def test_the_event_log_is_pruned_to_its_limits(api):
    first = await api()
    for _ in range(3):
        await create(first)
    await first.close()
    client = await api(events={"keep_count": 1})  # pruned at start-up, off the request path

    async def pruned() -> bool:
        return (await client.app[keys.STORE].events.after(0, 10)).first_id == 3

    for _ in range(200):
        if await pruned():
            break
        await asyncio.sleep(0.01)
    stream = await client.get("/api/v1/events", params={"after": 0})
    gap, kept = await next_message(stream), await next_message(stream)
    assert (gap.event, gap.data["missed"], kept.id, kept.event) == ("gap", 2, 3, "tasks_created")
