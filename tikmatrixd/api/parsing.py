"""Reading request bodies, query strings and path ids into validated values.

Whatever a client sends is bounded here, before any handler sees it: JSON
nested deeper than ``MAX_DEPTH``, integers outside SQLite's 64 bits,
non-finite numbers, strings with a NUL or a lone UTF-16 surrogate (which
no file name, shell or database takes) are all 40001; a path id is ASCII
digits within 64 bits or names nothing (40401).
"""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web
from marshmallow import Schema, ValidationError

from tikmatrixd import constants
from tikmatrixd.core.errors import InvalidParameters, NotFound
from tikmatrixd.fields import flatten_errors

# SQLite integers are 64-bit: a larger id cannot exist.
MAX_ID = 2**63 - 1
#: No request of this API nests deeper (a task's script_config is three levels down).
MAX_DEPTH = 32


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; anything else is 40001 (413 when too large)."""
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InvalidParameters("request body is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise InvalidParameters(f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except RecursionError:
        raise InvalidParameters(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # an integer of more than 4,300 digits
        raise InvalidParameters(f"malformed JSON: {error}") from None
    if not isinstance(body, dict):
        raise InvalidParameters("request body must be a JSON object")
    _check_json(body)
    return body


def _check_json(body: Any) -> None:
    """Depth, numbers and strings of a parsed body (without recursion: the depth is the point)."""
    stack = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise InvalidParameters(f"JSON nested deeper than {MAX_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    check_text(key, "a key")
                stack.append((item, depth + 1))
        elif isinstance(value, str):
            check_text(value, "a string")
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID:
            raise InvalidParameters("a number is out of range (at most 64-bit integers)")
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidParameters("a number is out of range")


def check_text(text: str, what: str) -> str:
    """A string any layer can take: no NUL, no lone surrogate (``"\\ud800"`` in JSON)."""
    if "\x00" in text:
        raise InvalidParameters(f"{what} contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameters(f"{what} is not valid Unicode (a lone surrogate)") from None
    return text


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, though Python's parser accepts them.
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def load(schema: Schema, data: Any, prefix: str = "") -> Any:
    try:
        return schema.load(data)
    except ValidationError as error:
        raise InvalidParameters.fields(flatten_errors(error.messages, prefix)) from None


def query(request: web.Request, schema: Schema) -> Any:
    values = {key: check_text(value, f"query parameter {key[:40]!r}") for key, value in request.query.items()}
    return load(schema, values)


def task_source(request: web.Request) -> str:
    """``api``, or ``ui`` when the request says it comes from the CLI or the dashboard."""
    source = request.headers.get(constants.SOURCE_HEADER, "api")
    if source not in ("api", "ui"):
        raise InvalidParameters.fields({constants.SOURCE_HEADER: ["must be api or ui"]})
    return source


def path_id(request: web.Request, name: str, what: str) -> int:
    """A numeric id from the path: ASCII digits within 64 bits; anything else names nothing (40401).

    (The route's ``\\d+`` also matches other scripts' digits, "٣", which ``int`` would read as 3.)
    """
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or int(raw) > MAX_ID:
        raise NotFound(f"{what} {raw[:40]} not found")
    return int(raw)
