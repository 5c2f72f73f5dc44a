"""List, get, stop, retry, delete and stats, with the runtime's transitions."""

from __future__ import annotations

import pytest

from tests.conftest import SERIALS
from tests.helpers import call
from tikmatrixd import keys
from tikmatrixd.core.status import TaskStatus
from tikmatrixd.runtime.dispatcher import NullDispatcher


class RecordingDispatcher(NullDispatcher):
    """Records what the API asks of the runtime (the interface contract)."""

    def __init__(self):
        self.woken: list[set[str]] = []
        self.cancelled: list[list[int]] = []

    def wake(self, serials):
        self.woken.append(set(serials))

    async def cancel(self, task_ids):
        self.cancelled.append(list(task_ids))


async def seed(client, serials=SERIALS, targets=("nasa",), script="follow"):
    status, body = await call(client, "POST", "/api/v1/task", json={
        "serials": list(serials), "script_name": script, "script_config": {"target_users": list(targets)},
    })
    assert status == 200
    return body["data"]["task_ids"]


async def get(client, task_id):
    return await call(client, "GET", f"/api/v1/task/{task_id}")


async def stats(client):
    return (await call(client, "GET", "/api/v1/task/stats"))[1]["data"]


async def run_as_worker(client, task_id, outcome, username="worker_acc"):
    """What a worker does: claim, then finish."""
    store = client.app[keys.STORE]
    assert await store.tasks.start(task_id, client.app[keys.CLOCK](), username)
    if outcome is not TaskStatus.RUNNING:
        error = {"reason": "ui_timeout", "message": "no follow button"} if outcome is TaskStatus.FAILED else None
        result = {"followed": True} if outcome is TaskStatus.COMPLETED else None
        assert await store.tasks.finish(task_id, outcome, client.app[keys.CLOCK](), result=result, error=error)


async def test_list_newest_first_with_pagination(client):
    ids = await seed(client, targets=("a1", "b1", "c1", "d1", "e1"))  # 15 tasks
    status, body = await call(client, "GET", "/api/v1/task", params={"page": "2", "page_size": "4"})
    assert status == 200
    data = body["data"]
    assert (data["total"], data["page"], data["page_size"]) == (15, 2, 4)
    assert [t["id"] for t in data["tasks"]] == sorted(ids, reverse=True)[4:8]
    _, default = await call(client, "GET", "/api/v1/task")
    assert default["data"]["page_size"] == 20 and len(default["data"]["tasks"]) == 15
    _, beyond = await call(client, "GET", "/api/v1/task", params={"page": "9"})
    assert beyond["data"]["tasks"] == [] and beyond["data"]["total"] == 15


async def test_list_filters(client):
    follow_ids = await seed(client, targets=("a1", "b1"))
    await seed(client, serials=[SERIALS[0]], script="unfollow")
    await run_as_worker(client, follow_ids[0], TaskStatus.COMPLETED)
    await run_as_worker(client, follow_ids[1], TaskStatus.FAILED)

    async def ids(**params):
        status, body = await call(client, "GET", "/api/v1/task", params=params)
        assert status == 200, body
        assert body["data"]["total"] == len(body["data"]["tasks"])
        return sorted(t["id"] for t in body["data"]["tasks"])

    assert await ids(status="2") == [follow_ids[0]]
    assert await ids(status="3") == [follow_ids[1]]
    assert await ids(serial=SERIALS[1]) == follow_ids[2:4]
    assert len(await ids(script_name="unfollow")) == 1
    assert len(await ids(source="api")) == 7 and await ids(source="ui") == []
    assert await ids(username="@worker_acc") == follow_ids[:2] == await ids(username="WORKER_ACC")
    assert await ids(serial=SERIALS[0], status="0", script_name="follow") == []


@pytest.mark.parametrize("params", [
    {"status": "4"}, {"status": "-1"}, {"status": "x"}, {"page": "0"}, {"page": "x"},
    {"page_size": "0"}, {"page_size": "101"}, {"page_size": "2.5"}, {"source": "cli"}, {"statuz": "1"},
])
async def test_list_out_of_range_is_an_error_not_clamped(client, params):
    status, body = await call(client, "GET", "/api/v1/task", params=params)
    assert (status, body["code"]) == (400, 40001)
    assert set(body["data"]["errors"]) == set(params)


async def test_get_and_not_found(client):
    [task_id] = await seed(client, serials=[SERIALS[0]])
    status, body = await get(client, task_id)
    assert status == 200 and body["data"]["id"] == task_id and body["data"]["serial"] == SERIALS[0]
    for missing in ("999", "abc", "1.5", "-1", "99999999999999999999999"):
        status, body = await get(client, missing)
        assert (status, body["code"], body["data"]) == (404, 40401, None), missing


async def test_running_task_shows_its_account_and_start(client):
    [task_id] = await seed(client, serials=[SERIALS[0]])
    await run_as_worker(client, task_id, TaskStatus.RUNNING)
    task = (await get(client, task_id))[1]["data"]
    assert (task["status"], task["status_text"], task["username"]) == (1, "running", "@worker_acc")
    assert task["started_at"] == "2026-11-24T14:30:40+01:00"


async def test_stop_pending_and_running(api):
    dispatcher = RecordingDispatcher()
    client = await api(dispatcher=dispatcher)
    pending, running, done = await seed(client, targets=("a1", "b1", "c1"), serials=[SERIALS[0]])
    await run_as_worker(client, running, TaskStatus.RUNNING)
    await run_as_worker(client, done, TaskStatus.COMPLETED)

    status, body = await call(client, "POST", f"/api/v1/task/{pending}/stop")
    assert status == 200
    assert body["data"]["status"] == 3 and body["data"]["error"]["reason"] == "stopped"
    assert dispatcher.cancelled == []  # nothing was running

    status, body = await call(client, "POST", f"/api/v1/task/{running}/stop")
    assert status == 200 and body["data"]["status_text"] == "failed"
    assert dispatcher.cancelled == [[running]]
    # The worker's late "completed" cannot overwrite the stop.
    assert not await client.app[keys.STORE].tasks.finish(running, TaskStatus.COMPLETED, 0.0)
    assert (await get(client, running))[1]["data"]["error"]["reason"] == "stopped"

    for task_id in (done, pending):
        status, body = await call(client, "POST", f"/api/v1/task/{task_id}/stop")
        assert (status, body["code"]) == (400, 40001)
    assert (await get(client, done))[1]["data"]["status"] == 2
    status, body = await call(client, "POST", "/api/v1/task/404/stop")
    assert (status, body["code"]) == (404, 40401)


async def test_retry_failed_only(api, clock):
    dispatcher = RecordingDispatcher()
    client = await api(dispatcher=dispatcher)
    failed, completed, pending = await seed(client, targets=("a1", "b1", "c1"), serials=[SERIALS[1]])
    await run_as_worker(client, failed, TaskStatus.FAILED)
    await run_as_worker(client, completed, TaskStatus.COMPLETED)
    dispatcher.woken.clear()
    clock.now += 3600

    status, body = await call(client, "POST", f"/api/v1/task/{failed}/retry")
    assert status == 200
    task = body["data"]
    assert (task["status"], task["retry_count"], task["error"], task["result"]) == (0, 1, None, None)
    assert task["scheduled_at"] == "2026-11-24T15:30:40+01:00"
    assert dispatcher.woken == [{SERIALS[1]}]
    for task_id in (completed, pending):
        status, body = await call(client, "POST", f"/api/v1/task/{task_id}/retry")
        assert (status, body["code"]) == (400, 40001)
    status, body = await call(client, "POST", "/api/v1/task/77/retry")
    assert (status, body["code"]) == (404, 40401)


async def test_retry_all(client):
    ids = await seed(client, targets=("a1", "b1", "c1"))
    for task_id in ids[:4]:
        await run_as_worker(client, task_id, TaskStatus.FAILED)
    status, body = await call(client, "POST", "/api/v1/task/retry-all")
    assert status == 200 and body["data"] == {"retried_count": 4}
    assert await stats(client) == {"total": 9, "pending": 9, "running": 0, "completed": 0, "failed": 0}
    assert (await call(client, "POST", "/api/v1/task/retry-all"))[1]["data"] == {"retried_count": 0}
    assert (await get(client, ids[0]))[1]["data"]["retry_count"] == 1


async def test_delete_one(api):
    dispatcher = RecordingDispatcher()
    client = await api(dispatcher=dispatcher)
    pending, running = await seed(client, targets=("a1", "b1"), serials=[SERIALS[0]])
    await run_as_worker(client, running, TaskStatus.RUNNING)
    assert (await call(client, "DELETE", f"/api/v1/task/{pending}"))[1]["data"] == {"deleted_count": 1}
    assert dispatcher.cancelled == []
    assert (await call(client, "DELETE", f"/api/v1/task/{running}"))[1]["data"] == {"deleted_count": 1}
    assert dispatcher.cancelled == [[running]]
    # A worker can no longer claim or finish a deleted task.
    assert not await client.app[keys.STORE].tasks.finish(running, TaskStatus.COMPLETED, 0.0)
    status, body = await call(client, "DELETE", f"/api/v1/task/{pending}")
    assert (status, body["code"]) == (404, 40401)
    assert (await stats(client))["total"] == 0


async def test_delete_batch(client):
    ids = await seed(client)
    status, body = await call(client, "DELETE", "/api/v1/task/batch", json={"task_ids": [ids[0], 999, ids[2], ids[0]]})
    assert status == 200 and body["data"] == {"deleted_count": 2, "not_found": [999]}
    assert (await stats(client))["total"] == 1


@pytest.mark.parametrize("body", [
    {}, {"task_ids": []}, {"task_ids": "1"}, {"task_ids": [True]}, {"task_ids": [1.5]},
    {"task_ids": list(range(1001))}, {"task_ids": [1], "extra": 1},
])
async def test_delete_batch_invalid(client, body):
    await seed(client)
    status, answer = await call(client, "DELETE", "/api/v1/task/batch", json=body)
    assert (status, answer["code"]) == (400, 40001)
    assert (await stats(client))["total"] == 3


async def test_fixed_paths_not_captured_by_task_id(client):
    for method, path in (("GET", "/api/v1/task/batch"), ("GET", "/api/v1/task/retry-all"),
                         ("POST", "/api/v1/task/stats")):
        status, body = await call(client, method, path)
        assert (status, body["code"]) == (405, 40001), path


async def test_stats_exact_through_transitions(client):
    """Polled after every step: a count kept from before a write would show here."""
    assert await stats(client) == {"total": 0, "pending": 0, "running": 0, "completed": 0, "failed": 0}
    ids = await seed(client, targets=("a1", "b1"))
    assert await stats(client) == {"total": 6, "pending": 6, "running": 0, "completed": 0, "failed": 0}
    await run_as_worker(client, ids[0], TaskStatus.RUNNING)
    assert await stats(client) == {"total": 6, "pending": 5, "running": 1, "completed": 0, "failed": 0}
    await run_as_worker(client, ids[1], TaskStatus.COMPLETED)
    assert await stats(client) == {"total": 6, "pending": 4, "running": 1, "completed": 1, "failed": 0}
    await run_as_worker(client, ids[2], TaskStatus.FAILED)
    assert await stats(client) == {"total": 6, "pending": 3, "running": 1, "completed": 1, "failed": 1}
    await call(client, "DELETE", f"/api/v1/task/{ids[3]}")
    assert await stats(client) == {"total": 5, "pending": 2, "running": 1, "completed": 1, "failed": 1}
    await call(client, "POST", f"/api/v1/task/{ids[2]}/retry")
    assert await stats(client) == {"total": 5, "pending": 3, "running": 1, "completed": 1, "failed": 0}
