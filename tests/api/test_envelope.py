"""The envelope on every answer; auth, Host check and plan gating."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SERIALS
from tests.helpers import call
from tikmatrixd import keys

ENDPOINTS = [
    ("POST", "/api/v1/task"), ("GET", "/api/v1/task"), ("GET", "/api/v1/task/1"),
    ("DELETE", "/api/v1/task/1"), ("DELETE", "/api/v1/task/batch"), ("POST", "/api/v1/task/1/stop"),
    ("POST", "/api/v1/task/1/retry"), ("POST", "/api/v1/task/retry-all"), ("GET", "/api/v1/task/stats"),
    ("GET", "/api/v1/license/check"), ("GET", "/api/v1/devices"), ("GET", "/api/v1/accounts"),
]


async def test_unknown_route_and_wrong_method(client):
    status, body = await call(client, "GET", "/api/v1/nothing")
    assert (status, body["code"], body["data"]) == (404, 40401, None)
    status, body = await call(client, "PUT", "/api/v1/task")
    assert (status, body["code"]) == (405, 40001)
    assert "PUT" in body["message"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"a": NaN'])
async def test_malformed_body(client, raw):
    status, body = await call(client, "POST", "/api/v1/task", data=raw, headers={"Content-Type": "application/json"})
    assert (status, body["code"]) == (400, 40001)
    assert (await call(client, "GET", "/api/v1/task/stats"))[1]["data"]["total"] == 0


async def test_body_too_large(api):
    client = await api(server={"max_body_bytes": 4096})
    body = {"serials": [SERIALS[0]], "script_name": "post", "script_config": {"captions": "x" * 5000}}
    status, answer = await call(client, "POST", "/api/v1/task", data=json.dumps(body))
    assert (status, answer["code"]) == (413, 40001)
    assert (await call(client, "GET", "/api/v1/task/stats"))[1]["data"]["total"] == 0


async def test_request_id_on_every_response(client):
    first = await client.get("/api/v1/task/stats")
    second = await client.get("/api/v1/nothing")
    ids = {first.headers["X-Request-Id"], second.headers["X-Request-Id"]}
    assert len(ids) == 2 and all(len(i) == 16 for i in ids)


async def test_internal_error_has_no_traceback(client):
    await client.app[keys.STORE].close()  # the database goes away under us
    response = await client.get("/api/v1/task/stats")
    body = await response.json()
    assert (response.status, body["code"], body["data"]) == (500, 50001, None)
    assert response.headers["X-Request-Id"] in body["message"]
    assert "Traceback" not in await response.text()


@pytest.mark.parametrize("method, path", ENDPOINTS)
async def test_starter_plan_has_no_api(api, method, path):
    client = await api(license={"plan": "starter"})
    status, body = await call(client, method, path)
    assert (status, body["code"]) == (403, 40301)


async def test_license_check(api):
    client = await api(license={"plan": "team", "device_limit": 40})
    status, body = await call(client, "GET", "/api/v1/license/check")
    assert status == 200
    data = body["data"]
    assert (data["plan_name"], data["api_enabled"], data["device_limit"]) == ("team", True, 40)
    assert isinstance(data["message"], str)


@pytest.mark.parametrize("method, path", ENDPOINTS)
async def test_token_required_when_configured(api, tmp_path, method, path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    client = await api(server={"token_file": str(token_file)})
    status, body = await call(client, method, path)
    assert (status, body["code"]) == (401, 40101)
    status, body = await call(client, method, path, headers={"Authorization": "Bearer wrong"})
    assert (status, body["code"]) == (401, 40101)
    status, body = await call(client, method, path, headers={"Authorization": "Bearer s3cret"})
    assert body["code"] != 40101


async def test_foreign_host_header_refused(client):
    status, body = await call(client, "GET", "/api/v1/task/stats", headers={"Host": "evil.example:50809"})
    assert (status, body["code"]) == (400, 40001) and "evil.example" in body["message"]
    for host in ("localhost:50809", "127.0.0.1", "[::1]:50809"):
        status, _ = await call(client, "GET", "/api/v1/task/stats", headers={"Host": host})
        assert status == 200, host


async def test_healthz(client):
    status, body = await call(client, "GET", "/healthz")
    assert status == 200 and body["data"]["status"] == "ok"


async def test_devices_lists_configured_devices(client):
    status, body = await call(client, "GET", "/api/v1/devices")
    assert status == 200 and body["data"]["total"] == 3
    device = body["data"]["devices"][0]
    assert (device["serial"], device["name"], device["state"]) == (SERIALS[0], "slot-1", "disconnected")
    status, body = await call(client, "GET", f"/api/v1/devices/{SERIALS[1]}")
    assert status == 200 and body["data"]["serial"] == SERIALS[1]
    status, body = await call(client, "GET", "/api/v1/devices/NOPE")
    assert (status, body["code"]) == (404, 40401)
