"""The task store: one SQLite connection on its own thread; all SQL lives in this package.

Every request runs its SQL as one function on that thread (:meth:`Store.run`):
one thread hop per request, and a transaction's statements can never
interleave with another request's, since one thread runs them in turn.
A read that is bounded (a row by its key, the per-status counts) runs on
the event loop itself, on a second, read-only connection (:meth:`Store.read`):
WAL lets it read while the thread writes, and it costs less than the hop.
aiosqlite was the first choice, but it has no public call that runs a
function on its thread (each ``execute`` is its own hop), so the store owns
its thread, which is all aiosqlite adds to the standard library here.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from tikmatrixd.store.accounts import AccountQueries
from tikmatrixd.store.devices import DeviceQueries
from tikmatrixd.store.events import EventQueries
from tikmatrixd.store.materials import MaterialQueries
from tikmatrixd.store.media import MediaQueries
from tikmatrixd.store.schema import migrate
from tikmatrixd.store.sql import Outcome, run_grouped
from tikmatrixd.store.tasks import TaskQueries

T = TypeVar("T")
#: Most calls in one transaction: bounds how long the first of a group waits for its COMMIT.
MAX_GROUP = 64


class StoreError(Exception):
    """The database cannot be opened or migrated."""


class Store:
    """Queries grouped per table; each public call is one hop to the db thread."""

    def __init__(self, thread: ThreadPoolExecutor, conn: sqlite3.Connection,
                 reader: sqlite3.Connection | None = None) -> None:
        self._thread = thread
        self._conn = conn
        self._reader = reader
        self._closed = False
        self._queue: deque[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]] = deque()
        self._queue_lock = threading.Lock()  # the loop appends, the store's thread takes
        self._draining = False  # a _drain is queued or running on the thread
        self._groups_answered = 0  # a kept read older than the last group may be stale
        self._kept: dict[str, tuple[int, Any]] = {}
        self.tasks = TaskQueries(self.run, self.read, self.read_kept)
        self.devices = DeviceQueries(self.run)
        self.accounts = AccountQueries(self.run)
        self.media = MediaQueries(self.run)
        self.materials = MaterialQueries(self.run)
        self.events = EventQueries(self.run)

    @classmethod
    async def open(cls, path: str) -> Store:
        if path != ":memory:":
            directory = os.path.dirname(os.path.abspath(path))  # noqa: ASYNC240 (start-up, once)
            try:
                os.makedirs(directory, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create {directory}: {error.strerror}") from None
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        loop = asyncio.get_running_loop()
        try:
            conn = await loop.run_in_executor(thread, _connect, path)
        except sqlite3.Error as error:
            thread.shutdown()
            raise StoreError(f"cannot open database {path}: {error}") from None
        store = cls(thread, conn)
        try:
            await loop.run_in_executor(thread, _prepare, conn)  # (outside any group: it migrates)
            if path != ":memory:":  # (a second connection to :memory: would be another database)
                store._reader = _connect_reader(path)
        except (sqlite3.Error, RuntimeError) as error:
            await store.close()
            raise StoreError(f"cannot use database {path}: {error}") from None
        return store

    async def close(self) -> None:
        """Close the connection after every call already queued has run (once; again is a no-op)."""
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.close()
        await asyncio.get_running_loop().run_in_executor(self._thread, self._conn.close)
        self._thread.shutdown()

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run fn with the connection on the store's thread: one hop, whatever fn does.
        Calls that queue while the thread is busy run next, together, in one transaction
        (group commit, :func:`sql.run_grouped`): under load a write costs its statements,
        not a COMMIT each."""
        if self._closed:
            raise RuntimeError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._queue_lock:
            self._queue.append((fn, future))
            idle, self._draining = not self._draining, True
        if idle:
            loop.run_in_executor(self._thread, self._drain, loop)
        return await future

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the store's thread: run the queued calls, group by group, until none is left."""
        while True:
            with self._queue_lock:
                if not self._queue:
                    self._draining = False
                    return
                group = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_GROUP))]
            outcomes = run_grouped(self._conn, [fn for fn, _ in group])
            try:
                loop.call_soon_threadsafe(self._answer, [future for _, future in group], outcomes)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                return

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a bounded read on the event loop, without a hop (on the thread if the reader is busy)."""
        if self._reader is not None and not self._closed:
            try:
                return fn(self._reader)
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
        return await self.run(fn)

    async def read_kept(self, name: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A bounded read (:meth:`read`) whose answer is kept under ``name`` until the store's thread
        has run anything more: dashboards and scrapers poll counts far more often than they change.
        Only for tables no other process writes (the daemon is the tasks' one writer)."""
        groups = self._groups_answered  # (taken before the read: a write landing during it makes it stale)
        kept = self._kept.get(name)
        if kept is not None and kept[0] == groups:
            return cast(T, kept[1])
        value = await self.read(fn)
        self._kept[name] = (groups, value)
        return value

    def _answer(self, futures: list[asyncio.Future[Any]], outcomes: list[Outcome]) -> None:
        """On the loop, after the group's COMMIT."""
        self._groups_answered += 1
        for future, (value, error) in zip(futures, outcomes, strict=True):
            if future.cancelled():
                continue
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)


def _connect_reader(path: str) -> sqlite3.Connection:
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("PRAGMA query_only = ON")
    reader.execute("PRAGMA busy_timeout = 0")  # never wait on the loop: busy means "use the thread"
    return reader


def _connect(path: str) -> sqlite3.Connection:
    # Autocommit mode: transactions are explicit (sql.transaction), never implicit.
    return sqlite3.connect(path, isolation_level=None)


def _prepare(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    # Statement journals in memory: a write to tasks fires the count triggers, so SQLite keeps a
    # journal to undo that one statement, and on disk it created a temporary file per statement
    # (40 µs of a 70 µs insert). They hold the pages one statement touched; nothing recovers from them.
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    migrate(conn)
