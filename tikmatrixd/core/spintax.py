"""Spintax: `{a|b|{c|d}}` resolves to one alternative, nested allowed.

Unbalanced braces are kept literally, so a caption with a stray `{` still posts.
"""

from __future__ import annotations

import random


def resolve(text: str, rng: random.Random | None = None) -> str:
    rng = rng or random.Random()
    out, _ = _resolve_from(text, 0, rng, nested=False)
    return out


def _resolve_from(text: str, pos: int, rng: random.Random, nested: bool) -> tuple[str, int]:
    """Resolve text from pos; when nested, stop at the closing brace of the group."""
    options: list[str] = []
    current: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == "{":
            close = _matching_brace(text, pos)
            if close is None:
                current.append(char)
                pos += 1
                continue
            inner, pos = _resolve_from(text, pos + 1, rng, nested=True)
            current.append(inner)
            continue
        if nested and char == "|":
            options.append("".join(current))
            current = []
        elif nested and char == "}":
            options.append("".join(current))
            return rng.choice(options), pos + 1
        else:
            current.append(char)
        pos += 1
    return "".join(current), pos


def _matching_brace(text: str, start: int) -> int | None:
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return None
