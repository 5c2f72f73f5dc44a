"""The corpus of real app screens: uiautomator dumps captured on real phones by others.

Each file in ``real/{tiktok,instagram}/`` is a *transcription* of one real
dump: every node, in order, with every attribute whose value is not the
default (see ``real/README.md``). ``expand()`` turns it back into the XML a
phone prints, in stock ``uiautomator dump`` form or uiautomator2's, so the
screen reader is tested on both. ``real/MANIFEST.toml`` says where each dump
comes from, which app version and language, which screen and state it shows.
"""

from __future__ import annotations

import os
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache

REAL_DIR = os.path.join(os.path.dirname(__file__), "real")

#: The stock attributes, in the order `uiautomator dump` prints them, with their defaults.
STOCK = (("index", None), ("text", ""), ("resource-id", ""), ("class", None), ("package", None),
         ("content-desc", ""), ("checkable", "false"), ("checked", "false"), ("clickable", "false"),
         ("enabled", "true"), ("focusable", "false"), ("focused", "false"), ("scrollable", "false"),
         ("long-clickable", "false"), ("password", "false"), ("selected", "false"))
#: What uiautomator2's dump adds (between selected and bounds, and after bounds).
U2_BEFORE_BOUNDS = (("visible-to-user", "true"),)
U2_AFTER_BOUNDS = (("drawing-order", "0"), ("hint", ""), ("display-id", "0"))
KNOWN = {name for name, _ in STOCK} | {"bounds", "NAF"} | {n for n, _ in U2_BEFORE_BOUNDS + U2_AFTER_BOUNDS}


class CorpusError(Exception):
    """A transcription is malformed; the message names the file and node."""


@dataclass(frozen=True)
class Dump:
    """One real dump and what the manifest says of it."""

    name: str  # file name without .xml, e.g. "tt4703_fr_profile_followed"
    app: str  # "tiktok" | "instagram"
    version: str
    language: str
    screen: str
    state: str
    user: str  # the account name the screen shows (anonymised), "" when none
    source: str  # repo@commit:path of the original
    size: tuple[int, int]  # the phone's screen, from the root window's bounds

    @property
    def path(self) -> str:
        return os.path.join(REAL_DIR, self.app, self.name + ".xml")

    def read(self) -> str:
        with open(self.path, encoding="utf-8") as handle:
            return handle.read()

    def xml(self, style: str = "stock") -> str:
        return expand(self.read(), style=style, where=self.name)


def full_class(value: str) -> str:
    return value if not value or "." in value else "android.widget." + value


def full_id(value: str, package: str) -> str:
    """``fmp`` is ``PKG:id/fmp``; ``!igds_button`` an id printed without a package, as some are."""
    if value.startswith("!"):
        return value[1:]
    if not value or ":" in value:
        return value
    return f"{package}:id/{value}"


def _esc(value: str) -> str:
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


def expand(text: str, *, style: str = "stock", where: str = "dump") -> str:
    """A transcription as a phone prints it: ``stock`` (one line) or ``u2`` (uiautomator2, indented)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise CorpusError(f"{where}: not XML: {error}") from None
    if root.tag != "hierarchy" or not root.get("package"):
        raise CorpusError(f"{where}: the root must be <hierarchy package=...>")
    u2 = style == "u2"
    out: list[str] = []
    head = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>" if u2 else \
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
    out.append(head + ("\n" if u2 else ""))
    out.append(f'<hierarchy rotation="{root.get("rotation", "0")}">' + ("\n" if u2 else ""))
    for element in root:  # each window's root is index 0, as uiautomator prints them
        _expand_node(element, 0, root.get("package", ""), 1, u2, out, where)
    out.append("</hierarchy>")
    return "".join(out)


def _expand_node(element: ET.Element, index: int, package: str, depth: int, u2: bool, out: list[str],
                 where: str) -> None:
    if element.tag != "node":
        raise CorpusError(f"{where}: unexpected <{element.tag}>")
    unknown = set(element.attrib) - KNOWN
    if unknown or "class" not in element.attrib or "bounds" not in element.attrib:
        raise CorpusError(f"{where}: node {element.attrib} (needs class and bounds; unknown {sorted(unknown)})")
    package = element.get("package", package)
    values = {name: element.get(name, default) for name, default in STOCK}
    values.update(index=str(index), package=package, **{"class": full_class(element.attrib["class"])},
                  **{"resource-id": full_id(element.get("resource-id", ""), package)})
    attrs = []
    if element.get("NAF") == "true":
        attrs.append('NAF="true"')
    attrs += [f'{name}="{_esc(values[name] or "")}"' for name, _ in STOCK]
    if u2:
        attrs += [f'{name}="{_esc(element.get(name, default))}"' for name, default in U2_BEFORE_BOUNDS]
    attrs.append(f'bounds="{element.attrib["bounds"]}"')
    if u2:
        attrs += [f'{name}="{_esc(element.get(name, default))}"' for name, default in U2_AFTER_BOUNDS]
    pad = "  " * depth if u2 else ""
    kids = list(element)
    end = "\n" if u2 else ""
    if kids:
        out.append(f"{pad}<node {' '.join(attrs)}>{end}")
        for i, kid in enumerate(kids):
            _expand_node(kid, i, package, depth + 1, u2, out, where)
        out.append(f"{pad}</node>{end}")
    else:
        out.append(f"{pad}<node {' '.join(attrs)}{'/' if u2 else ' /'}>{end}")


@lru_cache(maxsize=1)
def manifest() -> dict[str, Dump]:
    """Every dump of the corpus by name, from ``real/MANIFEST.toml``."""
    with open(os.path.join(REAL_DIR, "MANIFEST.toml"), "rb") as handle:
        raw = tomllib.load(handle)
    dumps = {}
    for name, entry in raw.items():
        dumps[name] = Dump(name=name, app=entry["app"], version=entry["version"], language=entry["language"],
                           screen=entry["screen"], state=entry.get("state", ""), user=entry.get("user", ""),
                           source=entry["source"], size=tuple(entry.get("size", (1080, 2400))))  # type: ignore[arg-type]
    return dumps


def dumps(app: str | None = None, screen: str | None = None) -> list[Dump]:
    return [d for d in manifest().values()
            if (app is None or d.app == app) and (screen is None or d.screen == screen)]


if __name__ == "__main__":  # python -m tikmatrixd.sim.corpus FILE...: check transcriptions
    import sys

    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        full = expand(source, where=path)
        nodes = full.count("<node ")
        ET.fromstring(full[full.index("<hierarchy"):])
        print(f"{path}: ok, {nodes} nodes, {len(source)} chars transcribed, {len(full)} chars expanded")
