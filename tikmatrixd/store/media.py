"""Queries on posted_media: what each account has already posted."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from tikmatrixd.store.sql import Runner, transaction


class MediaQueries:
    def __init__(self, run: Runner) -> None:
        self._run = run

    async def posted(self, account: str) -> set[str]:
        def posted(conn: sqlite3.Connection) -> set[str]:
            return {row[0] for row in conn.execute("SELECT path FROM posted_media WHERE account = ?", (account,))}

        return await self._run(posted)

    async def record(self, account: str, paths: Iterable[str], task_id: int, now: float) -> None:
        """Posted by ``account``: by path, and by content when the file is in the library."""
        rows = [(account, path, task_id, now, path) for path in paths]

        def record(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.executemany(
                    "INSERT OR REPLACE INTO posted_media (account, path, task_id, posted_at, sha256)"
                    " VALUES (?, ?, ?, ?, (SELECT sha256 FROM materials WHERE path = ?))", rows)

        await self._run(record)
