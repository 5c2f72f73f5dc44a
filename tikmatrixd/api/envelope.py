"""The response envelope, and the middleware that puts every answer in it.

Domain errors carry their code and HTTP status; aiohttp's own 404/405/413,
marshmallow errors and anything unexpected are mapped here, in one place.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from functools import partial
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from marshmallow import ValidationError

from tikmatrixd import keys
from tikmatrixd.core.errors import (
    BodyTooLarge,
    InvalidParameters,
    MethodNotAllowed,
    NotFound,
    TikmatrixError,
)
from tikmatrixd.fields import flatten_errors

log = structlog.get_logger("tikmatrixd.api")
dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))
REQUEST_ID_HEADER = "X-Request-Id"
# Request ids: random per process, then counted (os.urandom per request cost more than a GET's SQL).
_REQUEST_PREFIX = secrets.token_hex(4)
_request_numbers = itertools.count(1)


def ok(data: Any) -> web.Response:
    return web.json_response({"code": 0, "message": "success", "data": data}, dumps=dumps)


def error_response(error: TikmatrixError) -> web.Response:
    body = {"code": error.code, "message": error.message, "data": error.data}
    return web.json_response(body, status=error.http_status, dumps=dumps)


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


@web.middleware
async def envelope_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = f"{_REQUEST_PREFIX}{next(_request_numbers):08x}"
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    code = 0
    try:
        response = await handler(request)
    except TikmatrixError as error:
        response, code = error_response(error), error.code
    except ValidationError as error:
        invalid = InvalidParameters.fields(flatten_errors(error.messages))
        response, code = error_response(invalid), invalid.code
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        mapped = _from_http(exc, request)
        response, code = error_response(mapped), mapped.code
    except ConnectionResetError:  # the client left mid-request (a half-sent body): nobody to answer
        log.info("client disconnected", method=request.method, path=request.path)
        gone = InvalidParameters("the client disconnected before the request was complete")
        response, code = error_response(gone), gone.code
    except Exception:
        log.exception("unhandled error", method=request.method, path=request.path)
        internal = TikmatrixError(f"internal error (request id {request_id})")
        response, code = error_response(internal), internal.code
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
    structlog.contextvars.unbind_contextvars("request_id")
    return response
