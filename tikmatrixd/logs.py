"""structlog set-up: console renderer on a terminal, JSON otherwise."""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from collections.abc import MutableMapping
from typing import Any

import structlog

from tikmatrixd import jsontext

#: The API request being answered, added to every log line written while it is (envelope middleware).
#: One ContextVar set and reset per request: structlog's bind_contextvars cost several times more.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def add_request_id(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


_stamped_second: tuple[int, str] = (-1, "")


def add_timestamp(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """``2026-11-30T07:39:33.805062Z``, as structlog's ``TimeStamper(fmt="iso", utc=True)`` writes it,
    with the date and time formatted once a second rather than a datetime built per line."""
    global _stamped_second
    now = time.time()
    second = int(now)
    stamped, text = _stamped_second
    if stamped != second:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _stamped_second = (second, text)
    event["timestamp"] = f"{text}.{int((now - second) * 1_000_000):06d}Z"
    return event


def configure(fmt: str = "auto", level: str = "info") -> None:
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    # JSON lines go out as bytes (orjson's own output), without a text layer between.
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer() if fmt == "console" else structlog.processors.JSONRenderer(jsontext.dumps_bytes)
    )
    factory = structlog.PrintLoggerFactory(sys.stderr) if fmt == "console" else structlog.BytesLoggerFactory(
        sys.stderr.buffer)
    structlog.configure(
        processors=[
            add_request_id,  # (nothing binds structlog's contextvars: no merge_contextvars to run)
            structlog.processors.add_log_level,
            add_timestamp,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )
