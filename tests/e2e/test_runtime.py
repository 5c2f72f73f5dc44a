"""The device runtime end to end: API → store → worker → real adb server → simulated phone."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.conftest import TZ
from tests.e2e.conftest import wait_until
from tests.helpers import call

TIKTOK = "com.zhiliaoapp.musically"


async def create(client, serials, targets, script="follow", config=None, **extra):
    script_config = {"target_users": targets, **(config or {})}
    status, body = await call(client, "POST", "/api/v1/task", json={
        "serials": serials, "script_name": script, "script_config": script_config, **extra})
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


async def test_tasks_run_on_their_devices_in_order(phones):
    farm, client = await phones(2)
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
    assert (device["state"], device["model"], device["adb_server"]) == ("online", "Pixel_6a", farm.adb_server)
    assert device["apps"][TIKTOK] == "47.0.3" and device["worker"] is True and device["healthy"] is True


async def hold_then(client, farm, index=0, after=("after",)):
    """A long task on farm[index], with more tasks queued behind it; returns (hold id, other ids)."""
    client.script.started.clear()
    hold, *rest = await create(client, [farm[index].serial], ["hold", *after])
    await asyncio.wait_for(client.script.started.wait(), 10)
    assert (await task(client, hold))["status_text"] == "running"
    return hold, rest


def commands_since(phone, start):
    """The command lines the phone ran since ``start``, without the marker a shell session adds."""
    return [r.command.split("; echo TMX")[0] for r in phone.state.commands[start:]]


async def test_stop_cancels_the_running_script_and_cleans_up(phones):
    farm, client = await phones(1)
    hold, [after] = await hold_then(client, farm)
    calls_before = len(farm[0].state.commands)

    status, body = await call(client, "POST", f"/api/v1/task/{hold}/stop")
    assert status == 200, body
    assert (body["data"]["status_text"], body["data"]["error"]["reason"]) == ("failed", "stopped")
    # The stop answered only after the script was cancelled and its cleanup ran (the next task
    # may already be on the phone, so the cleanup is looked for in what the phone ran).
    assert "input keyevent KEYCODE_HOME" in commands_since(farm[0], calls_before)
    assert (await devices(client))[farm[0].serial]["running_task_id"] != hold
    [done] = await finished(client, [after])
    assert done["status_text"] == "completed"
    stopped = await task(client, hold)
    assert (stopped["status_text"], stopped["error"]["reason"]) == ("failed", "stopped")  # not overwritten


async def test_delete_of_a_running_task_stops_it_first(phones):
    farm, client = await phones(1)
    hold, [after] = await hold_then(client, farm)
    calls_before = len(farm[0].state.commands)

    status, body = await call(client, "DELETE", f"/api/v1/task/{hold}")
    assert (status, body["data"]) == (200, {"deleted_count": 1})
    assert "input keyevent KEYCODE_HOME" in commands_since(farm[0], calls_before)  # cleaned up first
    assert (await call(client, "GET", f"/api/v1/task/{hold}"))[0] == 404
    [done] = await finished(client, [after])
    assert done["status_text"] == "completed"
    # No more of the held script's calls reached the phone after the delete.
    later = commands_since(farm[0], calls_before)
    assert later.count("sleep 0.05") <= 1 and "input keyevent KEYCODE_HOME" in later


async def test_scheduled_tasks_wait_for_their_time(adb_servers, farms, daemon):
    server = adb_servers()
    farm = await farms(1, server)
    real = time.time()
    local = datetime.fromtimestamp(real, ZoneInfo(TZ))
    pretend = local.replace(second=58, microsecond=800_000)  # 1.2 s before the next minute
    offset = pretend.timestamp() - real
    client = await daemon([server], clock=lambda: time.time() + offset)
    await online(client, farm)
    next_minute = (pretend + timedelta(minutes=1)).strftime("%H:%M")
    in_an_hour = (pretend + timedelta(hours=1)).strftime("%H:%M")
    [soon] = await create(client, [farm[0].serial], ["soon"], start_time=next_minute)
    [later] = await create(client, [farm[0].serial], ["later"], start_time=in_an_hour)
    [now] = await create(client, [farm[0].serial], ["now"])

    [done_now] = await finished(client, [now])
    assert (await task(client, soon))["status_text"] == "pending"  # not due yet
    [done_soon] = await finished(client, [soon])
    assert done_soon["status_text"] == "completed"
    assert done_soon["started_at"] >= done_soon["scheduled_at"]
    assert (await task(client, later))["status_text"] == "pending"
    assert opened_profiles(farm[0]) == ["https://www.tiktok.com/@now", "https://www.tiktok.com/@soon"]


async def test_device_dropped_mid_task(phones):
    farm, client = await phones(2, keep_connected=True)
    hold, [after] = await hold_then(client, farm)
    [elsewhere] = await create(client, [farm[1].serial], ["elsewhere"])

    await farm[0].go_offline()
    [dropped] = await finished(client, [hold])
    assert (dropped["status_text"], dropped["error"]["reason"]) == ("failed", "device_disconnected")
    assert (await finished(client, [elsewhere]))[0]["status_text"] == "completed"
    assert (await task(client, after))["status_text"] == "pending"  # waits for its phone
    # adb 29 reports a dropped TCP phone late; the worker already stopped using it.
    seen = (await devices(client))[farm[0].serial]
    assert seen["state"] in ("offline", "disconnected") or seen["healthy"] is False

    await farm[0].come_back()  # the adb server reconnects by itself
    [done] = await finished(client, [after], timeout=60)
    assert done["status_text"] == "completed"
    assert opened_profiles(farm[0]) == ["https://www.tiktok.com/@after"]


async def test_unhealthy_device_waits_instead_of_failing_tasks(adb_servers, farms, daemon):
    server = adb_servers()
    farm = await farms(1, server)
    farm[0].faults.latency = {"default": 3.0}  # `adb devices` lists it; a shell takes 3 s
    client = await daemon([server], adb={"probe_timeout": 0.5})
    serial = farm[0].serial
    await wait_until(lambda: _healthy_is(client, serial, False))
    ids = await create(client, [serial], ["one", "two"])
    await asyncio.sleep(0.5)
    assert [(await task(client, i))["status_text"] for i in ids] == ["pending", "pending"]

    farm[0].faults.latency = {}
    tasks = await finished(client, ids, timeout=60)  # re-probed with backoff, then served
    assert [t["status_text"] for t in tasks] == ["completed", "completed"]


async def _healthy_is(client, serial, value):
    return (await devices(client)).get(serial, {}).get("healthy") is value


async def test_devices_beyond_the_plan_limit_get_no_worker(adb_servers, farms, daemon):
    server = adb_servers()
    farm = await farms(3, server)
    client = await daemon([server], license={"device_limit": 2})
    await wait_until(lambda: _count_online(client, 3))
    known = await devices(client)
    served = sorted(s for s in farm.serials if known[s]["worker"])
    idle = [s for s in farm.serials if not known[s]["worker"]]
    assert served == sorted(farm.serials)[:2] and len(idle) == 1
    ids = await create(client, served + idle, ["x"])
    done = await finished(client, ids[:2])
    assert [t["status_text"] for t in done] == ["completed", "completed"]
    assert (await task(client, ids[2]))["status_text"] == "pending"


async def _count_online(client, n):
    return sum(d["state"] == "online" for d in (await devices(client)).values()) >= n


async def test_automatic_retry_keeps_the_id_and_counts(phones):
    farm, client = await phones(1, retry={"follow": {"attempts": 2, "delay": 0.1, "jitter": 0.5}})
    [failing] = await create(client, [farm[0].serial], ["failing"])
    [done] = await finished(client, [failing])
    assert (done["status_text"], done["retry_count"], done["error"]["reason"]) == ("failed", 2, "ui_timeout")
    tries = [r.command for r in farm[0].state.commands if r.command.startswith("echo failing")]
    assert len(tries) == 3  # the first run and two retries


async def test_two_adb_servers_one_on_tcp_one_on_a_unix_socket(adb_servers, farms, daemon):
    first, second = adb_servers(), adb_servers(unix=True)
    assert second.address.startswith("localfilesystem:/")
    farm_a = await farms(2, first)
    farm_b = await farms(2, second)
    client = await daemon([first, second])
    await online(client, farm_a)
    await online(client, farm_b)
    known = await devices(client)
    assert {known[s]["adb_server"] for s in farm_a.serials} == {first.address}
    assert {known[s]["adb_server"] for s in farm_b.serials} == {second.address}
    ids = await create(client, farm_a.serials + farm_b.serials, ["nasa"])
    assert [t["status_text"] for t in await finished(client, ids)] == ["completed"] * 4
    for device in [*farm_a, *farm_b]:
        assert opened_profiles(device) == ["https://www.tiktok.com/@nasa"]


async def test_fifty_devices_four_tasks_each(phones):
    farm, client = await phones(50)
    targets = ["t1", "t2", "t3", "t4"]
    ids = await create(client, farm.serials, targets)
    assert len(ids) == 200
    tasks = await finished(client, ids, timeout=120)
    assert {t["status_text"] for t in tasks} == {"completed"}
    for device in farm:
        assert opened_profiles(device) == [f"https://www.tiktok.com/@{t}" for t in targets]
    _, stats = await call(client, "GET", "/api/v1/task/stats")
    assert stats["data"] == {"total": 200, "pending": 0, "running": 0, "completed": 200, "failed": 0}


async def test_fifty_devices_under_faults_lose_nothing(phones):
    """The issue's 'done when': a batch over 50 phones with stops, deletes, drops and a sick phone."""
    farm, client = await phones(50, keep_connected=True, adb={"probe_timeout": 0.5})
    dropped, sick, stopped_on, deleted_on = farm[0], farm[1], farm[2], farm[3]
    holds = {}
    for device in (dropped, stopped_on, deleted_on):
        holds[device.serial] = (await create(client, [device.serial], ["hold"]))[0]
    ids = await create(client, farm.serials, ["t1", "t2", "t3"])
    await wait_until(lambda: _all_running(client, holds.values()))

    sick.faults.latency = {"default": 2.0}  # answers adb devices, not a probe in time
    await dropped.go_offline()
    status, _ = await call(client, "POST", f"/api/v1/task/{holds[stopped_on.serial]}/stop")
    assert status == 200
    status, _ = await call(client, "DELETE", f"/api/v1/task/{holds[deleted_on.serial]}")
    assert status == 200
    await asyncio.sleep(1.0)
    sick.faults.latency = {}
    await dropped.come_back()

    tasks = await finished(client, ids + [holds[dropped.serial], holds[stopped_on.serial]], timeout=120)
    by_id = {t["id"]: t for t in tasks}
    assert by_id[holds[dropped.serial]]["error"]["reason"] == "device_disconnected"
    assert by_id[holds[stopped_on.serial]]["error"]["reason"] == "stopped"
    batch = [by_id[i] for i in ids]
    # Every batch task ran once, on its phone, in order. The sick phone's may have failed
    # on a slow call (its worker then waited for health); none is lost or still pending.
    for device in farm:
        mine = [t for t in batch if t["serial"] == device.serial]
        completed = [t["result"]["opened"] for t in mine if t["status_text"] == "completed"]
        assert opened_profiles(device) == [f"https://www.tiktok.com/@{n}" for n in completed]
        if device is not sick:
            assert completed == ["t1", "t2", "t3"], device.serial
    _, stats = await call(client, "GET", "/api/v1/task/stats")
    assert stats["data"]["total"] == 152 and stats["data"]["pending"] == stats["data"]["running"] == 0


async def _all_running(client, ids):
    return all([(await task(client, i))["status_text"] == "running" for i in ids])
