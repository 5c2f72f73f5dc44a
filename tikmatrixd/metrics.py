"""The daemon's Prometheus metrics, in a registry of its own app.

A registry per app (not prometheus-client's global one) keeps several apps
in one process (tests) from colliding. Counters are fed as things happen:
requests by the envelope middleware, task outcomes from the event bus;
gauges are read from the store and the dispatcher at scrape time.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from aiohttp import hdrs, web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from tikmatrixd.core.devices import DEVICE_STATES
from tikmatrixd.core.status import TaskStatus
from tikmatrixd.events import Event, EventBus
from tikmatrixd.runtime.dispatcher import Dispatcher
from tikmatrixd.store import Store

FINAL = (TaskStatus.COMPLETED.text, TaskStatus.FAILED.text)

# A `_created` timestamp per counter and label set doubled the page for nothing a scraper uses.
disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    def __init__(self, events: EventBus) -> None:
        self.registry = registry = CollectorRegistry()
        self._tasks = Gauge("tikmatrixd_tasks", "Tasks in the store, by status.", ["status"], registry=registry)
        self._finished = Counter("tikmatrixd_tasks_finished", "Tasks that ended since start-up, by status and "
                                 "error reason (empty when completed).", ["status", "reason"], registry=registry)
        self._devices = Gauge("tikmatrixd_devices", "Known devices, by state.", ["state"], registry=registry)
        self._workers = Gauge("tikmatrixd_device_workers", "Devices with a worker (at most license.device_limit).",
                              registry=registry)
        self._busy = Gauge("tikmatrixd_devices_running_task", "Devices running a task now.", registry=registry)
        self._unhealthy = Gauge("tikmatrixd_devices_unhealthy", "Devices with a worker that fail their probe.",
                                registry=registry)
        self._requests = RequestCollector()
        registry.register(self._requests)
        Gauge("tikmatrixd_event_subscribers", "Open /api/v1/events streams.",
              registry=registry).set_function(lambda: events.subscriber_count)
        self._webhook_attempts = Counter("tikmatrixd_webhook_deliveries", "Webhook delivery attempts, by "
                                         "endpoint and result (ok, failed).", ["url", "result"], registry=registry)
        self._webhook_lag = Gauge("tikmatrixd_webhook_lag_events", "Events in the log not yet delivered to a "
                                  "webhook endpoint.", ["url"], registry=registry)
        events.listen(self._on_event)

    def webhook_attempt(self, url: str, ok: bool) -> None:
        self._webhook_attempts.labels(url, "ok" if ok else "failed").inc()

    def _on_event(self, event: Event) -> None:
        status = event.data.get("status_text")
        if event.kind == "task" and status in FINAL:
            self._finished.labels(status, event.data.get("reason", "")).inc()

    def observe_request(self, request: web.Request, status: int, seconds: float) -> None:
        # Labels are bounded: the route pattern, never the raw path (ids,
        # probes of random URLs), and only the methods HTTP defines.
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        method = request.method if request.method in hdrs.METH_ALL else "OTHER"
        self._requests.observe(route, method, status, seconds)

    async def scrape(self, store: Store, dispatcher: Dispatcher, accept: str,
                     webhook_lag: dict[str, int] | None = None) -> tuple[bytes, str]:
        """The exposition (OpenMetrics when ``accept`` asks for it) and its content type."""
        for url, lag in (webhook_lag or {}).items():
            self._webhook_lag.labels(url).set(lag)
        stats = await store.tasks.stats()
        for status in TaskStatus:
            self._tasks.labels(status.text).set(getattr(stats, status.text))
        devices = await store.devices.list()
        states = dict.fromkeys(DEVICE_STATES, 0)
        for device in devices:
            states[device.state] = states.get(device.state, 0) + 1
        for state, count in states.items():
            self._devices.labels(state).set(count)
        live = [dispatcher.live(device.serial) for device in devices]
        self._workers.set(sum(1 for device in live if device.worker))
        self._busy.set(sum(1 for device in live if device.running_task_id is not None))
        self._unhealthy.set(sum(1 for device in live if device.worker and device.healthy is False))
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


class RequestCollector(Collector):
    """HTTP requests by route, method and status, and their durations: plain counters bumped on
    every request, turned into metric families only when scraped. prometheus-client's own Counter
    and Histogram take a lock per update, which cost a request more than its routing."""

    BOUNDS = Histogram.DEFAULT_BUCKETS[:-1]  # the finite bounds; +Inf is the count

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        self._durations: dict[tuple[str, str], tuple[list[int], list[float]]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        durations = self._durations.get((route, method))
        if durations is None:
            durations = self._durations[(route, method)] = ([0] * (len(self.BOUNDS) + 1), [0.0])
        durations[0][bisect.bisect_left(self.BOUNDS, seconds)] += 1
        durations[1][0] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("tikmatrixd_http_requests", "HTTP requests, by route, method and status.",
                                       labels=["route", "method", "status"])
        for (route, method, status), count in self._counts.items():
            requests.add_metric([route, method, str(status)], count)
        yield requests
        durations = HistogramMetricFamily("tikmatrixd_http_request_duration_seconds", "Time to answer a request "
                                          "(for /api/v1/events: how long the stream was open).",
                                          labels=["route", "method"])
        for (route, method), (counts, total) in self._durations.items():
            cumulative, buckets = 0, []
            for bound, count in zip([*map(str, self.BOUNDS), "+Inf"], counts, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            durations.add_metric([route, method], buckets, total[0])
        yield durations
