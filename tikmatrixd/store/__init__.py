"""The task store: one aiosqlite connection; all SQL lives in this package."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from typing import TypeVar

import aiosqlite

from tikmatrixd.store.accounts import AccountQueries
from tikmatrixd.store.devices import DeviceQueries
from tikmatrixd.store.materials import MaterialQueries
from tikmatrixd.store.media import MediaQueries
from tikmatrixd.store.schema import migrate
from tikmatrixd.store.tasks import TaskQueries

T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be opened or migrated."""


class Store:
    """Queries grouped per table; each public call is one hop to the db thread."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self.tasks = TaskQueries(self.run)
        self.devices = DeviceQueries(self.run)
        self.accounts = AccountQueries(self.run)
        self.media = MediaQueries(self.run)
        self.materials = MaterialQueries(self.run)

    @classmethod
    async def open(cls, path: str) -> Store:
        if path != ":memory:":
            directory = os.path.dirname(os.path.abspath(path))  # noqa: ASYNC240 (start-up, once)
            try:
                os.makedirs(directory, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create {directory}: {error.strerror}") from None
        try:
            db = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open database {path}: {error}") from None
        store = cls(db)
        try:
            await store.run(_prepare)
        except (sqlite3.Error, RuntimeError) as error:
            await db.close()
            raise StoreError(f"cannot use database {path}: {error}") from None
        return store

    async def close(self) -> None:
        await self._db.close()

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run fn with the raw connection on aiosqlite's own thread.

        aiosqlite costs a thread hop per awaited call; running a whole
        request's SQL as one function keeps every request to one hop.
        `_execute` is how aiosqlite itself queues every call.
        """
        result: T = await self._db._execute(lambda: fn(self._db._conn))  # type: ignore[no-untyped-call]
        return result


def _prepare(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    migrate(conn)
