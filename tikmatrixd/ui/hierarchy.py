"""A `uiautomator dump` → a flat list of nodes in document order.

Reads stock ``uiautomator dump`` output and uiautomator2's alike (extra
attributes such as ``visible-to-user`` or ``NAF`` are ignored). Each node
knows its parent's position in the list, so the clickable ancestor a tap on
it reaches (as Android routes a touch) can be found.
"""

from __future__ import annotations

import re
import sys
from typing import NamedTuple
from xml.parsers import expat

#: Real Android prints this (sic) right after the XML when dumping to /dev/tty.
DUMP_TAIL = "UI hierchary dumped to:"
_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


class DumpError(Exception):
    """The dump output is not a hierarchy (uiautomator printed an error instead)."""


class Node(NamedTuple):
    """One element of a dump. A NamedTuple: a real screen has ~330 of them, built on every dump,
    and a frozen dataclass's __init__ cost three times as much."""

    resource_id: str
    text: str
    content_desc: str
    class_name: str
    package: str
    bounds: tuple[int, int, int, int]
    clickable: bool
    selected: bool
    checked: bool
    parent: int = -1  # the parent's index in the list parse() returns; -1 for a window

    @property
    def center(self) -> tuple[int, int]:
        left, top, right, bottom = self.bounds
        return (left + right) // 2, (top + bottom) // 2


def inside(outer: Node, nodes: list[Node]) -> list[Node]:
    """The nodes drawn within ``outer`` (its descendants, in a flat dump), ``outer`` excluded."""
    left, top, right, bottom = outer.bounds
    return [n for n in nodes if n is not outer and left <= n.bounds[0] and top <= n.bounds[1]
            and n.bounds[2] <= right and n.bounds[3] <= bottom]


def parse(output: str | bytes) -> list[Node]:
    """Parse a dump's output (the XML, possibly followed by the tail line), as text or as the
    phone's UTF-8 bytes.

    Dumps in uiautomator's own attribute order (every real one so far) are read by one regular
    expression, in C, a node per match; anything else, or anything it is unsure of, by expat,
    which reads any XML. Both give the same nodes (tests/real checks it on every real dump)."""
    data = output.encode("utf-8", "replace") if isinstance(output, str) else output
    start, end = data.find(b"<?xml"), data.rfind(b"</hierarchy>")
    start = start if start >= 0 else data.find(b"<hierarchy")
    if start < 0 or end < 0:
        raise DumpError(data.decode("utf-8", "replace").strip()[:200] or "empty dump")
    xml = data[start:end + len("</hierarchy>")]
    try:
        nodes = _parse_stock(xml.decode())
    except UnicodeDecodeError:
        nodes = None
    return nodes if nodes is not None else _parse_expat(xml)


#: One node of a stock dump (uiautomator2's adds visible-to-user before bounds, more after),
#: or a closing tag. Attribute values never hold a raw ``"``: the dumper escapes it.
_STOCK_NODE = re.compile(
    r'<(?:node (?:NAF="true" )?index="[0-9]+" text="([^"]*)" resource-id="([^"]*)" class="([^"]*)" package="([^"]*)"'
    r' content-desc="([^"]*)" checkable="[a-z]+" checked="([a-z]+)" clickable="([a-z]+)" enabled="[a-z]+"'
    r' focusable="[a-z]+" focused="[a-z]+" scrollable="[a-z]+" long-clickable="[a-z]+" password="[a-z]+"'
    r' selected="([a-z]+)"(?: visible-to-user="[a-z]+")?'
    r' bounds="\[(-?[0-9]+),(-?[0-9]+)\]\[(-?[0-9]+),(-?[0-9]+)\]"(?: [a-z-]+="[^"]*")* ?(/?)>'
    r"|(/)node>)")
_ENTITY = re.compile(r"&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class _Unsure(Exception):
    """The fast reading cannot be sure it reads this dump as an XML parser would."""


def _parse_stock(xml: str) -> list[Node] | None:
    """The nodes of a dump in uiautomator's attribute order; None when it is not one."""
    nodes: list[Node] = []
    open_nodes = [-1]
    closed = 0
    intern = sys.intern
    try:
        for text, rid, cls, pkg, desc, checked, clickable, selected, left, top, right, bottom, leaf, close \
                in _STOCK_NODE.findall(xml):
            if close:
                open_nodes.pop()
                closed += 1
                continue
            nodes.append(Node(intern(_value(rid)), _value(text), _value(desc), intern(_value(cls)),
                              intern(_value(pkg)), (int(left), int(top), int(right), int(bottom)),
                              clickable == "true", selected == "true", checked == "true", open_nodes[-1]))
            if not leaf:
                open_nodes.append(len(nodes) - 1)
    except (_Unsure, IndexError):
        return None
    # Every tag read (the nodes, their ends, and <?xml>, <hierarchy>, </hierarchy>) and none left
    # open: else something did not match (or a value holds a raw "<"), and expat reads the dump.
    if open_nodes != [-1] or xml.count("<") != len(nodes) + closed + 2 + xml.startswith("<?xml"):
        return None
    return nodes


def _value(raw: str) -> str:
    """An attribute's value as an XML parser gives it: line breaks and tabs as spaces, then the
    entities replaced (``&#10;`` stays a line break)."""
    if "\n" in raw or "\r" in raw or "\t" in raw:
        raw = raw.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    if "&" in raw:
        if raw.count("&") != len(_ENTITY.findall(raw)):
            raise _Unsure()  # a bare "&": the same
        raw = _ENTITY.sub(_entity, raw)
    return raw


def _entity(match: re.Match[str]) -> str:
    decimal, hexadecimal, name = match.groups()
    if name:
        return _NAMED[name]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
        return chr(code)
    raise _Unsure()  # not a character XML allows: expat refuses the dump


def _parse_expat(xml: bytes) -> list[Node]:
    """Any XML: expat calls back per element and the node is built from its attributes at once."""
    nodes: list[Node] = []
    open_nodes = [-1]  # the index of each <node> still open; -1: the hierarchy (a window's parent)

    def start_element(name: str, attributes: dict[str, str]) -> None:
        if name == "node":
            nodes.append(_node(attributes, open_nodes[-1]))
            open_nodes.append(len(nodes) - 1)
        else:
            open_nodes.append(open_nodes[-1])

    parser = expat.ParserCreate()
    parser.StartElementHandler = start_element
    parser.EndElementHandler = lambda name: open_nodes.pop()
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as error:
        replaced = xml.decode("utf-8", "replace").encode()
        if replaced != xml:  # not UTF-8 after all: read again with the bad bytes replaced
            return _parse_expat(replaced)
        raise DumpError(f"unreadable dump: {error}") from None
    return nodes


def tap_target(node: Node, nodes: list[Node]) -> Node | None:
    """The node a tap on ``node``'s centre reaches, as Android routes a touch: the deepest
    clickable node inside it under that point (a container whose child takes the touch),
    else itself if clickable, else its nearest clickable ancestor."""
    index = next(i for i, candidate in enumerate(nodes) if candidate is node)
    x, y = node.center
    found = None
    for j in range(index + 1, len(nodes)):  # its descendants follow it in document order
        candidate, parent = nodes[j], nodes[j].parent
        while parent > index:
            parent = nodes[parent].parent
        if parent != index:
            break
        left, top, right, bottom = candidate.bounds
        if candidate.clickable and left <= x < right and top <= y < bottom:
            found = candidate
    if found is not None:
        return found
    while not node.clickable:
        if node.parent < 0:
            return None
        node = nodes[node.parent]
    return node


def _node(attributes: dict[str, str], parent: int) -> Node:
    # Ids, classes and packages repeat on every screen of every phone: interned, a farm's running
    # tasks share one copy of each (a thousand phones each holding a 330-node screen otherwise
    # held 330 copies of "com.zhiliaoapp.musically" apiece).
    match = _BOUNDS.fullmatch(attributes.get("bounds", ""))
    return Node(
        resource_id=sys.intern(attributes.get("resource-id", "")),
        text=attributes.get("text", ""),
        content_desc=attributes.get("content-desc", ""),
        class_name=sys.intern(attributes.get("class", "")),
        package=sys.intern(attributes.get("package", "")),
        bounds=(int(match[1]), int(match[2]), int(match[3]), int(match[4])) if match else (0, 0, 0, 0),
        clickable=attributes.get("clickable") == "true",
        selected=attributes.get("selected") == "true",
        checked=attributes.get("checked") == "true",
        parent=parent,
    )
