"""/api/v1/accounts: register, list with filters, update, delete."""

from __future__ import annotations

import pytest

from tests.conftest import SERIALS
from tests.helpers import call


async def register(client, **body):
    return await call(client, "POST", "/api/v1/accounts", json=body)


async def test_register_and_list_in_tikmatrix_shape(client):
    status, body = await register(client, username="@Shop_A", device=SERIALS[0], email="a@example.com",
                                  tags="uk,fashion")
    assert status == 200
    account = body["data"]
    assert account == {
        "id": 1, "username": "shop_a", "email": "a@example.com", "platform": "tiktok",
        "packagename": "com.zhiliaoapp.musically", "device": SERIALS[0], "device_online": False,
        "device_name": "slot-1", "logined": 1, "logined_text": "logged in", "status": 0,
        "status_text": "enabled", "tags": "uk,fashion", "daily_caps": {}, "cooldown_until": None,
    }
    await register(client, username="shop_b", platform="instagram", device=SERIALS[1], status=1, tags=["uk"])
    await register(client, username="shop_c", packagename="com.zhiliaoapp.musically.clone1", logined=0)

    async def usernames(**params):
        status, body = await call(client, "GET", "/api/v1/accounts", params=params)
        assert status == 200, body
        return [a["username"] for a in body["data"]["accounts"]], body["data"]["total"]

    assert await usernames() == (["shop_a", "shop_b", "shop_c"], 3)
    assert await usernames(platform="instagram") == (["shop_b"], 1)
    assert await usernames(device=SERIALS[0]) == (["shop_a"], 1)
    assert await usernames(logined="0") == (["shop_c"], 1)
    assert await usernames(status="1") == (["shop_b"], 1)
    assert await usernames(tag="uk") == (["shop_a", "shop_b"], 2)
    assert await usernames(page="2", page_size="2") == (["shop_c"], 3)


@pytest.mark.parametrize("body, field", [
    ({}, "username"), ({"username": "no spaces"}, "username"), ({"username": "ok", "platform": "vine"}, "platform"),
    ({"username": "ok", "device": "NOPE"}, "device"), ({"username": "ok", "password": "x"}, "password"),
    ({"username": "ok", "status": 2}, "status"), ({"username": "ok", "email": "nope"}, "email"),
])
async def test_register_invalid(client, body, field):
    status, answer = await register(client, **body)
    assert (status, answer["code"]) == (400, 40001) and field in answer["data"]["errors"]
    assert (await call(client, "GET", "/api/v1/accounts"))[1]["data"]["total"] == 0


async def test_username_unique_per_platform(client):
    assert (await register(client, username="same"))[0] == 200
    status, body = await register(client, username="@SAME")
    assert (status, body["code"]) == (400, 40001)
    assert (await register(client, username="same", platform="instagram"))[0] == 200


async def test_get_patch_delete(client):
    account_id = (await register(client, username="shop_a"))[1]["data"]["id"]
    status, body = await call(client, "PATCH", f"/api/v1/accounts/{account_id}",
                              json={"device": SERIALS[2], "status": 1})
    assert status == 200 and (body["data"]["device"], body["data"]["status_text"]) == (SERIALS[2], "disabled")
    assert (await call(client, "GET", f"/api/v1/accounts/{account_id}"))[1]["data"]["device"] == SERIALS[2]
    status, body = await call(client, "PATCH", f"/api/v1/accounts/{account_id}", json={"device": "NOPE"})
    assert (status, body["code"]) == (400, 40001)
    assert (await call(client, "DELETE", f"/api/v1/accounts/{account_id}"))[1]["data"] == {"deleted_count": 1}
    for method in ("GET", "DELETE", "PATCH"):
        status, body = await call(client, method, f"/api/v1/accounts/{account_id}", json={})
        assert (status, body["code"]) == (404, 40401)


async def test_daily_caps_are_set_per_account_and_checked(client):
    _, body = await register(client, username="capped", device=SERIALS[0])
    account_id = body["data"]["id"]
    status, body = await call(client, "PATCH", f"/api/v1/accounts/{account_id}", json={"daily_caps": {"follow": 5}})
    assert (status, body["data"]["daily_caps"]) == (200, {"follow": 5})
    for bad in ({"like": 1}, {"follow": -1}, {"follow": "5"}, ["follow"]):
        status, body = await call(client, "PATCH", f"/api/v1/accounts/{account_id}", json={"daily_caps": bad})
        assert (status, body["code"]) == (400, 40001), bad
    assert (await call(client, "GET", f"/api/v1/accounts/{account_id}"))[1]["data"]["daily_caps"] == {"follow": 5}


@pytest.mark.parametrize("packagename", ["com.x;reboot $(id)", "com.x\nreboot", "com.x\x00y", "com.x\x07",
                                         "com.zhiliaoapp.musically ", "cöm.x.y", "com..x", "x", "com.x.",
                                         "1com.x", "com.x-y", "a" * 250 + ".bcdefg"])
async def test_packagename_is_an_android_package_name(client, packagename):
    """It reaches `am`/`pm`/`monkey` on the phone: only its real character set is taken."""
    status, body = await register(client, username="shop_a", packagename=packagename)
    assert (status, body["code"]) == (400, 40001), body
    assert "packagename" in (body["data"] or {}).get("errors", {}) or "NUL" in body["message"], body
    _, body = await register(client, username="shop_b", packagename="com.zhiliaoapp.musically.clone_2")
    status, body = await call(client, "PATCH", f"/api/v1/accounts/{body['data']['id']}",
                              json={"packagename": packagename})
    assert (status, body["code"]) == (400, 40001)
    _, listing = await call(client, "GET", "/api/v1/accounts")
    assert [a["packagename"] for a in listing["data"]["accounts"]] == ["com.zhiliaoapp.musically.clone_2"]


async def test_account_ids_are_never_reused(client):
    ids = [(await register(client, username=name))[1]["data"]["id"] for name in ("a1", "a2", "a3")]
    await call(client, "DELETE", f"/api/v1/accounts/{ids[2]}")
    status, body = await register(client, username="a4")
    assert status == 200 and body["data"]["id"] == ids[2] + 1  # not the deleted one's
    assert (await call(client, "GET", f"/api/v1/accounts/{ids[2]}"))[0] == 404


async def test_discovery_is_announced_like_any_creation(client):
    from tests.api.test_extensions import next_event, open_stream

    stream = await open_stream(client, kinds="tasks_created")
    status, body = await call(client, "POST", "/api/v1/accounts/match", json={"serials": [SERIALS[0]]})
    assert status == 200, body
    kind, data = await next_event(stream)
    assert (kind, data["task_ids"], data["script_name"]) == ("tasks_created", body["data"]["task_ids"],
                                                             "match_accounts")
