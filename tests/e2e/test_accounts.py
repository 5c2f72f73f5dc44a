"""Accounts end to end: username mode, multi-account switching, daily caps, cooldown, disabled accounts."""

from __future__ import annotations

from tests.e2e.test_runtime import finished
from tests.helpers import call

TIKTOK = "com.zhiliaoapp.musically"


async def register(client, phone, username, **extra):
    status, body = await call(client, "POST", "/api/v1/accounts", json={
        "username": username, "device": phone.serial, "platform": "tiktok", **extra})
    assert status == 200, body
    return body["data"]["id"]


async def follow(client, targets, **selection):
    status, body = await call(client, "POST", "/api/v1/task", json={
        **selection, "script_name": "follow", "script_config": {"target_users": targets}})
    assert status == 200, body
    return body["data"]["task_ids"]


def follows_by_account(phone):
    return {account: list(users) for account, users in phone.state.apps[TIKTOK].follows.items() if users}


async def test_username_mode_runs_each_task_as_its_account_on_its_phone(phones):
    farm, client = await phones(2, real_scripts=True, sim={"languages": ["en", "fr"]})
    first, second = farm[0], farm[1]
    a = first.state.apps[TIKTOK].accounts[2]   # not the active one: needs a switch
    b = second.state.apps[TIKTOK].accounts[0]  # already active
    await register(client, first, a)
    await register(client, second, b)
    ids = await follow(client, ["nasa"], usernames=[f"@{a}", b])
    tasks = await finished(client, ids, timeout=60)
    assert [(t["serial"], t["username"], t["status_text"]) for t in tasks] == [
        (first.serial, f"@{a}", "completed"), (second.serial, f"@{b}", "completed")], [t["error"] for t in tasks]
    assert follows_by_account(first) == {a: ["nasa"]}
    assert follows_by_account(second) == {b: ["nasa"]}
    assert first.state.apps[TIKTOK].current == a
    status, body = await call(client, "GET", f"/api/v1/devices/{first.serial}")
    assert body["data"]["current_account"] == f"@{a}"


async def test_multi_account_fan_out_switches_before_each_task(phones):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    accounts = phone.state.apps[TIKTOK].accounts
    for name in accounts:
        await register(client, phone, name)
    ids = await follow(client, ["nasa"], serials=[phone.serial], enable_multi_account=True)
    tasks = await finished(client, ids, timeout=60)
    assert [(t["username"], t["status_text"]) for t in tasks] == [(f"@{n}", "completed") for n in accounts]
    assert follows_by_account(phone) == {name: ["nasa"] for name in accounts}
    switches = [r.command for r in phone.state.commands if r.command.startswith("input tap")]
    assert switches  # the switcher was used (the first account was already active)


async def test_switch_to_an_account_the_phone_does_not_have_fails_as_account_mismatch(phones):
    farm, client = await phones(1, real_scripts=True, ui={"screen_timeout": 2.0})
    phone = farm[0]
    await register(client, phone, "not_on_this_phone")
    [task_id] = await follow(client, ["nasa"], usernames=["not_on_this_phone"])
    [done] = await finished(client, [task_id])
    assert (done["status_text"], done["error"]["reason"]) == ("failed", "account_mismatch")
    assert follows_by_account(phone) == {}  # nothing done as the wrong account


async def test_daily_cap_reached_mid_batch(phones):
    farm, client = await phones(1, real_scripts=True, caps={"follow": 2})
    phone = farm[0]
    name = phone.state.apps[TIKTOK].current
    await register(client, phone, name)
    ids = await follow(client, ["one", "two", "three", "four"], usernames=[name])
    tasks = await finished(client, ids, timeout=60)
    assert [t["status_text"] for t in tasks] == ["completed", "completed", "failed", "failed"]
    assert {t["error"]["reason"] for t in tasks[2:]} == {"daily_cap"}
    # Refused in the claim: never marked running, the phone never touched.
    assert all(t["started_at"] is None and t["result"] is None for t in tasks[2:])
    assert follows_by_account(phone) == {name: ["one", "two"]}


async def test_per_account_cap_overrides_the_config(phones):
    farm, client = await phones(1, real_scripts=True, caps={"follow": 10})
    phone = farm[0]
    name = phone.state.apps[TIKTOK].current
    account_id = await register(client, phone, name, daily_caps={"follow": 1})
    ids = await follow(client, ["one", "two"], usernames=[name])
    tasks = await finished(client, ids, timeout=60)
    assert [t["status_text"] for t in tasks] == ["completed", "failed"]
    assert (await call(client, "GET", f"/api/v1/accounts/{account_id}"))[1]["data"]["daily_caps"] == {"follow": 1}


async def test_block_notice_puts_the_account_in_cooldown(phones):
    farm, client = await phones(1, real_scripts=True, caps={"cooldown": 3600.0})
    phone = farm[0]
    name = phone.state.apps[TIKTOK].current
    account_id = await register(client, phone, name)
    phone.faults.action_block = True
    first, second = await follow(client, ["one", "two"], usernames=[name])
    [blocked] = await finished(client, [first], timeout=60)
    assert (blocked["status_text"], blocked["error"]["reason"]) == ("failed", "action_blocked")
    account = (await call(client, "GET", f"/api/v1/accounts/{account_id}"))[1]["data"]
    assert account["cooldown_until"] is not None
    status, body = await call(client, "GET", f"/api/v1/task/{second}")
    assert body["data"]["status_text"] == "pending"  # waits out the cooldown
    # Another account's work on the same phone is not held up.
    other = phone.state.apps[TIKTOK].accounts[1]
    await register(client, phone, other)
    phone.faults.action_block = False
    [free] = await follow(client, ["three"], usernames=[other])
    [done] = await finished(client, [free], timeout=60)
    assert done["status_text"] == "completed", done["error"]
    assert (await call(client, "GET", f"/api/v1/task/{second}"))[1]["data"]["status_text"] == "pending"


async def test_disabled_accounts_never_run(phones):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    name = phone.state.apps[TIKTOK].current
    account_id = await register(client, phone, name)
    phone.faults.latency = {"dump": 0.5}  # the first task takes a while; the second waits behind it
    first, second = await follow(client, ["nasa", "esa"], usernames=[name])
    status, _ = await call(client, "PATCH", f"/api/v1/accounts/{account_id}", json={"status": 1})
    assert status == 200
    tasks = await finished(client, [first, second], timeout=60)
    assert (tasks[1]["status_text"], tasks[1]["error"]["reason"]) == ("failed", "account_disabled")
    assert tasks[1]["started_at"] is None and tasks[1]["result"] is None  # never marked running
    assert "esa" not in follows_by_account(phone).get(name, [])
    status, body = await call(client, "POST", "/api/v1/task", json={
        "usernames": [name], "script_name": "follow", "script_config": {"target_users": ["esa"]}})
    assert (status, body["code"]) == (400, 40001)  # refused at creation from now on
    status, body = await call(client, "POST", "/api/v1/task", json={
        "serials": [phone.serial], "enable_multi_account": True, "script_name": "follow",
        "script_config": {"target_users": ["esa"]}})
    assert (status, body["code"]) == (400, 40001)  # no enabled account on the phone


async def test_match_accounts_discovers_what_each_phone_has_logged_in(phones):
    farm, client = await phones(2, real_scripts=True, sim={"languages": ["en", "fr"]})
    status, body = await call(client, "POST", "/api/v1/accounts/match", json={"serials": farm.serials})
    assert (status, body["data"]["created_count"]) == (200, 4), body  # 2 phones x 2 apps
    tasks = await finished(client, body["data"]["task_ids"], timeout=60)
    assert {t["status_text"] for t in tasks} == {"completed"}, [t["error"] for t in tasks]
    status, body = await call(client, "GET", "/api/v1/accounts", params={"page_size": "100"})
    registered = {(a["platform"], a["username"], a["device"], a["logined"]) for a in body["data"]["accounts"]}
    expected = {(platform, name, phone.serial, 1) for phone in farm
                for platform, package in (("tiktok", TIKTOK), ("instagram", "com.instagram.android"))
                for name in phone.state.apps[package].accounts}
    assert registered == expected and len(expected) == 12
    # Discovered accounts are usable at once in username mode.
    phone = farm[1]
    name = phone.state.apps[TIKTOK].accounts[1]
    [task_id] = await follow(client, ["nasa"], usernames=[name])
    [done] = await finished(client, [task_id], timeout=60)
    assert (done["status_text"], done["serial"]) == ("completed", phone.serial), done["error"]
    assert follows_by_account(phone) == {name: ["nasa"]}


async def test_each_app_has_its_own_active_account(phones):
    """A phone with both apps: discovery records each app's active account, and a task on the
    phone's serial runs as the active account of its own app, never the other app's."""
    farm, client = await phones(1, real_scripts=True, platform="instagram")
    phone = farm[0]
    tiktok, instagram = phone.state.apps[TIKTOK], phone.state.apps["com.instagram.android"]
    status, body = await call(client, "POST", "/api/v1/accounts/match", json={"serials": [phone.serial]})
    assert status == 200, body
    await finished(client, body["data"]["task_ids"], timeout=60)
    _, device = await call(client, "GET", f"/api/v1/devices/{phone.serial}")
    assert device["data"]["current_accounts"] == {"tiktok": f"@{tiktok.current}",
                                                  "instagram": f"@{instagram.current}"}
    assert device["data"]["current_account"] == f"@{instagram.current}"  # the phone's platform is instagram
    [task_id] = await follow(client, ["nasa"], serials=[phone.serial])
    [done] = await finished(client, [task_id], timeout=60)
    assert (done["status_text"], done["username"]) == ("completed", f"@{instagram.current}"), done["error"]


async def test_match_accounts_rejects_bad_input(phones):
    farm, client = await phones(1)
    for body in ({}, {"serials": []}, {"serials": ["nope"]}, {"serials": [farm[0].serial], "platforms": ["x"]},
                 {"serials": [farm[0].serial], "extra": 1}):
        status, answer = await call(client, "POST", "/api/v1/accounts/match", json=body)
        assert (status, answer["code"]) == (400, 40001), body
    _, stats = await call(client, "GET", "/api/v1/task/stats")
    assert stats["data"]["total"] == 0


async def test_a_task_refused_for_its_account_is_never_retried(phones):
    """A retry policy retries what failed while trying, not what could not be tried (issue 14)."""
    farm, client = await phones(1, real_scripts=True, caps={"follow": 1},
                                retry={"follow": {"attempts": 3, "delay": 0.0, "jitter": 0.0}})
    phone = farm[0]
    name = phone.state.apps[TIKTOK].current
    await register(client, phone, name)
    ids = await follow(client, ["one", "two"], usernames=[name])
    tasks = await finished(client, ids, timeout=60)
    assert [(t["status_text"], t["retry_count"]) for t in tasks] == [("completed", 0), ("failed", 0)]
    assert tasks[1]["error"]["reason"] == "daily_cap"
