"""Simulated screens built from real dumps (``real/``), not re-modelled by hand.

``real/SCREENS.toml`` says which real dump shows which simulated screen in
which state, for each app version, and what a tap on its real nodes does: a
rule names a node of that dump by its exact text, content-desc or id, and the
action goes to the node a tap on its centre reaches, as on Android: the
clickable node under that point, or its nearest clickable ancestor (a rule on
a node a tap cannot reach is refused: a real tap there does nothing). The account name the dump shows is replaced
by the simulated one; a state no dump shows may be derived from one that
does by replacing texts (``replace``).
"""

from __future__ import annotations

import os
import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tikmatrixd.sim import corpus
from tikmatrixd.sim.ui import Node

_FLAGS = ("checkable", "checked", "clickable", "focusable", "focused", "scrollable", "selected", "password")


@dataclass(frozen=True)
class NodeRule:
    """A node of a dump named by its exact text, desc and/or id, and what to do with it: the
    action a tap on it triggers ("follow:{user}", "close:"), or the text it gets."""

    value: str  # {user} is filled in when rendered
    text: str | None = None
    desc: str | None = None
    rid: str | None = None  # a short id ("fmp") or a full one

    def matches(self, node: Node) -> bool:
        if self.text is not None and node.text != self.text:
            return False
        if self.desc is not None and node.desc != self.desc:
            return False
        if self.rid is not None and not (node.rid == self.rid or node.rid.endswith(":id/" + self.rid)):
            return False
        return True


@dataclass(frozen=True)
class Template:
    dump: corpus.Dump
    screen: str
    state: str
    taps: tuple[NodeRule, ...]
    #: Texts changed to derive a state no dump shows (node → new text): less certain than the dump.
    replace: tuple[NodeRule, ...] = ()
    #: Texts the capturer scrubbed that a phone shows (the own profile's name): node → text, {user} filled in.
    fills: tuple[NodeRule, ...] = ()

    def render(self, user: str = "") -> list[Node]:
        """The dump's windows for ``user``: a cached tree, never to be changed by the caller."""
        return list(_render(self, user))


class TemplateError(Exception):
    """SCREENS.toml names a dump or a node that does not exist, or a node nothing clickable holds."""


def _parse(dump: corpus.Dump) -> list[Node]:
    root = ET.fromstring(dump.read())
    package = root.get("package", "")
    return [_node(element, package) for element in root]


def _node(element: ET.Element, package: str) -> Node:
    package = element.get("package", package)
    left, top, right, bottom = (int(v) for v in re.findall(r"-?\d+", element.get("bounds", "")))
    node = Node(
        cls=corpus.full_class(element.get("class", "")), bounds=(left, top, right, bottom),
        text=element.get("text", ""), rid=corpus.full_id(element.get("resource-id", ""), package),
        desc=element.get("content-desc", ""), package=package, hint=element.get("hint", ""),
        long_clickable=element.get("long-clickable") == "true", enabled=element.get("enabled") != "false",
        **{flag: element.get(flag) == "true" for flag in _FLAGS},  # type: ignore[arg-type]
    )
    node.kids = [_node(kid, package) for kid in element]
    return node


def _substitute(value: str, old: str, new: str) -> str:
    if not old or not value or old not in value:
        return value
    return re.sub(rf"(?<![\w.]){re.escape(old)}(?!\w)", new.replace("\\", "\\\\"), value)


@lru_cache(maxsize=256)
def _render(template: Template, user: str) -> tuple[Node, ...]:
    windows = _parse(template.dump)
    parents: dict[int, Node] = {}
    for window in windows:
        for node in window.walk():
            for kid in node.kids:
                parents[id(kid)] = node
            for rule in template.replace:  # a derived state first: its tap rules name its texts
                if rule.matches(node):
                    node.text = rule.value
    for rule in template.taps:  # on the dump's own texts, before the account name is substituted
        found = [node for window in windows for node in window.walk() if rule.matches(node)]
        if not found:
            raise TemplateError(f"{template.dump.name}: no node for tap rule {rule}")
        for node in found:
            target = _tap_target(node, parents)
            if target is None:
                raise TemplateError(f"{template.dump.name}: a tap on the node of {rule} reaches nothing clickable")
            target.action = rule.value.replace("{user}", user)
    for window in windows:
        for node in window.walk():
            if user and template.dump.user:
                node.text = _substitute(node.text, template.dump.user, user)
                node.desc = _substitute(node.desc, template.dump.user, user)
            for rule in template.fills:
                if rule.matches(node):
                    node.text = rule.value.replace("{user}", user)
    return tuple(windows)


def _tap_target(node: Node, parents: dict[int, Node]) -> Node | None:
    """What a tap on the node's centre reaches: itself or its nearest clickable ancestor, else the
    clickable node drawn under its centre inside it (a container whose child takes the touch)."""
    target: Node | None = node
    while target is not None and not target.clickable:
        target = parents.get(id(target))
    if target is not None:
        return target
    left, top, right, bottom = node.bounds
    x, y = (left + right) // 2, (top + bottom) // 2
    inner = [n for n in node.walk() if n.clickable and n.contains(x, y)]
    return inner[-1] if inner else None


@lru_cache(maxsize=1)
def templates() -> dict[tuple[str, str], dict[tuple[str, str, str], Template]]:
    """(app, version) → (screen, state, language) → template, from ``real/SCREENS.toml``."""
    with open(os.path.join(corpus.REAL_DIR, "SCREENS.toml"), "rb") as handle:
        raw: dict[str, Any] = tomllib.load(handle)
    dumps = corpus.manifest()
    table: dict[tuple[str, str], dict[tuple[str, str, str], Template]] = {}
    for entry in raw.get("screen", []):
        dump = dumps.get(entry["dump"])
        if dump is None:
            raise TemplateError(f"SCREENS.toml: no dump {entry['dump']} in the manifest")
        version = entry.get("version", dump.version)  # a 47.x dump may stand for 47.0.3's missing state
        taps = tuple(NodeRule(value=t["action"], text=t.get("text"), desc=t.get("desc"), rid=t.get("id"))
                     for t in entry.get("taps", []))
        fills = tuple(NodeRule(value=f["with"], text=f.get("text"), desc=f.get("desc"), rid=f.get("id"))
                      for f in entry.get("fill", []))
        replace = tuple(NodeRule(value=r["with"], text=r.get("text"), desc=r.get("desc"), rid=r.get("id"))
                        for r in entry.get("replace", []))
        template = Template(dump=dump, screen=entry.get("screen", dump.screen), state=entry.get("state", dump.state),
                            taps=taps, replace=replace, fills=fills)
        table.setdefault((dump.app, version), {})[(template.screen, template.state, dump.language)] = template
    return table


def find(app: str, version: str, language: str, screen: str, state: str = "") -> Template | None:
    """The template of this screen in this state (or its only state) in the app's version and UI language."""
    screens = templates().get((app, version), {})
    template = screens.get((screen, state, language))
    if template is None and not state:
        template = next((t for (name, _, lang), t in screens.items() if name == screen and lang == language), None)
    return template
