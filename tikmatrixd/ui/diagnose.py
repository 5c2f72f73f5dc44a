"""What a selector resolves to on a screen, and when it resolves to nothing, the nodes it nearly matched.

Used wherever a person has to find out why a script missed: the real-dump
tests, ``tikmatrixd selectors check``, ``tikmatrixd doctor`` and a failed
task's artifacts. A candidate shares an id, a text or a content-desc with
one of the selector's alternatives (ignoring case, spaces and invisible
marks), so a renamed id or a reworded label shows up next to the miss.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tikmatrixd.ui.hierarchy import Node, tap_target
from tikmatrixd.ui.selectors import Match, Pack, Selector

#: Bidi and zero-width marks TikTok wraps names in; ignored when comparing loosely.
_INVISIBLE = re.compile("[\u200b-\u200f\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class Resolution:
    selector: Selector
    node: Node | None  # what the selector found
    target: Node | None  # what a tap on it reaches (its nearest clickable ancestor)
    candidates: tuple[Node, ...]  # when it found nothing: the closest nodes, best first


def _loose(text: str) -> str:
    return " ".join(_INVISIBLE.sub("", text).casefold().split())


def _similar(wanted: str | None, value: str, regex: bool) -> int:
    if wanted is None or not value:
        return 0
    if regex:
        try:
            if re.fullmatch(wanted, value.strip(), re.IGNORECASE | re.DOTALL) or \
                    re.fullmatch(wanted, _loose(value), re.IGNORECASE | re.DOTALL):
                return 3
        except re.error:
            return 0
        words = {w for w in re.findall(r"[^\W\d_]{3,}", wanted)}
        return 1 if any(w.casefold() in _loose(value) for w in words) else 0
    if _loose(wanted) == _loose(value):
        return 3
    return 1 if _loose(wanted) and _loose(wanted) in _loose(value) else 0


def _score(alt: Match, node: Node) -> int:
    score = 0
    if alt.resource_id is not None and node.resource_id:
        short = alt.resource_id.rsplit("/", 1)[-1]
        if node.resource_id.endswith("/" + short):
            score += 3
    score += _similar(alt.text, node.text, alt.regex) + _similar(alt.content_desc, node.content_desc, alt.regex)
    if score and alt.class_name is not None and node.class_name == alt.class_name:
        score += 1
    return score


def candidates(selector: Selector, nodes: list[Node], limit: int = 3) -> list[Node]:
    """The nodes closest to matching ``selector``, best first (none when nothing is close)."""
    scored = [(max(_score(alt, node) for alt in selector.alternatives), i) for i, node in enumerate(nodes)]
    best = sorted(((s, i) for s, i in scored if s > 0), key=lambda pair: (-pair[0], pair[1]))
    return [nodes[i] for _, i in best[:limit]]


def resolve(selector: Selector, nodes: list[Node]) -> Resolution:
    node = selector.find(nodes)
    if node is not None:
        return Resolution(selector, node, tap_target(node, nodes), ())
    return Resolution(selector, None, None, tuple(candidates(selector, nodes)))


def describe(node: Node) -> str:
    """One line a person can match against the dump."""
    short_class = node.class_name.rsplit(".", 1)[-1]
    parts = [short_class]
    if node.resource_id:
        parts.append(f"id={node.resource_id.rsplit('/', 1)[-1]}")
    if node.text:
        parts.append(f"text={node.text!r}")
    if node.content_desc:
        parts.append(f"desc={node.content_desc!r}")
    left, top, right, bottom = node.bounds
    parts.append(f"[{left},{top}][{right},{bottom}]")
    if node.clickable:
        parts.append("clickable")
    return " ".join(parts)


def explain(resolution: Resolution) -> list[str]:
    """The lines a report prints for one selector."""
    name = resolution.selector.name
    if resolution.node is not None:
        line = f"  ok    {name}: {describe(resolution.node)}"
        if resolution.target is None:
            line += "  (nothing clickable under it: a tap does nothing)"
        elif resolution.target is not resolution.node:
            line += f"  -> tap reaches {describe(resolution.target)}"
        return [line]
    lines = [f"  MISS  {name}"]
    lines += [f"          closest: {describe(node)}" for node in resolution.candidates]
    if not resolution.candidates:
        lines.append("          closest: nothing with a similar id, text or content-desc")
    return lines


def screens(pack: Pack) -> list[str]:
    """The pack's screens, in file order."""
    return list(dict.fromkeys(name.split(".", 1)[0] for name in pack.selectors))


def check_screen(pack: Pack, screen: str, nodes: list[Node], user: str = "") -> list[Resolution]:
    """Every selector of ``screen`` on these nodes (``{user}`` filled in, or matching anyone)."""
    selectors = [s.fill(user=user) if user else s.any_user() for s in pack.screen(screen)]
    return [resolve(s, nodes) for s in selectors]


def guess_screens(pack: Pack, nodes: list[Node], user: str = "") -> list[tuple[str, int, int]]:
    """(screen, selectors resolved, selectors) for each screen, the likeliest first.

    What counts first is what only that screen's selectors find (a Follow control says
    "someone's profile" where a "@handle" alone could be anyone's), then how many resolve.
    Dialogs and action-blocked notices are left out: they overlay any screen.
    """
    found: dict[str, set[int]] = {}  # the nodes each screen's selectors find
    hits: dict[str, int] = {}
    totals: dict[str, int] = {}
    for screen in screens(pack):
        if screen in ("dialogs", "blocked"):
            continue
        resolutions = check_screen(pack, screen, nodes, user)
        found[screen] = {id(r.node) for r in resolutions if r.node is not None}
        hits[screen] = sum(r.node is not None for r in resolutions)
        totals[screen] = len(resolutions)

    def rank(screen: str) -> tuple[int, int, float]:
        others = set().union(*(found[other] for other in found if other != screen))
        return -len(found[screen] - others), -hits[screen], -hits[screen] / totals[screen]

    return [(screen, hits[screen], totals[screen]) for screen in sorted(found, key=rank)]


def app_of(packs: dict[str, Pack], nodes: list[Node]) -> Pack | None:
    """The pack of the app that owns most of the screen (None when no pack's app is on it: say --app)."""
    counts = {pack.app: sum(node.package == pack.package for node in nodes) for pack in packs.values()}
    app = max(counts, key=lambda name: counts[name], default=None)
    return packs[app] if app is not None and counts[app] else None


def report(packs: dict[str, Pack], nodes: list[Node], *, app: str = "", screen: str = "",
           user: str = "") -> tuple[list[str], bool]:
    """A readable verdict on a screen: which app and screen it looks like, and every selector of
    that screen with what it resolves to. The flag is False when there was nothing to check
    (no pack for the app, no such screen)."""
    pack = packs.get(app) if app else app_of(packs, nodes)
    if pack is None:
        known = ", ".join(sorted(packs))
        return [f"no selector pack for {'app ' + app if app else 'the app on this screen'} (packs: {known}); "
                "say --app"], False
    lines = [f"app: {pack.app} (pack {pack.path}, versions {pack.versions})"]
    if not screen:
        ranked = guess_screens(pack, nodes, user)
        screen = ranked[0][0] if ranked else ""
        lines.append("looks like: " + ", ".join(f"{name} {hits}/{total}" for name, hits, total in ranked[:4]))
    if screen not in screens(pack):
        return lines + [f"no screen {screen!r} in the pack (screens: {', '.join(screens(pack))})"], False
    resolutions = check_screen(pack, screen, nodes, user)
    lines.append(f"screen {screen}:")
    for resolution in resolutions:
        lines += explain(resolution)
    return lines, True


def tried(selectors: dict[str, Selector], nodes: list[Node]) -> list[str]:
    """What each selector a script looked for matches on its last screen (a failed task's artifact)."""
    lines = []
    for selector in selectors.values():
        lines += explain(resolve(selector, nodes))
    return lines
