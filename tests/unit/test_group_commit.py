"""Store calls that queue together share one transaction, and still fail alone."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from tikmatrixd.store import Store
from tikmatrixd.store.sql import run_grouped, transaction


@pytest.fixture
def conn():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (x INTEGER UNIQUE)")
    yield conn
    conn.close()


def insert(*values: int):
    def fn(conn: sqlite3.Connection) -> int:
        with transaction(conn):
            for value in values:
                conn.execute("INSERT INTO t VALUES (?)", (value,))
        return len(values)
    return fn


def rows(conn: sqlite3.Connection) -> list[int]:
    return [x for (x,) in conn.execute("SELECT x FROM t ORDER BY x")]


def test_a_failing_call_undoes_only_its_own_writes(conn):
    outcomes = run_grouped(conn, [insert(1), insert(2, 1), insert(3), lambda c: rows(c)])

    assert outcomes[0] == (1, None) and outcomes[2] == (1, None)
    assert outcomes[1][0] is None and isinstance(outcomes[1][1], sqlite3.IntegrityError)
    assert outcomes[3] == ([1, 3], None)  # the 2 of the failed call was undone with it
    assert rows(conn) == [1, 3] and not conn.in_transaction


def test_when_the_shared_transaction_is_lost_no_call_is_told_it_was_saved(conn):
    def io_error(conn: sqlite3.Connection) -> None:
        conn.execute("ROLLBACK")  # what SQLite does itself on a full disk or an I/O error

    outcomes = run_grouped(conn, [insert(1), io_error, insert(3)])

    assert all(value is None and "not saved" in str(error) for value, error in outcomes)
    assert rows(conn) == [] and not conn.in_transaction


def test_a_call_alone_runs_as_it_would_without_a_group(conn):
    [(in_transaction, error)] = run_grouped(conn, [lambda c: c.in_transaction])
    assert (in_transaction, error) == (False, None)


async def test_concurrent_store_calls_each_get_their_own_answer(tmp_path):
    store = await Store.open(str(tmp_path / "t.db"))
    try:
        await store.run(lambda c: c.execute("CREATE TABLE t (x INTEGER UNIQUE)"))
        grouped: list[bool] = []

        def write(value: int):
            def fn(conn: sqlite3.Connection) -> int:
                grouped.append(conn.in_transaction)
                with transaction(conn):
                    conn.execute("INSERT INTO t VALUES (?)", (value,))
                    if value % 3 == 0:
                        raise ValueError(f"refused {value}")
                return value
            return fn

        answers = await asyncio.gather(*(store.run(write(i)) for i in range(60)), return_exceptions=True)

        assert [a for a in answers if not isinstance(a, Exception)] == [i for i in range(60) if i % 3]
        assert [str(a) for a in answers if isinstance(a, Exception)] == [f"refused {i}" for i in range(0, 60, 3)]
        assert await store.run(rows) == [i for i in range(60) if i % 3]
        assert any(grouped)  # (some calls did share a transaction)
    finally:
        await store.close()
