"""View trees: nodes with bounds, the uiautomator XML they dump to, and tap hit-testing.

Apps build a fresh tree of :class:`Node` for every dump and every tap, from
their state, so what a script reads is always what a tap would hit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

Bounds = tuple[int, int, int, int]

#: Pixel 6a (the phone the TikTok 47.0.3 dumps come from): 1080x2400, status bar 132 px.
SCREEN_W, SCREEN_H = 1080, 2400
STATUS_H = 132
NAV_TOP = 2337  # gesture bar at the bottom, as in tt4703_* dumps


@dataclass
class Node:
    cls: str
    bounds: Bounds
    text: str = ""
    rid: str = ""
    desc: str = ""
    package: str = ""
    clickable: bool = False
    long_clickable: bool = False
    focusable: bool = False
    focused: bool = False
    scrollable: bool = False
    selected: bool = False
    checkable: bool = False
    checked: bool = False
    enabled: bool = True
    password: bool = False
    hint: str = ""
    #: What a tap on this node means to the app ("follow", "tab:profile", ...).
    action: str = ""
    kids: list[Node] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        yield self
        for kid in self.kids:
            yield from kid.walk()

    def contains(self, x: int, y: int) -> bool:
        left, top, right, bottom = self.bounds
        return left <= x < right and top <= y < bottom


def N(cls: str, bounds: Bounds, *kids: Node, **attrs: object) -> Node:
    """Short constructor: ``N("android.widget.Button", (0, 0, 10, 10), text="Follow")``."""
    if not cls.startswith(("android", "X.", "com.")):
        cls = "android.widget." + cls
    node = Node(cls=cls, bounds=bounds, **attrs)  # type: ignore[arg-type]
    node.kids = list(kids)
    if node.action and not node.clickable:
        node.clickable = True
        node.focusable = True
    return node


def _attr(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;"))


def _b(v: bool) -> str:
    return "true" if v else "false"


def _node_xml(node: Node, index: int, package: str, out: list[str]) -> None:
    pkg = node.package or package
    l, t, r, b = node.bounds
    out.append(
        f'<node index="{index}" text="{_attr(node.text)}" resource-id="{_attr(node.rid)}" '
        f'class="{node.cls}" package="{pkg}" content-desc="{_attr(node.desc)}" '
        f'checkable="{_b(node.checkable)}" checked="{_b(node.checked)}" clickable="{_b(node.clickable)}" '
        f'enabled="{_b(node.enabled)}" focusable="{_b(node.focusable)}" focused="{_b(node.focused)}" '
        f'scrollable="{_b(node.scrollable)}" long-clickable="{_b(node.long_clickable)}" '
        f'password="{_b(node.password)}" selected="{_b(node.selected)}" bounds="[{l},{t}][{r},{b}]"'
    )
    if node.kids:
        out.append(">")
        for i, kid in enumerate(node.kids):
            _node_xml(kid, i, pkg, out)
        out.append("</node>")
    else:
        out.append(" />")


def to_xml(windows: list[Node]) -> str:
    """Stock ``uiautomator dump`` format: one line, windows as sibling roots."""
    out = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>", '<hierarchy rotation="0">']
    for window in windows:
        _node_xml(window, 0, window.package, out)
    out.append("</hierarchy>")
    return "".join(out)


def hit(windows: list[Node], x: int, y: int) -> Node | None:
    """The deepest clickable node under the point, topmost window first."""
    for window in reversed(windows):
        found = _deepest(window, x, y)
        if found is not None:
            return found
        if window.package != "com.android.systemui" and window.contains(x, y) and window.clickable:
            return window
    return None


def _deepest(node: Node, x: int, y: int) -> Node | None:
    if not node.contains(x, y):
        return None
    for kid in reversed(node.kids):  # later siblings draw on top
        found = _deepest(kid, x, y)
        if found is not None:
            return found
    return node if node.clickable else None


def focused(windows: list[Node]) -> Node | None:
    for window in windows:
        for node in window.walk():
            if node.focused:
                return node
    return None


def status_bar(clock: str = "12:00") -> Node:
    """The SystemUI status bar window every dump starts with (from tt4703_fr_* dumps)."""
    sysui = "com.android.systemui"
    return N("FrameLayout", (0, 0, SCREEN_W, STATUS_H),
             N("FrameLayout", (0, 0, SCREEN_W, STATUS_H),
               N("TextView", (47, 37, 154, 95), text=clock, desc=clock, rid=f"{sysui}:id/clock", package=sysui),
               rid=f"{sysui}:id/status_bar", package=sysui),
             package=sysui)


def app_window(package: str, *content: Node) -> Node:
    """The app's root window down to ``android:id/content``, as in every real dump."""
    full = (0, 0, SCREEN_W, SCREEN_H)
    return N("FrameLayout", full,
             N("LinearLayout", full,
               N("FrameLayout", full, *content, rid="android:id/content")),
             package=package)
