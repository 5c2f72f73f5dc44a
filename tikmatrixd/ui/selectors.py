"""Selectors as data: per app, per screen, several alternatives each.

A pack is a TOML file (``tikmatrixd/ui/packs/*.toml``; ``config/selectors``
points there) with a ``[meta]`` table and one table per screen, whose keys
are selector names and whose values are lists of alternatives::

    [profile]
    follow_button = [
      { id = "profile_header_follow_button", text = "^(Follow|Suivre)$", regex = true },
      { text = "Follow", class = "android.widget.Button" },
    ]

Alternatives are tried in order; the first that matches a node wins (so an
exact, version-tagged one goes first and a loose fallback last). An
alternative matches a node when every attribute it gives matches
(``id`` = resource-id: a short id matches it in any package, so a pack serves
the app's clones too, e.g. ``com.ss.android.ugc.trill``; ``text``,
``desc`` = content-desc, ``class``); ``regex = true`` makes text and desc
full-match regular expressions. ``{user}`` in text or desc is filled in at
run time (regex-escaped in regex alternatives).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tikmatrixd.tomlfile import ConfigError, read_toml
from tikmatrixd.ui.hierarchy import Node

PACKS_DIR = os.path.join(os.path.dirname(__file__), "packs")
_ATTRIBUTES = {"id": "resource_id", "text": "text", "desc": "content_desc", "class": "class_name"}


class PackError(ConfigError):
    """A selector pack is missing or malformed; the message names the file and key."""


@dataclass(frozen=True)
class Match:
    """One alternative: every attribute given must match."""

    resource_id: str | None = None
    text: str | None = None
    content_desc: str | None = None
    class_name: str | None = None
    regex: bool = False

    def matches(self, node: Node) -> bool:
        if self.resource_id is not None:
            if self.resource_id.startswith(":id/"):  # a short id, in whichever package
                if not node.resource_id.endswith(self.resource_id):
                    return False
            elif node.resource_id != self.resource_id:
                return False
        if self.class_name is not None and node.class_name != self.class_name:
            return False
        for wanted, value in ((self.text, node.text), (self.content_desc, node.content_desc)):
            if wanted is None:
                continue
            if self.regex:
                if not re.fullmatch(wanted, value, re.DOTALL):
                    return False
            elif value != wanted:
                return False
        return True

    def fill(self, values: dict[str, str]) -> Match:
        def fill_one(template: str | None) -> str | None:
            if template is None:
                return None
            for key, value in values.items():
                template = template.replace("{" + key + "}", re.escape(value) if self.regex else value)
            return template

        return replace(self, text=fill_one(self.text), content_desc=fill_one(self.content_desc))

    def any_value(self, key: str) -> Match:
        """``{key}`` matches any non-empty text (to look at a screen without knowing whose it is)."""
        placeholder = "{" + key + "}"
        if placeholder not in f"{self.text}{self.content_desc}":
            return self

        def widen(template: str | None) -> str | None:
            if template is None:
                return None
            if self.regex:
                return template.replace(placeholder, ".+")
            return ".+".join(re.escape(part) for part in template.split(placeholder))

        return replace(self, regex=True, text=widen(self.text), content_desc=widen(self.content_desc))


@dataclass(frozen=True)
class Selector:
    name: str  # "screen.name", as failures report it
    alternatives: tuple[Match, ...]

    def find(self, nodes: Sequence[Node]) -> Node | None:
        """The first node (in document order) the first matching alternative matches: a
        version-tagged id comes before a looser fallback that could match something else first."""
        for alt in self.alternatives:
            for node in nodes:
                if alt.matches(node):
                    return node
        return None

    def find_all(self, nodes: Iterable[Node]) -> list[Node]:
        return [node for node in nodes if any(alt.matches(node) for alt in self.alternatives)]

    def fill(self, **values: str) -> Selector:
        return Selector(self.name, tuple(alt.fill(values) for alt in self.alternatives))

    def any_user(self) -> Selector:
        """This selector with ``{user}`` matching anyone."""
        return Selector(self.name, tuple(alt.any_value("user") for alt in self.alternatives))


@dataclass(frozen=True)
class Pack:
    app: str
    package: str
    versions: str
    languages: tuple[str, ...]
    selectors: dict[str, Selector]
    path: str
    #: Per selector, the app versions and languages ("47.0.3 fr") of the real dumps it was
    #: checked on; none for one written without a real dump (tests/real keeps this true).
    checked: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Selector:
        try:
            return self.selectors[name]
        except KeyError:
            raise PackError(f"{self.path}: no selector {name}") from None

    def screen(self, screen: str) -> list[Selector]:
        return [s for name, s in self.selectors.items() if name.startswith(screen + ".")]


def load_pack(path: str) -> Pack:
    raw = read_toml(path, "selector pack", PackError)
    meta = raw.pop("meta", None)
    if not isinstance(meta, dict) or not {"app", "package", "versions"} <= meta.keys():
        raise PackError(f"{path}: [meta] needs app, package and versions")
    package = meta["package"]
    checked = raw.pop("checked", {})
    if not isinstance(checked, dict) or not all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in checked.values()):
        raise PackError(f"{path}: [checked] maps selector names to lists like [\"47.0.3 fr\"]")
    selectors: dict[str, Selector] = {}
    for screen, table in raw.items():
        if not isinstance(table, dict):
            raise PackError(f"{path}: {screen} must be a table of selectors")
        for name, alternatives in table.items():
            where = f"{path}: {screen}.{name}"
            if not isinstance(alternatives, list) or not alternatives:
                raise PackError(f"{where}: expected a non-empty list of alternatives")
            selectors[f"{screen}.{name}"] = Selector(
                f"{screen}.{name}", tuple(_match(alt, where) for alt in alternatives))
    return Pack(app=meta["app"], package=package, versions=meta["versions"],
                languages=tuple(meta.get("languages", ())), selectors=selectors, path=path,
                checked={name: tuple(versions) for name, versions in checked.items()})


def _match(raw: Any, where: str) -> Match:
    if not isinstance(raw, dict):
        raise PackError(f"{where}: each alternative is a table like {{ id = \"...\" }}")
    unknown = set(raw) - {*_ATTRIBUTES, "regex"}
    if unknown or not set(raw) & set(_ATTRIBUTES):
        raise PackError(f"{where}: use id, text, desc, class (and regex); got {sorted(raw)}")
    values = {_ATTRIBUTES[key]: value for key, value in raw.items() if key in _ATTRIBUTES}
    if "resource_id" in values and ":" not in values["resource_id"]:
        values["resource_id"] = f":id/{values['resource_id']}"
    if raw.get("regex"):
        for key in ("text", "content_desc"):
            if key in values:
                try:
                    re.compile(values[key])
                except re.error as error:
                    raise PackError(f"{where}: bad regex {values[key]!r}: {error}") from None
    return Match(regex=bool(raw.get("regex")), **values)


def load_packs(directory: str = "") -> dict[str, Pack]:
    """Every ``*.toml`` in ``directory`` (default: the built-in packs), by app name."""
    directory = directory or PACKS_DIR
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith(".toml"))
    except OSError as error:
        raise PackError(f"cannot read selector directory {directory}: {error.strerror}") from None
    packs = [load_pack(os.path.join(directory, name)) for name in names]
    return {pack.app: pack for pack in packs}
