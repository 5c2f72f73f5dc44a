"""The simulator has a screen for every selector of the shipped packs, in English and French.

This proves the simulator can exercise every selector, not that the selectors
work on phones: that is tests/real, against real dumps. The screens come from
the simulator's own renderer (the XML `uiautomator dump` returns), in every
state the scripts meet: each screen, with each dialog, followed and not,
uploading and done, with and without a sound chosen.
"""

from __future__ import annotations

import time

import pytest

from tikmatrixd.sim.apps.base import Frame
from tikmatrixd.sim.device import SimDevice
from tikmatrixd.sim.state import INSTAGRAM, TIKTOK
from tikmatrixd.sim.ui import to_xml
from tikmatrixd.ui.hierarchy import parse
from tikmatrixd.ui.selectors import PackError, load_pack, load_packs

MEDIA = "/sdcard/DCIM/a.mp4"
PARAMS = {"profile": {"user": "someone"}, "search_results": {"q": "someone", "tab": "users"},
          "gallery": {"selected": [MEDIA]}, "editor": {"media": [MEDIA]}, "compose": {"media": [MEDIA]},
          "explore": {"q": "someone"}, "new_post": {"selected": [], "dest": "reel"},
          "reel_editor": {"media": [MEDIA]}, "composer": {"media": [MEDIA], "dest": "post"},
          "story_editor": {"media": [MEDIA]}, "sounds": {}, "audio": {}}
SOUND_SEARCH = {"q": "aesthetic", "tab": "sounds"}
FILL = {"user": "someone"}


def every_screen(package: str, language: str) -> list[str]:
    device = SimDevice(language=language)
    device.storage.write(MEDIA, b"x")
    device.media_scan(MEDIA)
    device.start_app(package)
    device.state.apps[package].accounts.append("someone")  # also one of the phone's own accounts
    device.state.apps[package].shop["someone"] = ["Blue mug"]  # "someone" can link products
    app = device.apps[package]
    dumps = []
    accounts = device.state.apps[package]
    for following, current in ((False, accounts.current), (True, accounts.current), (False, "someone")):
        accounts.current = current
        (accounts.follow if following else accounts.unfollow)("someone")
        for uploading in (False, True):
            if uploading:
                app.record_post([MEDIA], "", "post")
                app.upload_until = time.monotonic() + 60
            else:
                app.upload_until = 0.0
            frames = [(screen, PARAMS.get(screen, {})) for screen in app.screen_names()]
            if package == TIKTOK:
                frames.append(("search_results", SOUND_SEARCH))
            for screen, params in frames:
                for dialog in (None, "not_now", "update", "permission", "unfollow_sheet:someone",
                               "switcher", "blocked", "info"):
                    for draft in ({}, {"sound": "Aesthetic - Tollan Kim"}):
                        app.stack = [Frame("own_profile"), Frame(screen, dict(params))]
                        app.dialog = dialog
                        app.draft = dict(draft)
                        dumps.append(to_xml(device.windows()))
    return dumps


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("app, package", [("tiktok", TIKTOK), ("instagram", INSTAGRAM)])
def test_every_selector_matches_a_simulated_screen(app, package, language):
    pack = load_packs()[app]
    screens = [parse(xml) for xml in every_screen(package, language)]
    unmatched = [name for name, selector in pack.selectors.items()
                 if not any(selector.fill(**FILL).find(nodes) for nodes in screens)]
    assert unmatched == [], f"{app}/{language}: no simulated screen has {unmatched}"


def test_pack_errors_name_the_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[meta]\napp = "tiktok"\npackage = "p"\nversions = "1"\n[feed]\nsearch = [{ idd = "x" }]\n')
    with pytest.raises(PackError, match=r"bad.toml: feed.search: use id, text, desc, class"):
        load_pack(str(bad))
    bad.write_text('[meta]\napp = "tiktok"\npackage = "p"\nversions = "1"\n'
                   '[feed]\nsearch = [{ text = "(", regex = true }]\n')
    with pytest.raises(PackError, match="feed.search: bad regex"):
        load_pack(str(bad))


def test_short_ids_match_in_a_clone_apps_package_full_ids_only_in_their_own():
    from tikmatrixd.ui.hierarchy import Node

    def node(resource_id):
        return Node(resource_id=resource_id, text="", content_desc="", class_name="android.widget.ImageView",
                    package=resource_id.split(":")[0], bounds=(0, 0, 10, 10), clickable=True, selected=False,
                    checked=False)

    tiktok = load_packs()["tiktok"]
    assert tiktok["feed.search"].find([node("com.ss.android.ugc.trill:id/irz")]) is not None
    assert tiktok["feed.search"].find([node("com.ss.android.ugc.trill:id/xirz")]) is None
    allow = tiktok["dialogs.permission_allow"]
    assert allow.find([node("com.google.android.permissioncontroller:id/permission_allow_button")]) is not None
    assert allow.find([node("com.evil.overlay:id/permission_allow_button")]) is None
