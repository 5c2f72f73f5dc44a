"""Account and target user names: trim, optional `@`, the apps' charset."""

from __future__ import annotations

import re

# TikTok allows letters, digits, `_` and `.` (max 24); Instagram the same set
# (max 30). One rule for both; the apps treat names case-insensitively.
_NAME = re.compile(r"[a-z0-9._]{1,30}")


def normalize(raw: str) -> str:
    """The canonical form (`nasa`), or ValueError naming what is wrong."""
    name = raw.strip()
    if name.startswith("@"):
        name = name[1:]
    name = name.lower()
    if not _NAME.fullmatch(name):
        raise ValueError(f"{raw!r} is not a valid username")
    return name


def display(name: str) -> str:
    """How the API shows a name: `@nasa`."""
    return "@" + name


def split_list(text: str) -> list[str]:
    """Names from a string separated by newlines or commas; blanks dropped."""
    return [part for part in re.split(r"[\n,]", text) if part.strip()]
