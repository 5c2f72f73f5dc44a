"""A `uiautomator dump` → a flat list of nodes in document order."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

#: Real Android prints this (sic) right after the XML when dumping to /dev/tty.
DUMP_TAIL = "UI hierchary dumped to:"
_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


class DumpError(Exception):
    """The dump output is not a hierarchy (uiautomator printed an error instead)."""


@dataclass(frozen=True, slots=True)
class Node:
    resource_id: str
    text: str
    content_desc: str
    class_name: str
    package: str
    bounds: tuple[int, int, int, int]
    clickable: bool
    selected: bool
    checked: bool

    @property
    def center(self) -> tuple[int, int]:
        left, top, right, bottom = self.bounds
        return (left + right) // 2, (top + bottom) // 2


def inside(outer: Node, nodes: list[Node]) -> list[Node]:
    """The nodes drawn within ``outer`` (its descendants, in a flat dump), ``outer`` excluded."""
    left, top, right, bottom = outer.bounds
    return [n for n in nodes if n is not outer and left <= n.bounds[0] and top <= n.bounds[1]
            and n.bounds[2] <= right and n.bounds[3] <= bottom]


def parse(output: str) -> list[Node]:
    """Parse a dump's output (the XML, possibly followed by the tail line)."""
    start = output.find("<?xml")
    if start < 0:
        start = output.find("<hierarchy")
    end = output.rfind("</hierarchy>")
    if start < 0 or end < 0:
        raise DumpError(output.strip()[:200] or "empty dump")
    try:
        root = ET.fromstring(output[start:end + len("</hierarchy>")])
    except ET.ParseError as error:
        raise DumpError(f"unreadable dump: {error}") from None
    return [_node(element) for element in root.iter("node")]


def _node(element: ET.Element) -> Node:
    match = _BOUNDS.fullmatch(element.get("bounds", ""))
    bounds = tuple(int(v) for v in match.groups()) if match else (0, 0, 0, 0)
    return Node(
        resource_id=element.get("resource-id", ""),
        text=element.get("text", ""),
        content_desc=element.get("content-desc", ""),
        class_name=element.get("class", ""),
        package=element.get("package", ""),
        bounds=bounds,  # type: ignore[arg-type]
        clickable=element.get("clickable") == "true",
        selected=element.get("selected") == "true",
        checked=element.get("checked") == "true",
    )
