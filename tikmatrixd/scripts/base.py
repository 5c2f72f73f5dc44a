"""What every script provides: a config schema and a fan-out hook."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from marshmallow import Schema

Config = dict[str, Any]


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
