"""GET /api/v1/devices/{serial}/screen and /dump: a phone's screen now, never behind a task's back."""

from __future__ import annotations

import asyncio

from tests.e2e.test_runtime import create, finished
from tests.helpers import call
from tikmatrixd.sim.state import TIKTOK


async def test_screen_and_dump_of_an_idle_phone(phones):
    farm, client = await phones(1, sim={"language": "fr"})
    phone = farm[0]
    assert phone.open_url("https://www.tiktok.com/@nasa", TIKTOK)
    shot = await client.get(f"/api/v1/devices/{phone.serial}/screen")
    assert shot.status == 200 and shot.headers["Content-Type"] == "image/png"
    assert (await shot.read()).startswith(b"\x89PNG")
    dump = await client.get(f"/api/v1/devices/{phone.serial}/dump")
    assert dump.status == 200 and dump.headers["Content-Type"].startswith("application/xml")
    text = await dump.text()
    assert text.startswith("<?xml") and 'text="@nasa"' in text and "com.zhiliaoapp.musically:id/fmp" in text


async def test_a_phone_running_a_task_is_looked_at_only_when_forced(phones):
    farm, client = await phones(1)
    phone = farm[0]
    client.script.started.clear()
    [task_id] = await create(client, [phone.serial], ["hold.on"])
    await asyncio.wait_for(client.script.started.wait(), 10)
    status, body = await call(client, "GET", f"/api/v1/devices/{phone.serial}/dump")
    assert (status, body["code"]) == (400, 40001)
    assert f"task {task_id} is running" in body["message"] and "force=1" in body["message"]
    forced = await client.get(f"/api/v1/devices/{phone.serial}/dump?force=1")
    assert forced.status == 200 and "<hierarchy" in await forced.text()
    status, body = await call(client, "GET", f"/api/v1/devices/{phone.serial}/screen?force=yes")
    assert (status, body["code"]) == (400, 40001)
    await call(client, "POST", f"/api/v1/task/{task_id}/stop")
    await finished(client, [task_id])


async def test_unknown_and_offline_phones(phones):
    farm, client = await phones(1)
    status, body = await call(client, "GET", "/api/v1/devices/10.9.9.9:5555/screen")
    assert (status, body["code"]) == (404, 40401)
    await farm[0].go_offline()  # gone: its worker may not know yet, the adb call fails either way
    status, body = await call(client, "GET", f"/api/v1/devices/{farm[0].serial}/dump")
    assert (status, body["code"]) == (400, 40001) and farm[0].serial in body["message"], body
