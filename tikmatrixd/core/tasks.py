"""Task, the targets a request fans out over, and the fan-out itself."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from tikmatrixd.core.errors import InvalidParameters
from tikmatrixd.core.status import TaskStatus

Config = dict[str, Any]


class Task(NamedTuple):
    """A task as stored. A NamedTuple, not a frozen dataclass: a list page builds twenty of these,
    and a frozen dataclass's __init__ cost several times a tuple's."""

    id: int
    serial: str
    username: str | None
    account_id: int | None
    script_name: str
    script_config: Config
    status: TaskStatus
    source: str
    start_time: str | None
    scheduled_at: float
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    retry_count: int = 0
    error: dict[str, str] | None = None
    result: dict[str, Any] | None = None


@dataclass(frozen=True)
class Target:
    """Where one task runs: a device, and the account when one is named."""

    serial: str
    username: str | None = None
    account_id: int | None = None


@dataclass(frozen=True)
class TargetSelection:
    """The targets a create request names, before they are checked."""

    serials: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    multi_account: bool = False


@dataclass(frozen=True)
class TaskDraft:
    """A task about to be inserted."""

    target: Target
    script_name: str
    script_config: Config
    source: str
    start_time: str | None
    scheduled_at: float
    created_at: float


@dataclass(frozen=True)
class TaskFilter:
    status: TaskStatus | None = None
    serial: str | None = None
    script_name: str | None = None
    source: str | None = None
    username: str | None = None


@dataclass(frozen=True)
class TaskPage:
    tasks: list[Task]
    total: int


@dataclass(frozen=True)
class TaskStats:
    total: int = 0
    pending: int = 0
    running: int = 0
    completed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class CreateRequest:
    script_name: str
    script_config: Config
    source: str
    start_time: str | None
    scheduled_at: float
    created_at: float
    selection: TargetSelection = field(default_factory=TargetSelection)


class Expander(Protocol):
    """A script's fan-out: how many tasks per target, and their configs."""

    def per_target(self, config: Config) -> int: ...

    def expand(self, config: Config, targets: Sequence[Target], rng: random.Random) -> list[tuple[Target, Config]]: ...


#: Shared: seeding a Random from os.urandom on every request cost more than the rest of fan-out.
_RNG = random.Random()


def fan_out(request: CreateRequest, targets: Sequence[Target], script: Expander, max_tasks: int,
            rng: random.Random | None = None) -> list[TaskDraft]:
    """Every task a request creates, in order; too many is an error, not a cut."""
    count = len(targets) * script.per_target(request.script_config)
    if count > max_tasks:
        raise InvalidParameters.fields(
            {"body": [f"this request would create {count} tasks; the limit is {max_tasks}"]}
        )
    pairs = script.expand(request.script_config, targets, rng or _RNG)
    return [
        TaskDraft(
            target=target,
            script_name=request.script_name,
            script_config=config,
            source=request.source,
            start_time=request.start_time,
            scheduled_at=request.scheduled_at,
            created_at=request.created_at,
        )
        for target, config in pairs
    ]
