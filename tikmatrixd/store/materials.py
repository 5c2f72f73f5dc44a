"""Queries on materials: the library's files by content, and what each account posted of them."""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tikmatrixd.core.errors import InvalidParameters, NotFound
from tikmatrixd.store.sql import Runner, placeholders, transaction

_COLUMNS = "m.id, m.sha256, m.path, m.name, m.kind, m.size, m.mtime, m.tags, m.created_at"
# Who posted a material: the accounts of posted_media rows with its content.
_POSTED_BY = ("(SELECT json_group_array(DISTINCT account) FROM posted_media p WHERE p.sha256 = m.sha256),"
              " (SELECT count(*) FROM posted_media p WHERE p.sha256 = m.sha256)")


@dataclass(frozen=True)
class Material:
    id: int
    sha256: str
    path: str
    name: str
    kind: str
    size: int
    mtime: float
    tags: list[str]
    created_at: float
    posted_by: list[str] = field(default_factory=list)  # "platform:username" or "serial:<serial>"
    posted_count: int = 0


@dataclass(frozen=True)
class MaterialFilter:
    tag: str | None = None
    kind: str | None = None
    posted_by: str | None = None  # a username: posted by that account (any platform)
    unposted_for: str | None = None  # a username: never posted by that account


def _material(row: Sequence[Any]) -> Material:
    extra = {}
    if len(row) > 9:
        extra = {"posted_by": [a for a in json.loads(row[9]) if a], "posted_count": row[10]}
    return Material(id=row[0], sha256=row[1], path=row[2], name=row[3], kind=row[4], size=row[5], mtime=row[6],
                    tags=json.loads(row[7]), created_at=row[8], **extra)


#: A post of the material by the account named by the bound parameter, on any platform (posted_media's
#: accounts are "platform:username"; "serial:<serial>" marks a post made with no account).
_POSTED_BY_NAME = ("(SELECT 1 FROM posted_media p WHERE p.sha256 = m.sha256 AND p.account NOT LIKE 'serial:%'"
                   " AND substr(p.account, instr(p.account, ':') + 1) = ?)")


class MaterialQueries:
    def __init__(self, run: Runner) -> None:
        self._run = run

    async def all(self) -> dict[str, Material]:
        """Every indexed file by real path (for a sync with the disk)."""

        def select(conn: sqlite3.Connection) -> dict[str, Material]:
            return {row[2]: _material(row) for row in conn.execute(f"SELECT {_COLUMNS} FROM materials m")}

        return await self._run(select)

    async def sync(self, found: list[dict[str, Any]], gone: list[str], now: float) -> None:
        """The disk as it is: new or changed files (path, sha256, ...) in, vanished paths out."""

        def sync(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.executemany("DELETE FROM materials WHERE path = ?", [(p,) for p in gone])
                for item in found:
                    try:
                        _upsert(conn, item, now)
                    except sqlite3.IntegrityError:  # a changed file now has another material's content
                        conn.execute("DELETE FROM materials WHERE path = ?", (item["path"],))

        await self._run(sync)

    async def add(self, item: dict[str, Any], now: float) -> tuple[Material, bool]:
        """An upload: (its material, True) or, when that content is already there, (that one, False)
        with the new tags added."""

        def add(conn: sqlite3.Connection) -> tuple[Material, bool]:
            with transaction(conn):
                row = conn.execute(f"SELECT {_COLUMNS} FROM materials m WHERE sha256 = ?",
                                   (item["sha256"],)).fetchone()
                if row is not None:
                    tags = list(dict.fromkeys([*json.loads(row[7]), *item["tags"]]))
                    conn.execute("UPDATE materials SET tags = ? WHERE id = ?", (json.dumps(tags), row[0]))
                    return _select_one(conn, row[0]), False
                return _select_one(conn, _upsert(conn, item, now)), True

        return await self._run(add)

    async def total_size(self) -> int:
        def total(conn: sqlite3.Connection) -> int:
            return int(conn.execute("SELECT coalesce(sum(size), 0) FROM materials").fetchone()[0])

        return await self._run(total)

    async def get(self, material_id: int) -> Material:
        def get(conn: sqlite3.Connection) -> Material:
            return _select_one(conn, material_id)

        return await self._run(get)

    async def resolve(self, refs: list[str]) -> dict[str, str]:
        """``material:ID`` / ``sha256:HEX`` → the file's path; unknown ones are left out."""
        ids = [int(r.split(":", 1)[1]) for r in refs if r.startswith("material:")]
        hashes = [r.split(":", 1)[1].lower() for r in refs if r.startswith("sha256:")]

        def resolve(conn: sqlite3.Connection) -> dict[str, str]:
            found = {}
            for material_id, sha, path in conn.execute(
                    f"SELECT id, sha256, path FROM materials WHERE id IN ({placeholders(len(ids))})"
                    f" OR sha256 IN ({placeholders(len(hashes))})", (*ids, *hashes)):
                found[f"material:{material_id}"] = found[f"sha256:{sha}"] = path
            return found

        return await self._run(resolve)

    async def list(self, where: MaterialFilter, page: int, size: int) -> tuple[builtins.list[Material], int]:
        clauses, params = _filters(where)
        sql = f" FROM materials m WHERE {' AND '.join(clauses) or '1'}"

        def select(conn: sqlite3.Connection) -> tuple[builtins.list[Material], int]:
            total = conn.execute("SELECT count(*)" + sql, params).fetchone()[0]
            rows = conn.execute(f"SELECT {_COLUMNS}, {_POSTED_BY}{sql} ORDER BY m.id LIMIT ? OFFSET ?",
                                (*params, size, (page - 1) * size)).fetchall()
            return [_material(row) for row in rows], total

        return await self._run(select)

    async def candidates(self, kind: str, tags: builtins.list[str], account: str) -> builtins.list[Material]:
        """What a library post may pick: this kind, any of these tags (none = all), never content
        ``account`` posted (by content: a re-upload under another name is the same)."""
        clauses, params = ["m.kind = ?"], [kind]
        if tags:
            clauses.append(f"EXISTS (SELECT 1 FROM json_each(m.tags) t WHERE t.value IN ({placeholders(len(tags))}))")
            params += tags
        clauses.append("NOT EXISTS (SELECT 1 FROM posted_media p WHERE p.account = ? AND"
                       " (p.sha256 = m.sha256 OR p.path = m.path))")
        params.append(account)

        def select(conn: sqlite3.Connection) -> builtins.list[Material]:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM materials m WHERE {' AND '.join(clauses)}"
                                " ORDER BY m.name, m.id", params)
            return [_material(row) for row in rows]

        return await self._run(select)

    async def update_tags(self, material_id: int, tags: builtins.list[str]) -> Material:
        def update(conn: sqlite3.Connection) -> Material:
            with transaction(conn):
                if conn.execute("UPDATE materials SET tags = ? WHERE id = ?",
                                (json.dumps(tags), material_id)).rowcount == 0:
                    raise NotFound(f"material {material_id} not found")
                return _select_one(conn, material_id)

        return await self._run(update)

    async def delete(self, material_id: int) -> Material:
        """Gone from the index; refused while a task that has not ended names its file."""

        def delete(conn: sqlite3.Connection) -> Material:
            with transaction(conn):
                material = _select_one(conn, material_id)
                busy = conn.execute(
                    "SELECT t.id FROM tasks t, json_each(t.script_config, '$.material_list') f"
                    " WHERE t.status IN (0, 1) AND f.value = ? LIMIT 1", (material.path,)).fetchone()
                if busy is not None:
                    raise InvalidParameters(f"material {material_id} is used by task {busy[0]}, which has not "
                                            "ended: stop or delete that task first")
                conn.execute("DELETE FROM materials WHERE id = ?", (material_id,))
                return material

        return await self._run(delete)


def _upsert(conn: sqlite3.Connection, item: dict[str, Any], now: float) -> int:
    row = conn.execute(
        "INSERT INTO materials (sha256, path, name, kind, size, mtime, tags, created_at)"
        " VALUES (:sha256, :path, :name, :kind, :size, :mtime, :tags, :now)"
        " ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size,"
        " mtime = excluded.mtime, kind = excluded.kind"
        " ON CONFLICT (sha256) DO NOTHING RETURNING id",
        {**item, "tags": json.dumps(item["tags"]), "now": now}).fetchone()
    if row is not None:
        return int(row[0])
    return int(conn.execute("SELECT id FROM materials WHERE sha256 = ?", (item["sha256"],)).fetchone()[0])


def _select_one(conn: sqlite3.Connection, material_id: int) -> Material:
    row = conn.execute(f"SELECT {_COLUMNS}, {_POSTED_BY} FROM materials m WHERE m.id = ?",
                       (material_id,)).fetchone()
    if row is None:
        raise NotFound(f"material {material_id} not found")
    return _material(row)


def _filters(where: MaterialFilter) -> tuple[builtins.list[str], list[Any]]:
    clauses: builtins.list[str] = []
    params: builtins.list[Any] = []
    if where.kind:
        clauses.append("m.kind = ?")
        params.append(where.kind)
    if where.tag:
        clauses.append("EXISTS (SELECT 1 FROM json_each(m.tags) t WHERE t.value = ?)")
        params.append(where.tag)
    if where.posted_by:
        clauses.append(f"EXISTS {_POSTED_BY_NAME}")
        params.append(where.posted_by)
    if where.unposted_for:
        clauses.append(f"NOT EXISTS {_POSTED_BY_NAME}")
        params.append(where.unposted_for)
    return clauses, params
