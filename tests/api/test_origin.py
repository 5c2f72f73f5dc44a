"""No web page may act through the API: a request from another origin is refused before anything changes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SERIALS
from tests.helpers import call

FOLLOW = json.dumps({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_users": ["nasa"]}})


async def total(client):
    return (await call(client, "GET", "/api/v1/task/stats"))[1]["data"]["total"]


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://127.0.0.1.evil.example",
                                    "http://localhost:1", "file://", "chrome-extension://abc", "not a url ::"])
async def test_a_cross_site_request_is_refused_and_changes_nothing(client, origin):
    # What a page can send without a CORS preflight: a "simple" POST with a text/plain body.
    status, body = await call(client, "POST", "/api/v1/task", data=FOLLOW,
                              headers={"Content-Type": "text/plain", "Origin": origin})
    assert (status, body["code"]) == (403, 40302), body
    assert "allowed_origins" in body["message"]
    assert await total(client) == 0
    status, body = await call(client, "GET", "/api/v1/task", headers={"Origin": origin})
    assert (status, body["code"]) == (403, 40302)


async def test_the_daemons_own_pages_and_clients_without_origin_are_served(client):
    own = f"http://{client.host}:{client.port}"
    status, body = await call(client, "POST", "/api/v1/task", data=FOLLOW, headers={"Origin": own})
    assert (status, body["code"]) == (200, 0), body
    status, body = await call(client, "POST", "/api/v1/task", data=FOLLOW)  # curl, a service
    assert (status, body["code"]) == (200, 0), body
    assert await total(client) == 2


async def test_listed_origins_are_served(api):
    client = await api(server={"allowed_origins": ("https://ops.example.com", "http://LOCALHOST:8080/")})
    for origin in ("https://ops.example.com", "http://localhost:8080"):
        status, body = await call(client, "POST", "/api/v1/task", data=FOLLOW, headers={"Origin": origin})
        assert (status, body["code"]) == (200, 0), (origin, body)
    status, body = await call(client, "POST", "/api/v1/task", data=FOLLOW, headers={"Origin": "http://ops.example.com"})
    assert (status, body["code"]) == (403, 40302)  # another scheme is another origin
