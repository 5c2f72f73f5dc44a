"""A webhook receiver, an event-stream client that disconnects and resumes across a daemon restart,
and `tikmatrixd task wait` all see the same batch go from pending to completed: nothing missed,
nothing out of order."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

import aiohttp

from tests.api.test_webhooks import SECRET, Receiver
from tests.e2e.conftest import wait_until
from tests.e2e.test_process import daemon_process  # noqa: F401 (fixture)
from tests.helpers import Frame, next_message

TARGETS = ["alpha", "bravo", "charlie"]


async def read_until(stream: aiohttp.ClientResponse, done, frames: list[Frame]) -> None:
    while not done(frames):
        frames.append(await asyncio.wait_for(next_message(stream), 60))


async def subscribers(session: aiohttp.ClientSession, url: str, count: int) -> bool:
    async with session.get(f"{url}/metrics") as response:
        return f"tikmatrixd_event_subscribers {float(count)}" in await response.text()


def batch_states(events: list[tuple[str, dict]], ids: list[int]) -> list[tuple[int, str]]:
    """(task id, status) of the batch's tasks, in the order reported (creation: each one pending)."""
    states: list[tuple[int, str]] = []
    for kind, data in events:
        if kind == "tasks_created" and data["task_ids"] == ids:
            states += [(task_id, "pending") for task_id in ids]
        elif kind == "task" and data["id"] in ids:
            states.append((data["id"], data["status_text"]))
    return states


def all_completed(ids: list[int]):
    return lambda frames: {(f.data or {}).get("id") for f in frames if f.event == "task"
                           and f.data["status_text"] == "completed"} >= set(ids)


async def test_three_observers_see_one_batch_across_a_restart(adb_servers, farms, daemon_process,  # noqa: F811
                                                               tmp_path):
    server = adb_servers()
    farm = await farms(1, None)  # the phone is declared, but reaches the adb server only later
    serial = farm[0].serial
    receiver = await Receiver().start()
    secret = tmp_path / "webhook.secret"
    secret.write_bytes(SECRET)
    daemon = daemon_process([server], extra=(
        f'[[devices]]\nserial = "{serial}"\n'
        f'[[webhooks]]\nurl = "{receiver.url}"\nsecret_file = "{secret}"\n'))
    await daemon.start()
    url = f"http://127.0.0.1:{daemon.port}"
    environment = {**os.environ, "TIKMATRIXD_URL": url}

    async def tikmatrixd(*args: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tikmatrixd", *args, env=environment,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

    async with aiohttp.ClientSession() as session:
        stream = await session.get(f"{url}/api/v1/events")
        assert (await next_message(stream)).event == "open"

        create = await tikmatrixd("task", "create", "follow", "--serial", serial,
                                  *[arg for user in TARGETS for arg in ("--user", user)], "--json")
        out, err = await create.communicate()
        assert create.returncode == 0, err.decode()
        ids = json.loads(out)["task_ids"]
        waiting = await tikmatrixd("task", "wait", *map(str, ids), "--json")
        await wait_until(lambda: subscribers(session, url, 2))  # ours, and task wait's

        before: list[Frame] = []
        await read_until(stream, lambda frames: any(f.event == "tasks_created" for f in frames), before)
        stream.close()  # the client goes away ...

        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, daemon.signal, signal.SIGTERM) == 0  # ... and the daemon too
        await daemon.start()
        await farm.connect(server.address)  # now the phone is there: the batch runs

        resumed = await session.get(f"{url}/api/v1/events", headers={"Last-Event-ID": str(before[-1].id)})
        after: list[Frame] = []
        await read_until(resumed, all_completed(ids), after)
        resumed.close()

    out, err = await asyncio.wait_for(waiting.communicate(), 120)
    assert waiting.returncode == 0, err.decode()
    waited = json.loads(out)
    assert [(t["id"], t["status_text"], t["source"]) for t in waited] == [(i, "completed", "ui") for i in ids]

    delivered: dict[int, dict] = {}
    while not all_completed(ids)([Frame(event=e["event"], data=e["data"]) for e in delivered.values()]):
        event = await receiver.next(timeout=60)
        delivered.setdefault(event["id"], event)  # at least once: a redelivery has the same id
    await receiver.stop()

    streamed = [f for f in before + after if f.id is not None and f.event != "open"]
    stream_ids = [f.id for f in streamed]
    assert stream_ids == list(range(stream_ids[0], stream_ids[-1] + 1))  # every event, once, in order
    assert list(delivered) == sorted(delivered)  # in order per endpoint
    assert [i for i in delivered if i >= stream_ids[0]][:len(stream_ids)] == stream_ids

    expected = [(i, "pending") for i in ids] + [
        step for i in ids for step in ((i, "running"), (i, "completed"))]
    over_stream = batch_states([(f.event, f.data) for f in streamed], ids)
    over_webhook = batch_states([(e["event"], e["data"]) for e in delivered.values()], ids)
    assert over_stream == over_webhook == expected
