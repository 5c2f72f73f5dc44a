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
        return _TEXTS[self]

    @classmethod
    def of(cls, value: int) -> TaskStatus:
        """The status stored as ``value`` (an index: the enum call costs a list page of 20 rows 4 %)."""
        return _BY_VALUE[value]


_TEXTS = {status: status.name.lower() for status in TaskStatus}
_BY_VALUE = tuple(TaskStatus)


# Who may move a task from where (enforced by conditional UPDATEs in the store).
STOPPABLE = (TaskStatus.PENDING, TaskStatus.RUNNING)
RETRYABLE = (TaskStatus.FAILED,)


class ErrorReason(enum.StrEnum):
    """Every machine-readable `error.reason` (the README's list is checked against this one).

    Two are followed by a detail: ``selector_not_found:<screen>.<name>|...``
    and ``still_shown:<screen>.<name>``.
    """

    # The task never got to do anything on the phone, or stopped because of the daemon or the API.
    STOPPED = "stopped"  # stopped or deleted through the API while pending or running
    INTERRUPTED = "interrupted"  # the daemon stopped while it ran; never re-run
    ACCOUNT_DISABLED = "account_disabled"  # its account was disabled before it ran
    DAILY_CAP = "daily_cap"  # its account did its daily cap of that script
    NOT_IMPLEMENTED = "not_implemented"  # no runner for that script
    # The phone or adb.
    DEVICE_DISCONNECTED = "device_disconnected"  # the phone left its adb server
    ADB_TIMEOUT = "adb_timeout"  # an adb call did not answer in time
    ADB_ERROR = "adb_error"  # an adb call failed
    APP_NOT_INSTALLED = "app_not_installed"
    INTENT_FAILED = "intent_failed"  # the app did not take a VIEW intent
    INPUT_METHOD_MISSING = "input_method_missing"  # the text needs ADBKeyboard
    UI_DUMP_FAILED = "ui_dump_failed"  # uiautomator gave no hierarchy, again and again
    UI_TIMEOUT = "ui_timeout"
    # What the screen showed.
    SELECTOR_NOT_FOUND = "selector_not_found"  # the selectors named after it did not appear in time
    STILL_SHOWN = "still_shown"  # the selector named after it did not go away in time
    ACTION_BLOCKED = "action_blocked"  # the app refused the action: the account cools down
    ACCOUNT_MISMATCH = "account_mismatch"  # the phone cannot switch to the task's account
    PROFILE_NOT_FOUND = "profile_not_found"  # the profile shown is not the one asked for
    # Posting.
    MEDIA_MISSING = "media_missing"  # a file or folder is no longer readable in the media roots
    NO_MEDIA_LEFT = "no_media_left"  # every candidate was already posted by that account
    NO_MEDIA_LIBRARY = "no_media_library"  # materialLibrary without media roots
    MEDIA_SCAN_TIMEOUT = "media_scan_timeout"  # the phone's media store never listed the files
    MEDIA_NOT_IN_GALLERY = "media_not_in_gallery"
    SHARE_FAILED = "share_failed"  # the app did not take the SEND intent
    SOUND_NOT_FOUND = "sound_not_found"
    SOUND_UNAVAILABLE = "sound_unavailable"  # no sound on that kind of post
    VOLUME_NOT_SET = "volume_not_set"
    PRODUCT_LINK_UNAVAILABLE = "product_link_unavailable"
    UPLOAD_TIMEOUT = "upload_timeout"  # posted, but the upload did not finish in time
    # Anything else.
    SCRIPT_ERROR = "script_error"  # a bug: logged with a traceback


def error(reason: ErrorReason, message: str, detail: str = "") -> dict[str, str]:
    """The task's `error` object."""
    return {"reason": f"{reason.value}:{detail}" if detail else reason.value, "message": message}


#: Failures an automatic retry would only repeat.
NEVER_RETRIED = frozenset({ErrorReason.STOPPED.value, ErrorReason.INTERRUPTED.value,
                           ErrorReason.NOT_IMPLEMENTED.value, ErrorReason.ACCOUNT_DISABLED.value,
                           ErrorReason.DAILY_CAP.value})


class ScriptFailure(Exception):
    """The script could not do what the task asked; ``reason`` is machine-readable.

    ``acted`` says whether anything may already have happened on the account
    (a post may be published): automatic retry never repeats such a task
    unless the script is idempotent.
    """

    def __init__(self, reason: ErrorReason, message: str, *, acted: bool = True, detail: str = "") -> None:
        super().__init__(message)
        self.kind = reason
        self.detail = detail
        self.reason = f"{reason.value}:{detail}" if detail else reason.value
        self.message = message
        self.acted = acted

    def error(self) -> dict[str, str]:
        """The task's `error` object for this failure."""
        return error(self.kind, self.message, self.detail)
