"""The device runtime end to end: API → store → worker → real adb server → simulated phone."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import wait_until
from tests.helpers import call

TIKTOK = "com.zhiliaoapp.musically"


async def create(client, serials, targets, script="follow", **extra):
    status, body = await call(client, "POST", "/api/v1/task", json={
        "serials": serials, "script_name": script, "script_config": {"target_users": targets}, **extra})
    assert status == 200, body
    return body["data"]["task_ids"]


async def task(client, task_id):
    status, body = await call(client, "GET", f"/api/v1/task/{task_id}")
    assert status == 200, body
    return body["data"]


async def finished(client, ids, timeout=30.0):
    """Wait until none of the tasks is pending or running; return them."""

    async def check():
        tasks = [await task(client, i) for i in ids]
        return tasks if all(t["status"] in (2, 3) for t in tasks) else None

    return await wait_until(check, timeout)


async def devices(client):
    status, body = await call(client, "GET", "/api/v1/devices")
    assert status == 200, body
    return {d["serial"]: d for d in body["data"]["devices"]}


async def online(client, farm, timeout=30.0):
    """Wait until the daemon has a healthy worker for each of the farm's phones."""

    async def check():
        known = await devices(client)
        return all(known.get(s, {}).get("healthy") for s in farm.serials)

    await wait_until(check, timeout)


def opened_profiles(device):
    """The profile URLs the phone was asked to open, in order."""
    return [r.command.split(" -d ")[1].split()[0].strip("'") for r in device.state.commands
            if r.command.startswith("am start") and " -d " in r.command]


async def test_tasks_run_on_their_devices_in_order(adb_servers, farms, daemon):
    server = adb_servers()
    farm = await farms(2, server)
    client = await daemon([server])
    await online(client, farm)
    a, b = farm[0].serial, farm[1].serial
    ids = await create(client, [a], ["first", "second", "third"]) + await create(client, [b], ["other"])
    tasks = await finished(client, ids)
    assert [t["status_text"] for t in tasks] == ["completed"] * 4
    assert [t["result"]["opened"] for t in tasks] == ["first", "second", "third", "other"]
    assert all(t["result"]["adb_calls"] == 2 for t in tasks)  # am start + HOME
    assert opened_profiles(farm[0]) == [f"https://www.tiktok.com/@{n}" for n in ("first", "second", "third")]
    assert opened_profiles(farm[1]) == ["https://www.tiktok.com/@other"]
    assert farm[0].state.foreground == "launcher"  # cleanup ran

    status, body = await call(client, "GET", f"/api/v1/devices/{a}")
    device = body["data"]
    assert (device["state"], device["model"], device["adb_server"]) == ("online", "Pixel_6a", server.address)
    assert device["apps"][TIKTOK] == "47.0.3" and device["worker"] is True and device["healthy"] is True
