"""Webhooks: every event of the log POSTed to the configured endpoints, signed, in order, at least once.

Each endpoint has one delivery coroutine that reads the event log after the
last id it delivered (kept in the store, so a restart resumes where it
stopped), posts one event at a time, and retries a failure with exponential
backoff and jitter until it succeeds: a later event never overtakes an
earlier one. It waits for new events on the bus, never polls, and never
blocks anything else. Redirects are not followed (a 3xx is a failure), so a
delivery only ever reaches the configured address.

Signature (SPEC.md): ``X-Tikmatrixd-Signature: t=<unix>,v1=<hex>`` where hex
is HMAC-SHA256 of ``"<t>.<body>"`` with the endpoint's secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

import aiohttp
import structlog

from tikmatrixd import __version__
from tikmatrixd.api import render
from tikmatrixd.config import WebhookConfig
from tikmatrixd.events import Event, EventBus
from tikmatrixd.jsontext import dumps_bytes
from tikmatrixd.metrics import Metrics
from tikmatrixd.store import Store

log = structlog.get_logger("tikmatrixd.webhooks")

PAGE = 100
REQUEST_TIMEOUT = 10.0
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 300.0
JITTER = 0.2


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The X-Tikmatrixd-Signature value for one delivery."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def payload(event: Event, tz: tzinfo | None) -> bytes:
    """``{"id", "event", "at", "data"}``: ``at`` as every timestamp of the API (ISO 8601, the configured zone)."""
    return dumps_bytes(render.event(event, tz))


@dataclass
class DeliveryState:
    """What GET /api/v1/webhooks shows of one endpoint."""

    url: str
    kinds: tuple[str, ...]
    delivered_id: int = 0
    last_id: int = 0  # newest event in the log the endpoint has looked at
    delivered: int = 0
    failures: int = 0
    last_success_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    next_attempt_at: float | None = None

    @property
    def lag(self) -> int:
        """Events in the log after the last one delivered (kinds it does not take included, until
        the endpoint has caught up past them)."""
        return max(0, self.last_id - self.delivered_id)


class Webhooks:
    """One delivery coroutine per configured endpoint; started and stopped with the app."""

    def __init__(self, endpoints: tuple[WebhookConfig, ...], store: Store, bus: EventBus,
                 clock: Callable[[], float] = time.time, metrics: Metrics | None = None,
                 rng: random.Random | None = None, tz: tzinfo | None = None) -> None:
        self._metrics = metrics
        self._tz = tz
        self._endpoints = endpoints
        self._store = store
        self._bus = bus
        self._clock = clock
        self._rng = rng or random.Random()
        self._tasks: list[asyncio.Task[None]] = []
        self._wakes: list[asyncio.Event] = []
        self._session: aiohttp.ClientSession | None = None
        self.states = [DeliveryState(url=e.url, kinds=e.kinds) for e in endpoints]
        bus.listen(self._on_event)

    def _on_event(self, event: Event) -> None:
        for wake in self._wakes:
            wake.set()

    async def start(self) -> None:
        if not self._endpoints:
            return
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            headers={"User-Agent": f"tikmatrixd/{__version__}", "Content-Type": "application/json"})
        cursors = await self._store.events.cursors([e.url for e in self._endpoints])
        for endpoint, state in zip(self._endpoints, self.states, strict=True):
            wake = asyncio.Event()
            self._wakes.append(wake)
            state.delivered_id = cursors[endpoint.url]
            self._tasks.append(asyncio.create_task(self._deliver(endpoint, state, wake),
                                                   name=f"webhook {endpoint.url}"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _deliver(self, endpoint: WebhookConfig, state: DeliveryState, wake: asyncio.Event) -> None:
        secret = endpoint.secret()
        kinds = set(endpoint.kinds) or None
        while True:
            wake.clear()  # before reading: an event appended meanwhile sets it again
            page = await self._store.events.after(state.delivered_id, PAGE, kinds)
            state.last_id = page.last_id
            if state.delivered_id < page.first_id - 1:
                log.warning("webhook missed pruned events", url=endpoint.url,
                            missed=page.first_id - 1 - state.delivered_id)
            for event in page.events:
                await self._post_until_delivered(endpoint, state, secret, event)
            if page.events:
                await self._store.events.set_cursor(endpoint.url, state.delivered_id, self._clock())
                continue
            if page.last_id > state.delivered_id:  # only events this endpoint does not want
                state.delivered_id = page.last_id
                await self._store.events.set_cursor(endpoint.url, state.delivered_id, self._clock())
            await wake.wait()

    async def _post_until_delivered(self, endpoint: WebhookConfig, state: DeliveryState, secret: bytes,
                                    event: Event) -> None:
        body = payload(event, self._tz)
        backoff = FIRST_BACKOFF
        while True:
            problem = await self._post(endpoint.url, secret, event, body)
            now = self._clock()
            if self._metrics is not None:
                self._metrics.webhook_attempt(endpoint.url, problem is None)
            if problem is None:
                state.delivered_id = event.id
                state.delivered += 1
                state.last_success_at = now
                state.next_attempt_at = None
                return
            state.failures += 1
            state.last_error, state.last_error_at = problem, now
            delay = backoff * (1 + JITTER * self._rng.uniform(-1, 1))
            state.next_attempt_at = now + delay
            log.warning("webhook delivery failed", url=endpoint.url, event_id=event.id, error=problem,
                        retry_in=round(delay, 1))
            await asyncio.sleep(delay)
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _post(self, url: str, secret: bytes, event: Event, body: bytes) -> str | None:
        """One attempt; None when the endpoint took it (2xx), else what went wrong."""
        assert self._session is not None
        # The receiver checks the timestamp against its own clock: the wall clock, whatever the daemon's.
        headers = {"X-Tikmatrixd-Signature": sign(secret, int(time.time()), body),
                   "X-Tikmatrixd-Event-Id": str(event.id)}
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
