"""A database of the previous schema is brought up to date with nothing lost."""

from __future__ import annotations

import sqlite3

from tikmatrixd.core.devices import AccountFilter
from tikmatrixd.store import Store
from tikmatrixd.store.schema import MIGRATIONS


async def test_version_3_to_now_keeps_devices_accounts_and_never_reuses_an_account_id(tmp_path):
    path = str(tmp_path / "old.db")
    conn = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:3], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.execute("INSERT INTO devices (serial, platform, current_account) VALUES ('R1', 'instagram', 'ig_me')")
    conn.executemany("INSERT INTO accounts (id, username, created_at, daily_caps) VALUES (?, ?, 0, '{\"follow\": 5}')",
                     [(1, "kept"), (7, "gone")])
    conn.execute("INSERT INTO tasks (serial, account_id, script_name, script_config, source, scheduled_at,"
                 " created_at) VALUES ('R1', 7, 'follow', '{}', 'api', 0, 0)")
    conn.execute("DELETE FROM accounts WHERE id = 7")
    conn.commit()
    conn.close()

    store = await Store.open(path)
    try:
        [device] = await store.devices.list()
        assert device.current_accounts == {"instagram": "ig_me"} and device.current_account == "ig_me"
        [kept], _ = await store.accounts.list(AccountFilter(), 1, 10)
        assert (kept.id, kept.username, kept.daily_caps) == (1, "kept", {"follow": 5})
        created = await store.accounts.create({"username": "new", "platform": "tiktok", "packagename": "",
                                               "email": "", "logined": 1, "status": 0, "tags": [],
                                               "daily_caps": {}}, 0)
        assert created.id == 8  # past the id a task still names
    finally:
        await store.close()


async def test_version_6_to_now_counts_existing_tasks_per_status_and_keeps_counting(tmp_path):
    path = str(tmp_path / "old.db")
    conn = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:6], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.executemany("INSERT INTO tasks (serial, username, script_name, script_config, status, source, scheduled_at,"
                     " created_at) VALUES (?, ?, 'follow', '{}', ?, 'api', 0, 0)",
                     [("R1", "a", 0), ("R1", "b", 2), ("R2", "a", 2), ("R2", None, 3)])
    conn.commit()
    conn.close()

    store = await Store.open(path)
    try:
        stats = await store.tasks.stats()
        assert (stats.total, stats.pending, stats.completed, stats.failed) == (4, 1, 2, 1)
        await store.run(lambda c: c.execute("UPDATE tasks SET status = 2 WHERE status = 0"))
        await store.run(lambda c: c.execute("DELETE FROM tasks WHERE status = 3"))
        stats = await store.tasks.stats()
        assert (stats.total, stats.pending, stats.completed, stats.failed) == (3, 0, 3, 0)
    finally:
        await store.close()
