"""What every script provides: a config schema, a fan-out hook, and how it runs on a phone."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from marshmallow import Schema

from tikmatrixd.core.status import ScriptFailure

if TYPE_CHECKING:
    from tikmatrixd.adb.device import DeviceAdb
    from tikmatrixd.core.tasks import Task
    from tikmatrixd.library import Library
    from tikmatrixd.store.media import MediaQueries
    from tikmatrixd.ui.driver import Ui
    from tikmatrixd.ui.selectors import Pack

Config = dict[str, Any]
__all__ = ["Config", "RunContext", "Runner", "Script", "ScriptContext", "ScriptFailure"]


@dataclass(frozen=True)
class RunContext:
    """What a running script gets: its task, its phone, and which app to drive."""

    task: Task
    adb: DeviceAdb
    platform: str
    package: str
    log: Any
    ui: Ui  # the app's screens on this phone, through the platform's selector pack
    pack: Pack
    media_roots: tuple[str, ...] = ()  # the first is the material library
    history: MediaQueries | None = None  # what each account already posted
    library: Library | None = None  # the material library (the first media root)


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
class RetryPolicy:
    """Automatic retry of a failed task (config ``[retry.<script>]``)."""

    # Automatic retries after a failure (0-10); 0 = only explicit retries.
    attempts: int = 0
    # Seconds before each retry, spread by +/- jitter (a fraction).
    delay: float = 60.0
    jitter: float = 0.2


@dataclass(frozen=True)
class Script:
    """What a script is; the registry (scripts/__init__.py) is the one list of them, and the
    config's per-script tables, the API's per-script keys and the docs derive from it."""

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
    # Defaults of its config: [retry.<name>] and [caps] <name> (completed per account per day; 0 = no cap).
    retry: RetryPolicy = RetryPolicy()
    daily_cap: int = 0
