"""Every pack selector against every real dump of its screen (tikmatrixd/sim/real/).

``expected.toml`` says, for each real dump, which selectors must resolve on
it and where, and which must not (``false``: the element is not on that
screen, e.g. Follow on a followed profile). Where is a box read off the
dump: ``[l, t, r, b]``, the element's bounds, for what scripts read;
``{ tap = [l, t, r, b] }`` for what they tap: the bounds of the clickable
element a person would tap, which a tap on the node found must reach. Every selector of a dump's
screen must be listed, so a new selector or a new dump cannot go untested.
A miss prints the closest nodes of the dump.
"""

from __future__ import annotations

import json
import os
import tomllib

import pytest

from tikmatrixd.sim import corpus
from tikmatrixd.ui import diagnose, hierarchy
from tikmatrixd.ui.hierarchy import parse, tap_target
from tikmatrixd.ui.selectors import load_packs

HERE = os.path.dirname(__file__)
PACKS = load_packs()
DUMPS = sorted(corpus.manifest().values(), key=lambda d: d.name)
with open(os.path.join(HERE, "expected.toml"), "rb") as _handle:
    EXPECTED = tomllib.load(_handle)

#: The pack screen whose selectors are checked on a dump of each manifest screen (upload banners
#: live on the feed; Instagram's search results are its explore screen). None: no script reads it.
PACK_SCREENS = {
    "tiktok": {"uploading": "feed", "posted": "feed", "dialog": "dialogs", "sound_page": None, "other": None},
    "instagram": {"uploading": "feed", "dialog": "dialogs", "search": "explore", "search_results": "explore",
                  "compose": "composer", "story_camera": None, "other": None},
}


def pack_screen(dump: corpus.Dump) -> str | None:
    return PACK_SCREENS[dump.app].get(dump.screen, dump.screen)


def _checks() -> list[tuple[str, str]]:
    return [(dump.name, name) for dump in DUMPS for name in EXPECTED.get(dump.name, {})]


def test_every_file_is_in_the_manifest_and_every_dump_has_expectations():
    for app in ("tiktok", "instagram"):
        files = {n[:-4] for n in os.listdir(os.path.join(corpus.REAL_DIR, app)) if n.endswith(".xml")}
        listed = {d.name for d in DUMPS if d.app == app}
        assert files == listed, f"{app}: files without a manifest entry {files - listed}, missing {listed - files}"
    assert set(EXPECTED) <= {d.name for d in DUMPS}, set(EXPECTED) - {d.name for d in DUMPS}


@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.name)
def test_stock_and_uiautomator2_forms_read_the_same(dump):
    stock, u2 = parse(dump.xml("stock")), parse(dump.xml("u2"))
    assert stock == u2
    assert parse(dump.xml("stock").encode()) == stock  # the phone's bytes, read without decoding
    for style in ("stock", "u2"):  # the fast reading takes every real dump, and reads it as expat does
        xml = dump.xml(style)
        assert hierarchy._parse_stock(xml[xml.index("<"):]) == hierarchy._parse_expat(xml.encode()) == stock
    assert len(stock) == dump.read().count("<node")
    width, height = dump.size  # the phone's screen: every node lies on it
    assert all(0 <= n.bounds[0] <= n.bounds[2] <= width and 0 <= n.bounds[1] <= n.bounds[3] <= height
               for n in stock)


@pytest.mark.parametrize("dump", DUMPS, ids=lambda d: d.name)
def test_every_selector_of_the_screen_is_expected_on_the_dump(dump):
    """Each selector of the dump's screen has an expectation: resolve (where) or not."""
    screen = pack_screen(dump)
    if screen is None:
        return
    pack = PACKS[dump.app]
    wanted = {s.name for s in pack.screen(screen)}
    assert wanted, f"the {dump.app} pack has no screen {screen}"
    missing = wanted - set(EXPECTED.get(dump.name, {}))
    assert not missing, f"{dump.name}: no expectation for {sorted(missing)}"


@pytest.mark.parametrize(("name", "selector"), _checks(), ids=[f"{d}:{s}" for d, s in _checks()])
def test_selector_on_real_dump(name, selector):
    dump = corpus.manifest()[name]
    pack = PACKS[dump.app]
    nodes = parse(dump.xml())
    chosen = pack[selector].fill(user=dump.user)
    resolution = diagnose.resolve(chosen, nodes)
    where = EXPECTED[name][selector]
    report = "\n".join(diagnose.explain(resolution))
    if where is False:
        assert resolution.node is None, f"{name}: {selector} must not resolve here:\n{report}"
        return
    assert resolution.node is not None, f"{name}: {selector} misses:\n{report}"
    tapped = isinstance(where, dict)
    left, top, right, bottom = where["tap"] if tapped else where
    x, y = resolution.node.center
    assert left <= x < right and top <= y < bottom, \
        f"{name}: {selector} found a node outside {[left, top, right, bottom]}, the element meant:\n{report}"
    if tapped:
        target = tap_target(resolution.node, nodes)
        assert target is not None, f"{name}: {selector}: a tap there reaches nothing clickable:\n{report}"
        assert target.bounds == (left, top, right, bottom), \
            f"{name}: {selector}: a tap reaches {diagnose.describe(target)}, not the element meant:\n{report}"


def _proven(app: str) -> dict[str, list[str]]:
    """Per selector of the app's pack, the "version language" of the real dumps it must resolve on."""
    proven: dict[str, set[str]] = {name: set() for name in PACKS[app].selectors}
    for name, expectations in EXPECTED.items():
        dump = corpus.manifest()[name]
        if dump.app == app:
            for selector, where in expectations.items():
                if where is not False:
                    proven[selector].add(f"{dump.version} {dump.language}")
    return {name: sorted(versions, key=_version_key) for name, versions in proven.items()}


def _version_key(label: str) -> tuple[tuple[int, ...], str]:
    version, language = label.split()
    return tuple(int(part) for part in version.split(".")), language


@pytest.mark.parametrize("app", sorted(PACKS))
def test_each_pack_records_what_the_real_dumps_prove(app):
    """[checked] in the pack lists, per selector, the versions and languages it resolves on; [meta] versions
    spans exactly those (a selector with none was written without a real dump: hand-written screens only)."""
    pack, proven = PACKS[app], _proven(app)
    table = "\n".join(f'"{name}" = {json.dumps(versions)}' for name, versions in proven.items())
    assert {name: list(versions) for name, versions in pack.checked.items()} == proven, \
        f"{pack.path}: [checked] should read\n[checked]\n{table}"
    versions = sorted({label.split()[0] for labels in proven.values() for label in labels},
                      key=lambda v: tuple(int(p) for p in v.split(".")))
    assert pack.versions == f">={versions[0]}, <={versions[-1]}", pack.versions
