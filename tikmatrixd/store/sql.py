"""Small helpers shared by the query modules."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import orjson

from tikmatrixd import jsontext

T = TypeVar("T")


class Runner(Protocol):
    """Runs a function with the connection on the store's thread (Store.run)."""

    def __call__(self, fn: Callable[[sqlite3.Connection], T]) -> Awaitable[T]: ...


class KeptReader(Protocol):
    """Runs a bounded read, or answers what it read last while nothing was written since (Store.read_kept)."""

    def __call__(self, name: str, fn: Callable[[sqlite3.Connection], T]) -> Awaitable[T]: ...


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception. Inside a transaction already
    (calls grouped by :func:`run_grouped`), a savepoint: undone alone, committed with the group."""
    nested = conn.in_transaction
    conn.execute("SAVEPOINT own" if nested else "BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # (an I/O or disk-full error may have rolled it all back already)
            conn.execute("ROLLBACK TO own" if nested else "ROLLBACK")
            if nested:
                conn.execute("RELEASE own")
        raise
    conn.execute("RELEASE own" if nested else "COMMIT")


#: What one call returned, or what it raised.
Outcome = tuple[Any, BaseException | None]


def run_grouped(conn: sqlite3.Connection, fns: Sequence[Callable[[sqlite3.Connection], Any]]) -> list[Outcome]:
    """Run calls that queued together in one transaction: one COMMIT (the costly part of a small
    write) for the group. Each call's own :func:`transaction` becomes a savepoint, so a call that
    fails undoes only itself. Nothing is answered before the COMMIT, so no caller is ever told of
    a write that did not land: when the whole transaction is lost (an I/O error, a full disk),
    every call in it fails."""
    if len(fns) == 1:
        return [_outcome(fns[0], conn)]
    outcomes: list[Outcome] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        for fn in fns:
            outcomes.append(_outcome(fn, conn))
            if not conn.in_transaction:
                raise sqlite3.OperationalError("the transaction was rolled back by an error")
        conn.execute("COMMIT")
    except sqlite3.Error as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        lost = sqlite3.OperationalError(f"not saved: the group it was written with failed ({error})")
        return [(None, lost)] * len(fns)
    return outcomes


def _outcome(fn: Callable[[sqlite3.Connection], Any], conn: sqlite3.Connection) -> Outcome:
    try:
        return fn(conn), None
    except BaseException as error:  # handed to the caller, as run_in_executor would
        return None, error


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
