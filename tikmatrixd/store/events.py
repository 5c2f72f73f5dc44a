"""The event log: every task, account and device change, appended in the transaction that makes it.

Ids increase and are never reused (AUTOINCREMENT), so a client that saw id N
resumes with everything after N, across reconnects and restarts, as long as
the log still holds it; old events are pruned in small batches.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from tikmatrixd.events import Event, Kind
from tikmatrixd.store.sql import Runner, dumps, loads, placeholders, transaction

#: Rows deleted per store call while pruning, so other requests interleave.
PRUNE_BATCH = 5000


def record(conn: sqlite3.Connection, kind: Kind, at: float, **data: Any) -> Event:
    """Append one event (inside the caller's transaction) and return it with its id."""
    # lastrowid, not RETURNING: every task change appends an event, and RETURNING doubled its cost.
    event_id = conn.execute("INSERT INTO events (at, kind, serial, data) VALUES (?, ?, ?, ?)",
                            (at, kind.value, data.get("serial"), dumps(data))).lastrowid
    assert event_id is not None
    return Event(kind, data, at, event_id)


def _event(row: Sequence[Any]) -> Event:
    return Event(Kind(row[1]), loads(row[3]), row[2], row[0])


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    #: The oldest event the log still holds (the next id when it holds none): every event
    #: before it was pruned.
    first_id: int
    #: The newest event id (0 when none yet).
    last_id: int


class EventQueries:
    def __init__(self, run: Runner) -> None:
        self._run = run

    async def after(self, after_id: int, limit: int, kinds: Collection[str] | None = None,
                    serial: str | None = None) -> EventPage:
        """Up to ``limit`` events with an id above ``after_id``, oldest first, filtered."""
        clauses: list[str] = ["id > ?"]
        params: list[object] = [after_id]
        if kinds is not None:
            clauses.append(f"kind IN ({placeholders(len(kinds))})")
            params += sorted(kinds)
        if serial is not None:
            clauses.append("serial = ?")
            params.append(serial)

        def after(conn: sqlite3.Connection) -> EventPage:
            rows = conn.execute(f"SELECT id, kind, at, data FROM events WHERE {' AND '.join(clauses)}"
                                " ORDER BY id LIMIT ?", (*params, limit)).fetchall()
            last = conn.execute("SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'events'").fetchone()[0]
            first = conn.execute("SELECT min(id) FROM events").fetchone()[0]
            return EventPage([_event(row) for row in rows], last + 1 if first is None else first, last)

        return await self._run(after)

    async def recent(self, *, task_id: int | None = None, serial: str | None = None, limit: int = 50) -> list[Event]:
        """The newest events of one task (its ``task`` events) or of one device, newest first."""
        if task_id is not None:
            sql = ("SELECT id, kind, at, data FROM events WHERE kind = 'task' AND json_extract(data, '$.id') = ?"
                   " ORDER BY id DESC LIMIT ?")
            params: tuple[object, ...] = (task_id, limit)
        else:
            sql = "SELECT id, kind, at, data FROM events WHERE serial = ? ORDER BY id DESC LIMIT ?"
            params = (serial, limit)
        return await self._run(lambda conn: [_event(row) for row in conn.execute(sql, params).fetchall()])

    async def cursors(self, urls: Sequence[str]) -> dict[str, int]:
        """The last event delivered to each webhook endpoint; a new endpoint starts from now."""

        def cursors(conn: sqlite3.Connection) -> dict[str, int]:
            with transaction(conn):
                conn.executemany(
                    "INSERT INTO webhook_cursors (url, delivered_id, updated_at) SELECT ?, coalesce("
                    "(SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0), 0 WHERE true"
                    " ON CONFLICT (url) DO NOTHING", [(url,) for url in urls])
                rows = conn.execute(f"SELECT url, delivered_id FROM webhook_cursors WHERE url IN"
                                    f" ({placeholders(len(urls))})", list(urls)).fetchall()
            return dict(rows)

        return await self._run(cursors)

    async def set_cursor(self, url: str, delivered_id: int, now: float) -> None:
        await self._run(lambda conn: conn.execute(
            "UPDATE webhook_cursors SET delivered_id = ?, updated_at = ? WHERE url = ?", (delivered_id, now, url)))

    async def prune(self, before: float, keep: int) -> int:
        """Delete up to PRUNE_BATCH of the oldest events that are older than ``before`` or beyond
        the newest ``keep``; returns how many went (PRUNE_BATCH: call again)."""

        def prune(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                return conn.execute(
                    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ?"
                    " OR id <= (SELECT coalesce(max(id), 0) FROM events) - ? ORDER BY id LIMIT ?)",
                    (before, keep, PRUNE_BATCH)).rowcount

        return await self._run(prune)
