"""Queries on the devices table: every serial ever seen or configured."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from tikmatrixd.core.devices import Device
from tikmatrixd.core.errors import NotFound
from tikmatrixd.events import Event, Kind
from tikmatrixd.store.events import record
from tikmatrixd.store.sql import Runner, transaction

_COLUMNS = "serial, name, model, platform, state, adb_server, apps, current_accounts"


def _device(row: Sequence[Any]) -> Device:
    return Device(
        serial=row[0], name=row[1], model=row[2], platform=row[3], state=row[4],
        adb_server=row[5], apps=json.loads(row[6]), current_accounts=json.loads(row[7]),
    )


class DeviceQueries:
    def __init__(self, run: Runner) -> None:
        self._run = run

    async def declare(self, devices: Iterable[Device]) -> None:
        """Record the devices of the config file (name and platform win over ours)."""
        rows = [(d.serial, d.name, d.platform) for d in devices]

        def declare(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.executemany(
                    "INSERT INTO devices (serial, name, platform, configured) VALUES (?, ?, ?, 1)"
                    " ON CONFLICT (serial) DO UPDATE SET name = excluded.name,"
                    " platform = excluded.platform, configured = 1",
                    rows,
                )

        await self._run(declare)

    async def observe(self, server: str, states: dict[str, tuple[str, str]], now: float) -> list[Event]:
        """Record what an adb server reports: serial → (state, model); an event per device, by serial."""
        rows = [(serial, state, model, server, now) for serial, (state, model) in states.items()]

        def observe(conn: sqlite3.Connection) -> list[Event]:
            with transaction(conn):
                conn.executemany(
                    "INSERT INTO devices (serial, state, model, adb_server, first_seen, last_seen)"
                    " VALUES (?, ?, ?, ?, ?, ?5) ON CONFLICT (serial) DO UPDATE SET state = excluded.state,"
                    " model = coalesce(nullif(excluded.model, ''), model), adb_server = excluded.adb_server,"
                    " first_seen = coalesce(first_seen, excluded.first_seen), last_seen = excluded.last_seen",
                    rows,
                )
                return [record(conn, Kind.DEVICE, now, serial=serial, state=state, adb_server=server)
                        for serial, (state, _) in sorted(states.items())]

        return await self._run(observe)

    async def health(self, serial: str, healthy: bool, now: float) -> list[Event]:
        """A device's worker found it (un)healthy: the change goes to the event log."""

        def health(conn: sqlite3.Connection) -> list[Event]:
            with transaction(conn):
                return [record(conn, Kind.DEVICE, now, serial=serial, healthy=healthy)]

        return await self._run(health)

    async def set_apps(self, serial: str, apps: dict[str, str]) -> None:
        def set_apps(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE devices SET apps = ? WHERE serial = ?", (json.dumps(apps), serial))

        await self._run(set_apps)

    async def set_current_account(self, serial: str, platform: str, username: str) -> None:
        """The app's active account on the phone (each app has its own)."""

        def set_current(conn: sqlite3.Connection) -> None:
            set_current_account(conn, serial, platform, username)

        await self._run(set_current)

    async def forget_states(self) -> None:
        """At start-up: nothing is known to be connected until an adb server says so."""

        def forget(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE devices SET state = 'disconnected' WHERE state != 'disconnected'")

        await self._run(forget)

    async def list(self) -> list[Device]:
        def list_devices(conn: sqlite3.Connection) -> list[Device]:
            return [_device(row) for row in conn.execute(f"SELECT {_COLUMNS} FROM devices ORDER BY serial")]

        return await self._run(list_devices)

    async def get(self, serial: str) -> Device:
        def get(conn: sqlite3.Connection) -> Device:
            row = conn.execute(f"SELECT {_COLUMNS} FROM devices WHERE serial = ?", (serial,)).fetchone()
            if row is None:
                raise NotFound(f"device {serial} not found")
            return _device(row)

        return await self._run(get)


def set_current_account(conn: sqlite3.Connection, serial: str, platform: str, username: str) -> None:
    conn.execute("UPDATE devices SET current_accounts = json_set(current_accounts, '$.' || ?, ?) WHERE serial = ?",
                 (platform, username, serial))
