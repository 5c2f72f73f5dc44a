"""JSON out of the daemon: orjson, with the standard library for what orjson refuses.

orjson writes UTF-8 as is (like ``ensure_ascii=False``) and compact, several
times faster than ``json.dumps``; it refuses integers past 64 bits, which a
client may have stored in a ``script_config``, so those values go through
the standard library instead: never a 500 for a value we accepted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps_bytes(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """``default`` turns what JSON has no type for into something it has (log lines: its repr)."""
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, default=default, ensure_ascii=False, separators=(",", ":")).encode()


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    return dumps_bytes(value, default).decode()
