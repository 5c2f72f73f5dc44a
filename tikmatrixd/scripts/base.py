"""What every script provides: a config schema, a fan-out hook, and how it runs on a phone."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from marshmallow import Schema

if TYPE_CHECKING:
    from tikmatrixd.adb.device import DeviceAdb
    from tikmatrixd.core.tasks import Task

Config = dict[str, Any]


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


@dataclass(frozen=True)
class RunContext:
    """What a running script gets: its task, its phone, and which app to drive."""

    task: "Task"
    adb: "DeviceAdb"
    platform: str
    package: str
    log: Any


class Runner(Protocol):
    # Running it twice has the effect of running it once (follow checks first).
    idempotent: bool

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        """Do the task; return what `result` shows. Raise ScriptFailure on failure."""

    async def cleanup(self, ctx: RunContext) -> None:
        """Leave the phone in a known state; runs after every run, even a stopped one."""


@dataclass(frozen=True)
class ScriptContext:
    """What validation needs to know about the daemon (not about the request)."""

    media_roots: tuple[str, ...] = ()


@dataclass(frozen=True)
class Script:
    name: str
    # Builds the schema that validates and normalises a request's script_config.
    schema: Callable[[ScriptContext], Schema]
    # Turns one validated config and the request's targets (devices or
    # accounts) into (target, config of one task) pairs, in task order.
    expand: Callable[[Config, Sequence[Any], random.Random], list[tuple[Any, Config]]]
    # How many tasks one target gets, known before expanding (to refuse an
    # oversized request without building it).
    per_target: Callable[[Config], int] = lambda config: 1
    # How it runs on a phone; None until the script is implemented.
    runner: Runner | None = None
