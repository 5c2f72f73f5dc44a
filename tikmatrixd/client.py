"""A client of the daemon's API, for the command line: the envelope unwrapped, errors as exceptions.

Where the daemon is: ``--url`` / ``TIKMATRIXD_URL``, else the config file's
``[server]`` (``--config``), else http://127.0.0.1:50809. The token:
``--token`` / ``TIKMATRIXD_TOKEN``, else the config's ``token_file``.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from tikmatrixd import config as config_module
from tikmatrixd.constants import SOURCE_HEADER


class ApiError(Exception):
    """The daemon answered with a non-zero code, or could not be reached (code 0)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}" if code else message)
        self.code = code
        self.message = message
        self.data = data


@dataclass(frozen=True)
class Endpoint:
    url: str
    token: str | None


def endpoint(url: str | None, token: str | None, config_path: str | None) -> Endpoint:
    """Flags win over the environment, which wins over the config file."""
    url = url or os.environ.get("TIKMATRIXD_URL")
    token = token or os.environ.get("TIKMATRIXD_TOKEN")
    if url and token:
        return Endpoint(url.rstrip("/"), token)
    config = config_module.load(config_path)
    host = config.server.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return Endpoint((url or f"http://{host}:{config.server.port}").rstrip("/"), token or config.token())


@dataclass(frozen=True)
class StreamEvent:
    """One server-sent event."""

    id: int | None
    kind: str
    data: dict[str, Any]


class Client:
    """``async with Client(endpoint) as api: await api.call("GET", "/task/stats")``."""

    def __init__(self, where: Endpoint, *, source: str | None = "ui") -> None:
        headers = {"Accept": "application/json"}
        if where.token:
            headers["Authorization"] = f"Bearer {where.token}"
        if source:
            headers[SOURCE_HEADER] = source
        self._where = where
        self._headers = headers
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        self._session = aiohttp.ClientSession(headers=self._headers)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use Client in an async with block"
        return self._session

    def url(self, path: str) -> str:
        return f"{self._where.url}/api/v1{path}"

    async def call(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """One request; the envelope's data, or ApiError with the daemon's code and message."""
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        try:
            async with self.session.request(method, self.url(path), json=body, params=query) as response:
                text = await response.text()
        except aiohttp.ClientError as error:
            raise ApiError(0, f"cannot reach the daemon at {self._where.url}: {error}") from None
        try:
            envelope = json.loads(text)
            code, message, data = envelope["code"], envelope["message"], envelope.get("data")
        except (ValueError, KeyError, TypeError):
            raise ApiError(0, f"{self._where.url} answered HTTP {response.status}, not the tikmatrixd API") from None
        if code != 0:
            raise ApiError(code, message, data)
        return data

    async def events(self, params: dict[str, Any] | None = None,
                     last_event_id: int | None = None) -> AsyncGenerator[StreamEvent, None]:
        """Follow ``/events`` until the daemon ends the stream."""
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        try:
            async with self.session.get(self.url("/events"), params=query, headers=headers,
                                        timeout=timeout) as response:
                if response.status != 200:
                    try:
                        body = await response.json(content_type=None)
                        code, message = int(body["code"]), str(body["message"])
                    except (ValueError, KeyError, TypeError):
                        code, message = 0, f"{self._where.url} answered HTTP {response.status}, not an event stream"
                    raise ApiError(code, message)
                async for event in parse_sse(response.content):
                    yield event
        except aiohttp.ClientError as error:
            raise ApiError(0, f"the event stream from {self._where.url} broke: {error}") from None


async def parse_sse(lines: aiohttp.StreamReader) -> AsyncIterator[StreamEvent]:
    """Server-sent events from a byte stream: ``id``, ``event``, ``data`` fields; comments skipped."""
    fields: dict[str, str] = {}
    async for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if "data" in fields:
                event_id = fields.get("id", "")
                yield StreamEvent(int(event_id) if event_id.isdigit() else None, fields.get("event", "message"),
                                  json.loads(fields["data"]))
            fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        fields[name] = fields[name] + "\n" + value if name == "data" and name in fields else value
