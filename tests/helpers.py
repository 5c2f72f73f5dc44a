"""Small helpers for API tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient


async def call(client: TestClient, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, envelope) for one request."""
    response = await client.request(method, path, **kwargs)
    return response.status, await response.json()


# --- server-sent events -----------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """One SSE message: an event (id, event, data) or a comment."""

    event: str = ""
    data: Any = None
    id: int | None = None
    comment: str | None = None


async def next_frame(response: ClientResponse) -> Frame:
    """The next SSE message (an event or a comment); an empty Frame at the end of the stream."""
    fields: dict[str, str] = {}
    while (line := (await response.content.readline()).decode()) not in ("\n", "\r\n", ""):
        name, _, value = line.rstrip("\r\n").partition(":")
        fields[name] = value.removeprefix(" ")
    if "" in fields:
        return Frame(comment=fields[""])
    return Frame(event=fields.get("event", ""), data=json.loads(fields["data"]) if "data" in fields else None,
                 id=int(fields["id"]) if "id" in fields else None)


async def next_message(response: ClientResponse) -> Frame:
    """The next event or notice, skipping comments (pings)."""
    while (frame := await next_frame(response)).comment is not None:
        pass
    return frame


async def next_event(response: ClientResponse) -> tuple[str, dict[str, Any]]:
    """The next logged event's kind and data (each has an id)."""
    frame = await next_message(response)
    assert frame.id is not None and frame.event not in ("open", "gap"), frame
    return frame.event, frame.data


async def open_stream(client: TestClient, headers: dict[str, str] | None = None, **params: Any) -> ClientResponse:
    """A stream past its replay (if any) and its ``open`` notice: what follows is live."""
    response = await client.get("/api/v1/events", params=params, headers=headers or {})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    while (await next_message(response)).event != "open":
        pass
    return response
