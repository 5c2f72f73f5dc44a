"""/api/v1/events: the event log as server-sent events, resumable, then live.

Every event carries ``id:`` (its id in the store's event log). A client that
sends ``Last-Event-ID`` (EventSource does on reconnect) or ``?after=ID``
first gets every matching event after that id from the log, across daemon
restarts, then the live ones; the header wins over the query, being newer.
Two notices are not log events: ``open`` (``last_id``: everything up to it
has been sent; live from here on) and, before a replay that cannot be
complete because the log was pruned past it, ``gap`` (``missed``: how many
events are gone). A slow client that the bus had to drop events for, or
that sees a hole in the ids, is caught up from the log: it never loses one.

The framing, keep-alive pings and the cut-off of a stalled client are
aiohttp-sse's. A stream ends when the daemon shuts down (the bus ends every
subscription in on_shutdown, before aiohttp waits for open requests) and
when the client goes away (aiohttp-sse's ping notices; the subscription is
closed then).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import tzinfo
from typing import Any

from aiohttp import web
from aiohttp_sse import EventSourceResponse, sse_response
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from tikmatrixd import constants, keys
from tikmatrixd.api import render
from tikmatrixd.api.parsing import MAX_ID, check_text, load, query
from tikmatrixd.events import KINDS, Event, Subscription
from tikmatrixd.jsontext import dumps
from tikmatrixd.store import Store

routes = web.RouteTableDef()

#: Events read from the log per store call while replaying.
REPLAY_PAGE = 500


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
    after = fields.Integer(strict=False, validate=validate.Range(0, MAX_ID),
                           metadata={"description": "replay the events after this id first (Last-Event-ID wins)"})


class ResumeHeader(Schema):
    last_event_id = fields.Integer(strict=False, data_key="Last-Event-ID", validate=validate.Range(0, MAX_ID))


class Stream:
    """One client's stream: what it asked for, and the last log id it has been brought up to."""

    def __init__(self, response: EventSourceResponse, store: Store, tz: tzinfo | None,
                 kinds: Collection[str] | None, serial: str | None) -> None:
        self.response = response
        self.store = store
        self.tz = tz
        self.kinds = kinds
        self.serial = serial
        self.seen = 0

    def wanted(self, event: Event) -> bool:
        return (self.kinds is None or event.kind in self.kinds) and (
            self.serial is None or event.data.get("serial") == self.serial)

    async def send(self, event: Event) -> None:
        await self.response.send(dumps({**event.data, "at": render.timestamp(event.at, self.tz)}),
                                 id=str(event.id), event=event.kind.value)

    async def replay(self, after: int, *, tell_gap: bool) -> None:
        """Every wanted event after ``after`` from the log, up to its newest."""
        self.seen = after
        while True:
            page = await self.store.events.after(self.seen, REPLAY_PAGE, self.kinds, self.serial)
            if tell_gap and self.seen < page.first_id - 1:
                await self.response.send(dumps({"after": self.seen, "first_id": page.first_id,
                                                "missed": page.first_id - 1 - self.seen}), event="gap")
            tell_gap = False
            for event in page.events:
                await self.send(event)
                self.seen = event.id
            if len(page.events) < REPLAY_PAGE:
                self.seen = max(self.seen, page.last_id)
                return

    async def live(self, subscription: Subscription) -> None:
        """Bus events after ``seen``, in order; a drop or a hole is filled from the log."""
        while True:
            try:
                event, dropped = await subscription.next()
            except StopAsyncIteration:
                return  # shutdown, or the client went away
            if event.id <= self.seen:
                continue
            if dropped or event.id > self.seen + 1:
                await self.replay(self.seen, tell_gap=True)
                continue
            self.seen = event.id
            if self.wanted(event):
                await self.send(event)


@routes.get("/api/v1/events", allow_head=False)
async def event_stream(request: web.Request) -> web.StreamResponse:
    """Stream the event log (text/event-stream): replayed after an id, then live."""
    args = query(request, EventsQuery())
    header = request.headers.get("Last-Event-ID")  # (headers are case-insensitive)
    resume = load(ResumeHeader(), {} if header is None else {"Last-Event-ID": check_text(header, "Last-Event-ID")})
    after = resume.get("last_event_id", args.get("after"))
    store = request.app[keys.STORE]
    # Subscribed before anything is read or sent: nothing published from now on is missed.
    with request.app[keys.EVENTS].subscribe() as subscription:
        async with sse_response(request, sep="\n", ping_interval=constants.EVENTS_PING_INTERVAL,
                                send_timeout=constants.EVENTS_SEND_TIMEOUT) as response:
            stream = Stream(response, store, request.app[keys.CONFIG].tz, args.get("kinds"), args.get("serial"))
            watcher = asyncio.create_task(_close_when_gone(response, subscription))
            try:
                if after is None:
                    stream.seen = (await store.events.after(MAX_ID, 0)).last_id
                else:
                    await stream.replay(after, tell_gap=True)
                await response.send(dumps({"last_id": stream.seen}), id=str(stream.seen), event="open")
                await stream.live(subscription)
            except (ConnectionResetError, TimeoutError):
                pass  # the client went away, or stalled and was cut off
            finally:
                watcher.cancel()
    return response


async def _close_when_gone(response: EventSourceResponse, subscription: Subscription) -> None:
    """aiohttp-sse's ping task ends when a write fails: the client is gone; stop waiting for events."""
    await response.wait()
    subscription.close()
