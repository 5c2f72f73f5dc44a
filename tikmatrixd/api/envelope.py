"""The response envelope, and the middleware that puts every answer in it.

Domain errors carry their code and HTTP status; aiohttp's own 404/405/413,
marshmallow errors and anything unexpected are mapped here, in one place.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from marshmallow import ValidationError

from tikmatrixd import keys, logs
from tikmatrixd.api.guard import Guard
from tikmatrixd.core.errors import (
    BodyTooLarge,
    InvalidParameters,
    MethodNotAllowed,
    NotFound,
    TikmatrixError,
)
from tikmatrixd.fields import flatten_errors
from tikmatrixd.jsontext import dumps_bytes

log = structlog.get_logger("tikmatrixd.api")
REQUEST_ID_HEADER = "X-Request-Id"
# Request ids: random per process, then counted (os.urandom per request cost more than a GET's SQL).
_REQUEST_PREFIX = secrets.token_hex(4)
_request_numbers = itertools.count(1)


def json_body(value: Any, status: int = 200) -> web.Response:
    return web.Response(body=dumps_bytes(value), status=status, content_type="application/json", charset="utf-8")


def ok(data: Any) -> web.Response:
    return json_body({"code": 0, "message": "success", "data": data})


def error_response(error: TikmatrixError) -> web.Response:
    return json_body({"code": error.code, "message": error.message, "data": error.data}, error.http_status)


def _from_http(exc: web.HTTPException, request: web.Request) -> TikmatrixError:
    if exc.status == 404:
        return NotFound(f"no route for {request.method} {request.path}")
    if exc.status == 405:
        return MethodNotAllowed(f"method {request.method} is not allowed on {request.path}")
    if exc.status == 413:
        return BodyTooLarge(f"request body exceeds {request.app[keys.CONFIG].server.max_body_bytes} bytes")
    error = InvalidParameters(exc.reason)
    error.http_status = exc.status
    return error


def envelope_middleware(guard: Guard) -> Middleware:
    """The app's one middleware: request id, ``guard``, the envelope for every error, metrics and log.
    One, because each middleware costs aiohttp a wrapper and a coroutine on every request."""

    @web.middleware
    async def envelope(request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = f"{_REQUEST_PREFIX}{next(_request_numbers):08x}"
        bound = logs.REQUEST_ID.set(request_id)
        started = time.perf_counter()
        try:
            guard(request)
            response, code = await handler(request), 0
        except Exception as error:
            response, code = _error(error, request, request_id)
        if not response.prepared:  # a stream (/api/v1/events) sent its headers already
            response.headers[REQUEST_ID_HEADER] = request_id
        seconds = time.perf_counter() - started
        request.app[keys.METRICS].observe_request(request, response.status, seconds)
        # Reads that succeed are logged at debug: clients poll tasks, and a line per poll would bury
        # the lines that matter (changes and errors, at info).
        quiet = request.method in ("GET", "HEAD") and response.status < 400
        (log.debug if quiet else log.info)(
            "request", method=request.method, path=request.path, status=response.status, code=code,
            ms=round(seconds * 1000, 2),
        )
        logs.REQUEST_ID.reset(bound)
        return response

    return envelope


def _error(exc: Exception, request: web.Request, request_id: str) -> tuple[web.Response, int]:
    """The envelope for what a handler raised, and its code; a redirect (HTTP 3xx) goes on up."""
    try:
        raise exc
    except TikmatrixError as error:
        return error_response(error), error.code
    except ValidationError as error:
        invalid = InvalidParameters.fields(flatten_errors(error.messages))
        return error_response(invalid), invalid.code
    except web.HTTPException as http:
        if http.status < 400:
            raise
        mapped = _from_http(http, request)
        return error_response(mapped), mapped.code
    except ConnectionResetError:  # the client left mid-request (a half-sent body): nobody to answer
        log.info("client disconnected", method=request.method, path=request.path)
        gone = InvalidParameters("the client disconnected before the request was complete")
        return error_response(gone), gone.code
    except Exception:
        log.exception("unhandled error", method=request.method, path=request.path)
        internal = TikmatrixError(f"internal error (request id {request_id})")
        return error_response(internal), internal.code
