"""/api/v1/events: task and device changes as server-sent events.

Written by hand on ``web.StreamResponse`` rather than with aiohttp-sse: the
event bus already queues per client and counts what a slow client lost, and
one loop that waits for "the next event, or 15 s of silence" gives the
keep-alive without aiohttp-sse's ping task and its wait()/stop_streaming()
hand-off, so the library would add a dependency for a dozen lines of framing.

A stream ends when the daemon shuts down (the bus ends every subscription
in on_shutdown, before aiohttp waits for open requests) and when the client
goes away, which aiohttp reports at the next write: an event or the ping.
"""

from __future__ import annotations

import asyncio
from datetime import tzinfo
from typing import Any

from aiohttp import web
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from tikmatrixd import constants, keys
from tikmatrixd.api import render
from tikmatrixd.api.envelope import dumps
from tikmatrixd.api.parsing import query
from tikmatrixd.events import KINDS, Event

routes = web.RouteTableDef()

HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx would otherwise hold events back in its buffer
}


class Kinds(fields.String):
    """``task,device`` → {"task", "device"}; each must be a kind the bus publishes."""

    def _deserialize(self, value: Any, attr: str | None, data: Any,  # type: ignore[override]
                     **kwargs: Any) -> frozenset[str]:
        kinds = {kind.strip() for kind in super()._deserialize(value, attr, data, **kwargs).split(",")} - {""}
        if not kinds or not kinds <= set(KINDS):
            raise ValidationError(f"a comma-separated list of {', '.join(KINDS)}")
        return frozenset(kinds)


class EventsQuery(Schema):
    class Meta:
        unknown = RAISE

    kinds = Kinds(metadata={"description": f"comma-separated, any of {', '.join(KINDS)}; default all"})
    serial = fields.String(validate=validate.Length(min=1), metadata={"description": "only events about this device"})


@routes.get("/api/v1/events", allow_head=False)
async def event_stream(request: web.Request) -> web.StreamResponse:
    """Stream task and device changes (text/event-stream)."""
    args = query(request, EventsQuery())
    kinds, serial = args.get("kinds"), args.get("serial")
    tz = request.app[keys.CONFIG].tz
    response = web.StreamResponse(headers=HEADERS)
    # Subscribed before the first byte goes out: a client that sees the stream
    # open and then acts sees the events its own actions cause.
    with request.app[keys.EVENTS].subscribe() as subscription:
        await response.prepare(request)
        lost = 0
        try:
            await _send(request, response, b": stream open\n\n")
            while True:
                try:
                    async with asyncio.timeout(constants.EVENTS_PING_INTERVAL):
                        event, dropped = await subscription.next()
                except TimeoutError:
                    await _send(request, response, b": ping\n\n")
                    continue
                except StopAsyncIteration:
                    break  # the daemon is shutting down
                lost += dropped
                if (kinds is None or event.kind in kinds) and (serial is None or event.data.get("serial") == serial):
                    await _send(request, response, frame(event, lost, tz))
                    lost = 0
        except ConnectionResetError:
            pass  # the client went away
    return response


def frame(event: Event, dropped: int, tz: tzinfo | None) -> bytes:
    """One event: ``event: <kind>``, ``data: <json on one line>``, a blank line."""
    data = {**event.data, "at": render.timestamp(event.at, tz)}
    if dropped:
        data["dropped"] = dropped
    return f"event: {event.kind}\ndata: {dumps(data)}\n\n".encode()


async def _send(request: web.Request, response: web.StreamResponse, data: bytes) -> None:
    try:
        async with asyncio.timeout(constants.EVENTS_SEND_TIMEOUT):
            await response.write(data)
    except TimeoutError:
        # A stalled reader never drains the buffer; a graceful close would wait on it too.
        if request.transport is not None:
            request.transport.abort()
        raise ConnectionResetError("client stalled") from None
