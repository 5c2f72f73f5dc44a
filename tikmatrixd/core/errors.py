"""One error hierarchy; each class carries its API code and HTTP status.

The API middleware renders these into the envelope; nothing below the API
knows about HTTP beyond these two numbers.
"""

from __future__ import annotations

from typing import Any


class TikmatrixError(Exception):
    code = 50001
    http_status = 500
    default_message = "internal error"

    def __init__(self, message: str | None = None, data: Any = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.data = data

    def __str__(self) -> str:
        return self.message


class InvalidParameters(TikmatrixError):
    code = 40001
    http_status = 400
    default_message = "invalid parameters"

    @classmethod
    def fields(cls, errors: dict[str, list[str]]) -> InvalidParameters:
        """An error naming every offending field at once, paths dotted."""
        first = next(iter(errors.items()))
        message = f"invalid parameters: {first[0]}: {first[1][0]}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more)"
        return cls(message, {"errors": errors})


class MethodNotAllowed(InvalidParameters):
    http_status = 405
    default_message = "method not allowed"


class BodyTooLarge(InvalidParameters):
    http_status = 413
    default_message = "request body too large"


class ScriptNameMissing(TikmatrixError):
    code = 40002
    http_status = 400
    default_message = "script_name is required"


class ScriptNotSupported(TikmatrixError):
    code = 40003
    http_status = 400
    default_message = "script_name is not supported"


class Unauthorized(TikmatrixError):
    code = 40101
    http_status = 401
    default_message = "missing or invalid API token"


class PlanHasNoApi(TikmatrixError):
    code = 40301
    http_status = 403
    default_message = "the starter plan has no API access"


class ForeignOrigin(TikmatrixError):
    """A web page of another origin: a browser sends such requests cross-site without asking."""

    code = 40302
    http_status = 403
    default_message = "requests from other web pages are refused"


class NotFound(TikmatrixError):
    code = 40401
    http_status = 404
    default_message = "not found"


class TaskNotFound(NotFound):
    def __init__(self, task_id: object) -> None:
        super().__init__(f"task {task_id} not found")


class InvalidTransition(InvalidParameters):
    """A status change the task's current status does not allow."""
