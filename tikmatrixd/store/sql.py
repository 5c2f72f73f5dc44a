"""Small helpers shared by the query modules."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeVar

import orjson

from tikmatrixd import jsontext

T = TypeVar("T")


class Runner(Protocol):
    """Runs a function with the connection on the store's thread (Store.run)."""

    def __call__(self, fn: Callable[[sqlite3.Connection], T]) -> Awaitable[T]: ...


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def dumps(value: Any) -> str | None:
    return None if value is None else jsontext.dumps(value)


def loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN or Infinity, which json.dumps wrote before orjson
        return json.loads(text)


def placeholders(count: int) -> str:
    return ",".join("?" * count)
