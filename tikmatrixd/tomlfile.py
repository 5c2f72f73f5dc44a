"""Reading the daemon's TOML files (config, selector packs), with errors that name the file."""

from __future__ import annotations

import tomllib
from typing import Any


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key."""


def read_toml(path: str, what: str, error: type[ConfigError] = ConfigError) -> dict[str, Any]:
    """A TOML file's tables; an unreadable or invalid file is ``error`` naming ``what`` and the path."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as problem:
        raise error(f"cannot read {what} {path}: {problem.strerror}") from None
    except tomllib.TOMLDecodeError as problem:
        raise error(f"{what} {path} is not valid TOML: {problem}") from None
