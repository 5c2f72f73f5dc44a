"""Reading request bodies, query strings and path ids into validated values."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from marshmallow import Schema, ValidationError

from tikmatrixd.core.errors import InvalidParameters, NotFound
from tikmatrixd.fields import flatten_errors

# SQLite integers are 64-bit: a larger id cannot exist.
MAX_ID = 2**63 - 1


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; anything else is 40001 (413 when too large)."""
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InvalidParameters("request body is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise InvalidParameters(f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    if not isinstance(body, dict):
        raise InvalidParameters("request body must be a JSON object")
    return body


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, though Python's parser accepts them.
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def load(schema: Schema, data: Any, prefix: str = "") -> Any:
    try:
        return schema.load(data)
    except ValidationError as error:
        raise InvalidParameters.fields(flatten_errors(error.messages, prefix)) from None


def query(request: web.Request, schema: Schema) -> Any:
    return load(schema, dict(request.query))


def path_id(request: web.Request, name: str, what: str) -> int:
    """A numeric id from the path; a non-numeric one names nothing: 40401."""
    raw = request.match_info[name]
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise NotFound(f"{what} {raw} not found")
    return int(raw)
