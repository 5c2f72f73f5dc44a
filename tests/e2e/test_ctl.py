"""The command-line client (`tikmatrixd task|devices|accounts|events`) against the real daemon and
simulated phones: every endpoint it drives, as a user at a terminal or a script would see it."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from tests.e2e.test_scripts import follows
from tests.helpers import call


async def ctl(client, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None,
              timeout: float = 60) -> tuple[int, str, str]:
    """Run `tikmatrixd ARGS` against the test daemon; (exit status, stdout, stderr)."""
    environment = {**os.environ, "TIKMATRIXD_URL": str(client.make_url("")), "COLUMNS": "200", **(env or {})}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tikmatrixd", *args, env=environment, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
    return process.returncode or 0, out.decode(), err.decode()


async def ctl_json(client, *args: str, **kwargs: Any) -> Any:
    code, out, err = await ctl(client, *args, "--json", **kwargs)
    assert code == 0, err
    return json.loads(out)


async def test_create_with_flags_then_wait_until_completed(phones):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    code, out, err = await ctl(client, "task", "create", "follow", "--serial", phone.serial,
                               "--user", "@nasa", "--user", "esa", "--wait")
    assert code == 0, err
    assert "completed" in out and "follow" in out and phone.serial in out
    assert sorted(follows(phone, "tiktok")) == ["esa", "nasa"]
    tasks = await ctl_json(client, "task", "list", "--source", "ui")
    assert [(t["script_config"]["target_user"], t["status_text"], t["source"]) for t in tasks["tasks"]] == [
        ("@esa", "completed", "ui"), ("@nasa", "completed", "ui")]


async def test_create_from_the_api_json_on_stdin_and_wait_for_ids(phones):
    farm, client = await phones(1, real_scripts=True)
    body = {"serials": [farm[0].serial], "script_name": "follow", "script_config": {"target_users": ["nasa"]}}
    created = await ctl_json(client, "task", "create", "-f", "-", stdin=json.dumps(body).encode())
    [task_id] = created["task_ids"]
    code, out, err = await ctl(client, "task", "wait", str(task_id))
    assert code == 0, err
    assert f"{task_id}" in out and "completed" in out
    task = await ctl_json(client, "task", "get", str(task_id))
    assert (task["id"], task["status_text"], task["source"]) == (task_id, "completed", "ui")


async def test_wait_exits_non_zero_when_a_task_fails(phones):
    farm, client = await phones(1, real_scripts=True)
    created = await ctl_json(client, "task", "create", "follow", "--serial", farm[0].serial, "--user", "nasa",
                             "--start-time", "23:59")
    [task_id] = created["task_ids"]
    stopper = asyncio.create_task(ctl(client, "task", "stop", str(task_id)))
    code, out, err = await ctl(client, "task", "wait", str(task_id))
    assert (await stopper)[0] == 0
    assert code == 1 and "failed (stopped)" in out, (out, err)


async def test_list_get_stop_retry_delete_stats(phones):
    farm, client = await phones(1, real_scripts=True)
    serial = farm[0].serial
    created = await ctl_json(client, "task", "create", "follow", "--serial", serial, "--user", "a", "--user", "b",
                             "--start-time", "23:59")
    first, second = created["task_ids"]
    code, out, _ = await ctl(client, "task", "list", "--status", "pending")
    assert code == 0 and f"{first}" in out and "pending" in out and "2 task(s)" in out
    stopped = await ctl_json(client, "task", "stop", str(first), str(second))
    assert [t["status_text"] for t in stopped] == ["failed", "failed"]
    retried = await ctl_json(client, "task", "retry", str(first))
    assert (retried[0]["status_text"], retried[0]["retry_count"]) == ("pending", 1)
    assert (await ctl_json(client, "task", "retry-all"))["retried_count"] == 1
    stats = await ctl_json(client, "task", "stats")  # a retried task is due at once: it may run already
    assert (stats["pending"] + stats["running"] + stats["completed"], stats["failed"], stats["total"]) == (2, 0, 2)
    code, out, _ = await ctl(client, "task", "stats")
    assert code == 0 and "failed" in out and "total" in out
    code, out, _ = await ctl(client, "task", "delete", str(first), "999999", "--json")
    assert code == 1 and json.loads(out) == {"deleted_count": 1, "not_found": [999999]}  # one was not there
    code, _, err = await ctl(client, "task", "get", str(first))
    assert code == 1 and "40401" in err and "not found" in err


async def test_devices_accounts_and_events(phones):
    farm, client = await phones(1, real_scripts=True)
    serial = farm[0].serial
    devices = await ctl_json(client, "devices")
    states = {d["serial"]: d["state"] for d in devices["devices"]}
    assert states[serial] == "online" and devices["total"] == len(states)  # (and the config's declared ones)
    code, out, _ = await ctl(client, "devices", serial)
    assert code == 0 and serial in out and "online" in out
    added = await ctl_json(client, "accounts", "add", "shop_a", "--device", serial, "--tag", "promo")
    changed = await ctl_json(client, "accounts", "set", str(added["id"]), "--disable", "--cap", "follow=3")
    assert (changed["status"], changed["daily_caps"], changed["tags"]) == (1, {"follow": 3}, "promo")
    listed = await ctl_json(client, "accounts", "list", "--device", serial)
    assert [a["username"] for a in listed["accounts"]] == ["shop_a"]
    assert (await ctl_json(client, "accounts", "get", str(added["id"])))["username"] == "shop_a"
    matched = await ctl_json(client, "accounts", "match", serial)
    assert len(matched["task_ids"]) == 2  # one per app
    code, _, err = await ctl(client, "task", "wait", *map(str, matched["task_ids"]))
    assert code == 0, err
    discovered = await ctl_json(client, "accounts", "list", "--device", serial)
    assert discovered["total"] > 1  # what the phone has logged in, besides shop_a
    assert (await ctl_json(client, "accounts", "delete", str(added["id"]))) == {"deleted_count": 1}

    events = await read_events(client, "--after", "0", "--kinds", "tasks_created", count=1)
    assert events[0]["event"] == "tasks_created" and events[0]["data"]["script_name"] == "match_accounts"


async def read_events(client, *args: str, count: int) -> list[dict[str, Any]]:
    """The first ``count`` events `tikmatrixd events --json` prints (it follows until stopped)."""
    environment = {**os.environ, "TIKMATRIXD_URL": str(client.make_url(""))}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tikmatrixd", "events", "--json", *args, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        lines = [json.loads(await asyncio.wait_for(process.stdout.readline(), 30)) for _ in range(count)]
    finally:
        process.kill()
        await process.wait()
    return lines


async def test_errors_print_the_api_code_and_exit_non_zero(phones):
    _, client = await phones(1, real_scripts=True)
    code, _, err = await ctl(client, "task", "create", "follow", "--serial", "nope", "--user", "nasa")
    assert code == 1 and "40001" in err and "serials" in err
    code, _, err = await ctl(client, "task", "create", "--serial", "x")
    assert code == 2 and "which script" in err
    code, _, err = await ctl(client, "task", "create", "follow", "--set", "novalue")
    assert code == 2 and "KEY=VALUE" in err
    code, _, err = await ctl(client, "task", "list", env={"TIKMATRIXD_URL": "http://127.0.0.1:9"})
    assert code == 1 and "cannot reach the daemon" in err
    status, _ = await call(client, "GET", "/api/v1/task/stats")
    assert status == 200


async def test_something_else_at_the_address_is_said_plainly(aiohttp_server):
    from aiohttp import web

    async def page(request):
        return web.Response(status=404, text="<html>not here</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    server = await aiohttp_server(app)
    env = {"TIKMATRIXD_URL": str(server.make_url(""))}
    for args, said in ((("events",), "not an event stream"), (("task", "stats"), "not the tikmatrixd API")):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tikmatrixd", *args, env={**os.environ, **env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 1 and said in err.decode() and "Traceback" not in err.decode(), err
