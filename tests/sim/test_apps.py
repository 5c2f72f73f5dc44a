"""TikTok and Instagram driven by hand through adbutils, as a script would."""

from __future__ import annotations

import asyncio
import hashlib
import os
import xml.etree.ElementTree as ET

import pytest
from sim_phone import Phone

from tikmatrixd.sim.apps.base import Frame
from tikmatrixd.sim.state import INSTAGRAM, TIKTOK

IG_FOLLOW = {"en": "Follow", "fr": "Suivre"}


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("pkg", [TIKTOK, INSTAGRAM])
async def test_every_screen_dumps_valid_xml(adb_server, farm_factory, tmp_path, pkg, lang):
    farm = await farm_factory(1, language=lang)
    dev = farm[0]
    dev.storage.write("/sdcard/DCIM/a.mp4", b"x")
    dev.media_scan("/sdcard/DCIM/a.mp4")
    phone = Phone(adb_server.client(), dev.serial)
    await phone.shell(f"monkey -p {pkg} 1")
    app = dev.apps[pkg]
    params = {"profile": {"user": "someone"}, "search_results": {"q": "someone", "tab": "users"},
              "gallery": {"selected": ["/sdcard/DCIM/a.mp4"]}, "editor": {"media": ["/sdcard/DCIM/a.mp4"]},
              "compose": {"media": ["/sdcard/DCIM/a.mp4"]}, "explore": {"q": "someone"},
              "new_post": {"selected": [], "dest": "reel"}, "reel_editor": {"media": ["/sdcard/DCIM/a.mp4"]},
              "composer": {"media": ["/sdcard/DCIM/a.mp4"], "dest": "post"},
              "story_editor": {"media": ["/sdcard/DCIM/a.mp4"]}}
    seen = 0
    for screen in app.screen_names():
        for dialog in (None, "not_now", "update", "permission"):
            app.stack = [Frame("own_profile"), Frame(screen, dict(params.get(screen, {})))]
            app.dialog = dialog
            root = await phone.dump()
            assert root.tag == "hierarchy" and root.get("rotation") == "0"
            nodes = list(root.iter("node"))
            assert all(n.get("bounds") and n.get("class") is not None for n in nodes)
            assert any(n.get("package") == pkg for n in nodes)
            seen += 1
    # to a file too
    out = await phone.shell("uiautomator dump /sdcard/window_dump.xml")
    assert out == "UI hierchary dumped to: /sdcard/window_dump.xml"
    ET.fromstring(await phone.shell("cat /sdcard/window_dump.xml"))
    assert seen >= 20


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_tiktok_follow_by_tap_via_view_intent(adb_server, farm_factory, lang):
    farm = await farm_factory(1, language=lang)
    dev = farm[0]
    phone = Phone(adb_server.client(), dev.serial)
    await phone.shell("am start -a android.intent.action.VIEW -d https://www.tiktok.com/@some.creator")
    assert dev.state.foreground == TIKTOK and dev.apps[TIKTOK].frame.params["user"] == "some.creator"
    root = await phone.dump()
    assert phone.find(root, rid=f"{TIKTOK}:id/t3y", text="@some.creator") is not None
    # Follow is a TextView in a clickable LinearLayout, as on real phones: a tap on it reaches the layout.
    # On fr (47.0.3) the screen is the real dump of a profile that follows us: "Suivre en retour".
    follow = {"en": "Follow", "fr": "Suivre en retour"}[lang]
    await phone.tap_on(text=follow, rid=f"{TIKTOK}:id/fmp", clickable="false")
    accounts = dev.state.apps[TIKTOK]
    assert accounts.follows[accounts.current] == ["some.creator"]
    # unfollow through the following button
    following = {"en": "Following", "fr": "Suivis "}[lang]
    await phone.tap_on(text=following, rid=f"{TIKTOK}:id/fmp")
    assert accounts.follows[accounts.current] == []


async def test_instagram_follow_and_unfollow_with_confirmation(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    await phone.shell("am start -a android.intent.action.VIEW -d https://www.instagram.com/target.user/")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/profile_header_follow_button", text="Follow")
    ig = device.state.apps[INSTAGRAM]
    assert ig.is_following("target.user")
    root = await phone.dump()
    assert phone.find(root, rid=f"{INSTAGRAM}:id/profile_header_follow_button", text="Following") is not None
    await phone.tap_on(text="Following")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/follow_sheet_unfollow_row")
    assert not ig.is_following("target.user")


async def test_tiktok_search_finds_user_and_follows_from_results(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    await phone.shell("monkey -p com.zhiliaoapp.musically -c android.intent.category.LAUNCHER 1")
    await phone.tap_on(desc="Search")
    await phone.shell("input text night.owl && input keyevent 66")
    assert device.apps[TIKTOK].screen == "search_results"
    await phone.tap_on(text="Users")
    await phone.tap_on(text="\u200e\u2068night.owl\u2069")
    assert device.apps[TIKTOK].frame.params["user"] == "night.owl"


async def test_ime_broadcast_caption_is_byte_exact(adb_server, device, tmp_path):
    caption = "Été 🌞 日本語 #fyp \"quotes\" & 'apostrophes' $HOME ; done"
    phone = Phone(adb_server.client(), device.serial)
    media = tmp_path / "v.mp4"
    media.write_bytes(os.urandom(4096))
    d = adb_server.client().device(device.serial)
    await asyncio.to_thread(d.sync.push, str(media), "/sdcard/DCIM/Camera/v.mp4")
    await phone.shell("am broadcast -a android.intent.action.MEDIA_SCANNER_SCAN_FILE -d file:///sdcard/DCIM/Camera/v.mp4")
    await phone.shell("monkey -p com.zhiliaoapp.musically 1")
    await phone.tap_on(desc="Create")
    await phone.tap_on(rid=f"{TIKTOK}:id/upload_hot_area")  # no label on a real phone
    await phone.tap_on(rid=f"{TIKTOK}:id/mub")
    await phone.tap_on(text="Next")
    await phone.tap_on(desc="Add sound")
    await phone.tap_on(text="Aesthetic - Tollan Kim")
    await phone.tap_on(text="Next")
    await phone.tap_on(rid=f"{TIKTOK}:id/g19")
    await phone.type_ime(caption)
    await phone.tap_on(text="Post")
    post = device.state.posts[-1]
    assert post.caption == caption
    assert post.app == TIKTOK and post.account == device.state.apps[TIKTOK].current
    assert post.sound == "Aesthetic - Tollan Kim"
    assert post.media == [{"path": "/sdcard/DCIM/Camera/v.mp4", "name": "v.mp4",
                           "sha256": hashlib.sha256(media.read_bytes()).hexdigest()}]
    root = await phone.dump()  # upload progress shows on the feed
    assert phone.find(root, rid=f"{TIKTOK}:id/x44") is not None


async def test_instagram_carousel_post_and_reel_in_french(adb_server, farm_factory, tmp_path):
    farm = await farm_factory(1, language="fr")
    dev = farm[0]
    phone = Phone(adb_server.client(), dev.serial)
    d = adb_server.client().device(dev.serial)
    for name in ("a.jpg", "b.jpg", "c.mp4"):
        (tmp_path / name).write_bytes(name.encode() * 100)
        await asyncio.to_thread(d.sync.push, str(tmp_path / name), f"/sdcard/Pictures/{name}")
        await phone.shell(f"am broadcast -a android.intent.action.MEDIA_SCANNER_SCAN_FILE -d file:///sdcard/Pictures/{name}")
    await phone.shell("monkey -p com.instagram.android 1")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/action_bar_buttons_container_left")  # unlabelled "+" (real feed)
    await phone.tap_on(rid=f"{INSTAGRAM}:id/multi_select_slide_button_alt")
    root = await phone.dump()
    thumbs = [n for n in root.iter("node") if n.get("resource-id") == f"{INSTAGRAM}:id/gallery_grid_item_thumbnail"]
    for node in thumbs[1:3]:  # the two images (newest first: c.mp4, b.jpg, a.jpg)
        x, y = phone.center(node)
        await phone.shell(f"input tap {x} {y}")
    await phone.tap_on(text="Suivant")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/caption_input_text_view")
    await phone.type_ime("Deux images ✨")
    await phone.tap_on(text="Partager")
    post = dev.state.posts[-1]
    assert [m["name"] for m in post.media] == ["b.jpg", "a.jpg"]
    assert post.caption == "Deux images ✨" and post.placement == "post"
    # a reel
    await phone.tap_on(rid=f"{INSTAGRAM}:id/action_bar_buttons_container_left")  # unlabelled "+" (real feed)
    await phone.tap_on(text="REEL")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/gallery_grid_item_thumbnail")
    await phone.tap_on(text="Suivant")
    await phone.tap_on(desc="Ajouter un audio")
    await phone.tap_on(text="Lo-fi beats")
    await phone.tap_on(desc="Suivant")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/caption_input_text_view")
    await phone.type_ime("reel")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/share_button")
    reel = dev.state.posts[-1]
    assert (reel.placement, reel.sound, reel.media[0]["name"]) == ("reel", "Lo-fi beats", "c.mp4")


async def test_account_switchers(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    ig = device.state.apps[INSTAGRAM]
    await phone.shell("monkey -p com.instagram.android 1")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/profile_tab")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/action_bar_title")  # the real 410 own profile's title
    root = await phone.dump()
    assert phone.find(root, desc="Add Instagram account") is not None
    await phone.tap_on(desc=ig.accounts[2])
    assert ig.current == ig.accounts[2]
    tt = device.state.apps[TIKTOK]
    await phone.shell("monkey -p com.zhiliaoapp.musically 1")
    await phone.tap_on(desc="Profile")
    await phone.tap_on(text=f"@{tt.current}")
    await phone.tap_on(desc=tt.accounts[1])
    assert tt.current == tt.accounts[1]
    root = await phone.dump()
    assert phone.find(root, text=f"@{tt.accounts[1]}") is not None


async def test_ime_absent_means_text_is_lost(adb_server, device):
    device.state.ime_enabled = False
    phone = Phone(adb_server.client(), device.serial)
    assert (await phone.shell("settings get secure default_input_method")).startswith("com.google")
    await phone.shell("monkey -p com.zhiliaoapp.musically 1")
    device.apps[TIKTOK].on_search("")
    await phone.type_ime("hello")
    assert device.apps[TIKTOK].fields["search"] == ""
    await phone.shell("ime enable com.android.adbkeyboard/.AdbIME; ime set com.android.adbkeyboard/.AdbIME")
    await phone.type_ime("hello")
    assert device.apps[TIKTOK].fields["search"] == "hello"


async def test_keys_back_home_and_force_stop(adb_server, device):
    phone = Phone(adb_server.client(), device.serial)
    await phone.shell("am start -n com.instagram.android/com.instagram.mainactivity.InstagramMainActivity")
    await phone.tap_on(rid=f"{INSTAGRAM}:id/search_tab")
    assert device.screen() == "explore"
    await phone.shell("input keyevent KEYCODE_BACK; input keyevent 4")
    assert device.state.foreground == "launcher"  # explore is a root tab: back leaves the app
    await phone.shell("monkey -p com.instagram.android 1 && input keyevent 3")
    assert device.screen() == "launcher"
    await phone.shell("am force-stop com.instagram.android")
    assert not device.apps[INSTAGRAM].running
