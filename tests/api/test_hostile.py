"""Hostile input: every family answers its documented 4xx in the envelope and changes nothing.

Depth, size, Unicode and ids are tried in every place a request carries them:
bodies of every write, query strings of every list, ids of every path. The
state afterwards (tasks, accounts) is compared with the state before.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import SERIALS
from tests.helpers import call

DEEP = 10_000
WRITES = [  # (method, path, a valid body to spoil)
    ("POST", "/api/v1/task", {"serials": [SERIALS[0]], "script_name": "follow",
                              "script_config": {"target_users": ["nasa"]}}),
    ("POST", "/api/v1/task", {"serials": [SERIALS[0]], "script_name": "post",
                              "script_config": {"captions": "hello", "material_path": "clips"}}),
    ("POST", "/api/v1/accounts", {"username": "shop_a", "platform": "tiktok", "device": SERIALS[0],
                                  "packagename": "com.zhiliaoapp.musically", "tags": ["a"]}),
    ("PATCH", "/api/v1/accounts/1", {"status": 1, "tags": "x"}),
    ("DELETE", "/api/v1/task/batch", {"task_ids": [1, 2]}),
    ("POST", "/api/v1/accounts/match", {"serials": [SERIALS[0]]}),
]


def _strings(value, spoil):
    """Every string of a body (values and keys) replaced, one at a time, by ``spoil(string)``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield {**{k: v for k, v in value.items() if k != key}, spoil(key): item}
            for variant in _strings(item, spoil):
                yield {**value, key: variant}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for variant in _strings(item, spoil):
                yield [*value[:i], variant, *value[i + 1:]]
    elif isinstance(value, str):
        yield spoil(value)


def _numbers(value, number):
    """The body with each value (and a new key) replaced by ``number`` in turn."""
    if isinstance(value, dict):
        yield {**value, "extra": number}
        for key, item in value.items():
            yield {**value, key: number}
            for variant in _numbers(item, number):
                yield {**value, key: variant}
    elif isinstance(value, list):
        yield [*value, number]
        for i, item in enumerate(value):
            for variant in _numbers(item, number):
                yield [*value[:i], variant, *value[i + 1:]]


def _raw(value) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


def bodies():
    """(id, method, path, raw body) for every family on every write."""
    for method, path, body in WRITES:
        name = f"{method} {path}"
        yield f"{name} nested {DEEP}", method, path, b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}"
        yield f"{name} nested {DEEP} objects", method, path, b'{"a": ' + b'{"b": ' * DEEP + b"1" + b"}" * DEEP + b"}"
        nested = 1
        for _ in range(40):
            nested = [nested]
        yield f"{name} nested 40 in a field", method, path, _raw({**body, "script_config": nested})
        for i, variant in enumerate(_strings(body, lambda s: s + "\ud800")):
            yield f"{name} lone surrogate #{i}", method, path, _raw(variant)
        for i, variant in enumerate(_strings(body, lambda s: s + "\x00")):
            yield f"{name} NUL #{i}", method, path, _raw(variant)
        for i, variant in enumerate(_numbers(body, 0)):
            raw = _raw(variant).replace(b": 0", b": " + b"9" * 5000, 1).replace(b", 0]", b", " + b"9" * 5000 + b"]")
            yield f"{name} 5000-digit integer #{i}", method, path, raw
        for i, variant in enumerate(_numbers(body, 2**63)):
            yield f"{name} 2**63 #{i}", method, path, _raw(variant)
        for i, variant in enumerate(_numbers(body, -(2**63) - 1)):
            yield f"{name} -2**63-1 #{i}", method, path, _raw(variant)
        yield f"{name} 1e999", method, path, _raw({**body, "extra": 0}).replace(b'"extra": 0', b'"extra": 1e999')


BODIES = list(bodies())
PATHS = [  # (path, expected HTTP status, expected code)
    *[(f"/api/v1/task/{i}", 404, 40401) for i in ("\u0663", "\u00b3", "\uff11", "99999999999999999999",
                                                   "9" * 5000, "9223372036854775808", "-1", "1e3", "0x1")],
    *[(f"/api/v1/accounts/{i}", 404, 40401) for i in ("\u00b3", "\u0663", "9" * 5000, "9223372036854775808",
                                                       "-1", "%00", "1%00")],
    *[(f"/api/v1/task/{i}/stop", 404, 40401) for i in ("\u0663", "9" * 30)],
    *[(f"/api/v1/devices/{s}", 404, 40401) for s in ("%ED%A0%80", "a%00b", "x" * 5000, "%F0%9F%98%80")],
]
QUERIES = [f"{path}?{query}" for path in ("/api/v1/task", "/api/v1/accounts") for query in (
    "page=1000000000000000000", "page=" + "9" * 30, "page=" + "9" * 5000, "page=0", "page=-1", "page=%00",
    "page_size=" + "9" * 5000, "page_size=101", "page=1.5", "page=%ED%A0%80", "status=%00", "unknown=1",
    "status=" + "9" * 5000)] + ["/api/v1/events?kinds=%00", "/api/v1/events?serial=" + "x%00"]


async def _state(client):
    tasks = (await call(client, "GET", "/api/v1/task/stats"))[1]["data"]
    accounts = (await call(client, "GET", "/api/v1/accounts"))[1]["data"]
    return tasks, accounts


@pytest.mark.parametrize(("method", "path", "raw"), [b[1:] for b in BODIES], ids=[b[0] for b in BODIES])
async def test_hostile_bodies(client, method, path, raw):
    before = await _state(client)
    status, body = await call(client, method, path, data=raw, headers={"Content-Type": "application/json"})
    assert 400 <= status < 500 and body["code"] in (40001, 40401), (status, body)
    assert await _state(client) == before


@pytest.mark.parametrize(("path", "status", "code"), PATHS, ids=[p[0][:60] for p in PATHS])
async def test_hostile_path_ids(client, path, status, code):
    await call(client, "POST", "/api/v1/task", json={"serials": [SERIALS[0]], "script_name": "follow",
                                                      "script_config": {"target_users": ["a", "b", "c"]}})
    before = await _state(client)
    answer = await call(client, "GET" if "/stop" not in path else "POST", path)
    assert answer[0] == status and answer[1]["code"] == code, answer
    assert await _state(client) == before


@pytest.mark.parametrize("path", QUERIES, ids=[q[:70] for q in QUERIES])
async def test_hostile_queries(client, path):
    status, body = await call(client, "GET", path)
    assert (status, body["code"]) == (400, 40001), (status, body)

