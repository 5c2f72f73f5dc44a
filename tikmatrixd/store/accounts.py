"""Queries on the accounts table (never a password: we do not store one)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from tikmatrixd.core.devices import Account, AccountFilter
from tikmatrixd.core.errors import InvalidParameters, NotFound
from tikmatrixd.events import Event, Kind
from tikmatrixd.store.devices import set_current_account
from tikmatrixd.store.events import record
from tikmatrixd.store.sql import Runner, transaction

_SELECT = (
    "SELECT a.id, a.username, a.platform, a.packagename, a.email, a.device, a.logined, a.status,"
    " a.tags, a.created_at, coalesce(d.state = 'online', 0), coalesce(d.name, ''), a.daily_caps, a.cooldown_until"
    " FROM accounts a LEFT JOIN devices d ON d.serial = a.device"
)
EDITABLE = ("username", "platform", "packagename", "email", "device", "logined", "status", "tags", "daily_caps")


def _account(row: Sequence[Any]) -> Account:
    return Account(
        id=row[0], username=row[1], platform=row[2], packagename=row[3], email=row[4], device=row[5],
        logined=row[6], status=row[7], tags=[t for t in row[8].split(",") if t], created_at=row[9],
        device_online=bool(row[10]), device_name=row[11], daily_caps=json.loads(row[12]), cooldown_until=row[13],
    )


def _select_one(conn: sqlite3.Connection, account_id: int) -> Account:
    row = conn.execute(f"{_SELECT} WHERE a.id = ?", (account_id,)).fetchone()
    if row is None:
        raise NotFound(f"account {account_id} not found")
    return _account(row)


def _check(conn: sqlite3.Connection, values: dict[str, Any], account_id: int | None) -> None:
    """The device must be known and (platform, username) unique."""
    errors: dict[str, list[str]] = {}
    device = values.get("device")
    if device is not None and conn.execute("SELECT 1 FROM devices WHERE serial = ?", (device,)).fetchone() is None:
        errors["device"] = [f"unknown device serial: {device}"]
    clash = conn.execute(
        "SELECT id FROM accounts WHERE platform = ? AND username = ? AND id IS NOT ?",
        (values["platform"], values["username"], account_id),
    ).fetchone()
    if clash:
        errors["username"] = [f"@{values['username']} is already registered on {values['platform']} (id {clash[0]})"]
    if errors:
        raise InvalidParameters.fields(errors)


def _row_values(values: dict[str, Any]) -> dict[str, Any]:
    encode = {"tags": ",".join, "daily_caps": json.dumps}
    return {key: encode[key](value) if key in encode else value for key, value in values.items()}


class AccountQueries:
    def __init__(self, run: Runner) -> None:
        self._run = run

    async def create(self, values: dict[str, Any], now: float) -> Account:
        def create(conn: sqlite3.Connection) -> Account:
            with transaction(conn):
                _check(conn, values, None)
                row = _row_values(values)
                cursor = conn.execute(
                    f"INSERT INTO accounts ({', '.join(row)}, created_at) VALUES ({', '.join('?' * len(row))}, ?)",
                    (*row.values(), now),
                )
                assert cursor.lastrowid is not None
                return _select_one(conn, cursor.lastrowid)

        return await self._run(create)

    async def get(self, account_id: int) -> Account:
        return await self._run(lambda conn: _select_one(conn, account_id))

    async def update(self, account_id: int, changes: dict[str, Any]) -> Account:
        def update(conn: sqlite3.Connection) -> Account:
            with transaction(conn):
                current = _select_one(conn, account_id)
                merged = {key: getattr(current, key) for key in EDITABLE} | changes
                _check(conn, merged, account_id)
                if changes:
                    row = _row_values(changes)
                    assignments = ", ".join(f"{key} = ?" for key in row)
                    conn.execute(f"UPDATE accounts SET {assignments} WHERE id = ?", (*row.values(), account_id))
                return _select_one(conn, account_id)

        return await self._run(update)

    async def discover(self, serial: str, found: dict[str, Any], now: float) -> None:
        """Record the accounts a phone's app has logged in (and mark the others on it logged out)."""
        platform, package, usernames = found["platform"], found["package"], found["accounts"]

        def discover(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    f"UPDATE accounts SET logined = 0 WHERE device = ? AND platform = ?"
                    f" AND username NOT IN ({','.join('?' * len(usernames))})", (serial, platform, *usernames))
                conn.executemany(
                    "INSERT INTO accounts (username, platform, packagename, device, logined, created_at)"
                    " VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (platform, username) DO UPDATE SET"
                    " device = excluded.device, packagename = excluded.packagename, logined = 1",
                    [(name, platform, package, serial, now) for name in usernames])
                set_current_account(conn, serial, platform, found["current"])

        await self._run(discover)

    async def upsert_many(self, accounts: list[dict[str, Any]], now: float) -> int:
        """Import: insert or update by (platform, username), declaring unknown devices; all or nothing."""

        def upsert(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                for values in accounts:
                    if values.get("device"):
                        conn.execute("INSERT OR IGNORE INTO devices (serial, configured) VALUES (?, 1)",
                                     (values["device"],))
                    row = _row_values(values)
                    updates = ", ".join(f"{key} = excluded.{key}" for key in row if key not in ("platform", "username"))
                    conn.execute(
                        f"INSERT INTO accounts ({', '.join(row)}, created_at) VALUES ({', '.join('?' * len(row))}, ?)"
                        f" ON CONFLICT (platform, username) DO UPDATE SET {updates}", (*row.values(), now))
            return len(accounts)

        return await self._run(upsert)

    async def cool_down(self, account_id: int, until: float, now: float) -> list[Event]:
        """The account rests until ``until`` (or longer, if it already does)."""

        def cool_down(conn: sqlite3.Connection) -> list[Event]:
            with transaction(conn):
                row = conn.execute("UPDATE accounts SET cooldown_until = max(coalesce(cooldown_until, 0), ?)"
                                   " WHERE id = ? RETURNING username, cooldown_until", (until, account_id)).fetchone()
                if row is None:
                    return []
                return [record(conn, Kind.ACCOUNT, now, id=account_id, username=row[0], cooldown_until=row[1])]

        return await self._run(cool_down)

    async def delete(self, account_id: int) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,)).rowcount == 0:
                    raise NotFound(f"account {account_id} not found")

        await self._run(delete)

    async def done_since(self, since: float) -> dict[int, dict[str, int]]:
        """Completed tasks per account and script since ``since`` (what the daily caps count)."""

        def done(conn: sqlite3.Connection) -> dict[int, dict[str, int]]:
            counts: dict[int, dict[str, int]] = {}
            for account_id, script, count in conn.execute(
                    "SELECT account_id, script_name, count(*) FROM tasks WHERE status = 2 AND finished_at >= ?"
                    " AND account_id IS NOT NULL GROUP BY account_id, script_name", (since,)):
                counts.setdefault(account_id, {})[script] = count
            return counts

        return await self._run(done)

    async def list(self, where: AccountFilter, page: int, page_size: int) -> tuple[list[Account], int]:
        clauses, params = [], []
        for column, value in (
            ("a.platform", where.platform), ("a.device", where.device),
            ("a.logined", where.logined), ("a.status", where.status),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if where.tag is not None:
            clauses.append("(',' || a.tags || ',') LIKE ?")
            params.append(f"%,{where.tag},%")
        condition = f" WHERE {' AND '.join(clauses)}" if clauses else ""

        def list_accounts(conn: sqlite3.Connection) -> tuple[list[Account], int]:
            total = conn.execute(f"SELECT count(*) FROM accounts a{condition}", params).fetchone()[0]
            rows = conn.execute(
                f"{_SELECT}{condition} ORDER BY a.id LIMIT ? OFFSET ?", (*params, page_size, (page - 1) * page_size)
            ).fetchall()
            return [_account(row) for row in rows], total

        return await self._run(list_accounts)
