"""Task statuses and the transitions the API and the workers may make."""

from __future__ import annotations

import enum


class TaskStatus(enum.IntEnum):
    PENDING = 0
    RUNNING = 1
    COMPLETED = 2
    FAILED = 3

    @property
    def text(self) -> str:
        return self.name.lower()


# Who may move a task from where (enforced by conditional UPDATEs in the store).
STOPPABLE = (TaskStatus.PENDING, TaskStatus.RUNNING)
RETRYABLE = (TaskStatus.FAILED,)


class ErrorReason(str, enum.Enum):
    """Machine-readable `error.reason` values."""

    STOPPED = "stopped"
    INTERRUPTED = "interrupted"
    DEVICE_DISCONNECTED = "device_disconnected"
    UI_TIMEOUT = "ui_timeout"
    ADB_TIMEOUT = "adb_timeout"
    ADB_ERROR = "adb_error"
    SCRIPT_ERROR = "script_error"
    NOT_IMPLEMENTED = "not_implemented"


def error(reason: ErrorReason | str, message: str) -> dict[str, str]:
    """The task's `error` object."""
    return {"reason": str(reason.value if isinstance(reason, ErrorReason) else reason), "message": message}


#: Failures an automatic retry would only repeat.
NEVER_RETRIED = frozenset({ErrorReason.STOPPED.value, ErrorReason.INTERRUPTED.value,
                           ErrorReason.NOT_IMPLEMENTED.value})


class ScriptFailure(Exception):
    """The script could not do what the task asked; ``reason`` is machine-readable.

    ``acted`` says whether anything may already have happened on the account
    (a post may be published): automatic retry never repeats such a task
    unless the script is idempotent.
    """

    def __init__(self, reason: str, message: str, *, acted: bool = True) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.acted = acted
