"""post through the API: what the simulated phone ends up having published."""

from __future__ import annotations

import hashlib

import pytest

from tests.e2e.conftest import wait_until
from tests.e2e.test_runtime import finished
from tests.helpers import call

TIKTOK, INSTAGRAM = "com.zhiliaoapp.musically", "com.instagram.android"
CAPTION = "Été 🌞 日本語 #fyp \"quotes\" 'single' $(reboot) `id` ; rm -rf / && echo $HOME\nline two % 100%s"


async def post(client, serial, username=None, **config):
    target = {"usernames": [username]} if username else {"serials": [serial]}
    status, body = await call(client, "POST", "/api/v1/task", json={
        **target, "script_name": "post", "script_config": config})
    assert status == 200, body
    [task_id] = body["data"]["task_ids"]
    [done] = await finished(client, [task_id], timeout=60)
    return done


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pushed_left(phone):
    return [p for p in phone.storage.files if "/tikmatrixd/" in p]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_tiktok_video_with_a_hostile_caption_and_a_sound(phones, media_root, language):
    farm, client = await phones(1, real_scripts=True, sim={"language": language})
    phone = farm[0]
    done = await post(client, phone.serial, material_list=[str(media_root / "a.mp4")], captions=CAPTION,
                      add_sound="1")
    assert done["status_text"] == "completed", done["error"]
    [published] = phone.state.posts
    assert published.app == TIKTOK and published.account == phone.state.apps[TIKTOK].current
    assert published.caption == CAPTION  # byte-exact, nothing interpreted by the device shell
    assert [m["sha256"] for m in published.media] == [sha256(media_root / "a.mp4")]
    assert published.sound == "Original sound - trending"
    assert done["result"]["media"] == ["a.mp4"] and done["result"]["upload"] == "done"
    assert pushed_left(phone) == [] and phone.state.foreground == "launcher"


async def test_tiktok_images_in_material_order(phones, media_root):
    farm, client = await phones(1, real_scripts=True)
    files = [media_root / name for name in ("e.jpg", "d.jpg", "f.jpg")]
    done = await post(client, farm[0].serial, content_type=1, image_count=3,
                      material_list=[str(f) for f in files], captions="three")
    assert done["status_text"] == "completed", done["error"]
    [published] = farm[0].state.posts
    assert [m["sha256"] for m in published.media] == [sha256(f) for f in files]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_instagram_reel_carousel_and_story(phones, media_root, language):
    farm, client = await phones(1, platform="instagram", real_scripts=True, sim={"language": language})
    phone = farm[0]
    reel = await post(client, phone.serial, material_list=[str(media_root / "b.mp4")], captions=CAPTION,
                      add_sound="custom", custom_sound_keyword="lo-fi")
    carousel = await post(client, phone.serial, content_type=1, image_count=2,
                          material_list=[str(media_root / "d.jpg"), str(media_root / "e.jpg")], captions="deux ✨")
    story = await post(client, phone.serial, material_list=[str(media_root / "c.mp4")], placement="story")
    for done in (reel, carousel, story):
        assert done["status_text"] == "completed", done["error"]
    posts = phone.state.posts
    assert [(p.placement, p.caption) for p in posts] == [("reel", CAPTION), ("post", "deux ✨"), ("story", "")]
    assert posts[0].sound == "Lo-fi beats"
    assert [m["sha256"] for m in posts[1].media] == [sha256(media_root / "d.jpg"), sha256(media_root / "e.jpg")]
    assert all(p.app == INSTAGRAM for p in posts) and pushed_left(phone) == []


async def test_local_folder_per_account_with_captions_never_reposts(phones, media_root):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    account = phone.state.apps[TIKTOK].current
    mine = media_root / "shop" / f"@{account}"
    mine.mkdir(parents=True)
    for name in ("one.mp4", "two.mp4"):
        (mine / name).write_bytes(name.encode() * 50)
    (mine / "caption.txt").write_text("from the file ✅\n")
    (media_root / "shop" / "other.mp4").write_bytes(b"not for this account")
    config = {"material_source": "localFolder", "material_path": str(media_root / "shop")}
    status, body = await call(client, "POST", "/api/v1/accounts", json={
        "username": account, "device": phone.serial, "platform": "tiktok"})
    assert status == 200, body
    first = await post(client, phone.serial, username=account, **config)
    second = await post(client, phone.serial, username=account, **config)
    third = await post(client, phone.serial, username=account, **config)
    assert [d["status_text"] for d in (first, second, third)] == ["completed", "completed", "failed"]
    assert third["error"]["reason"] == "no_media_left"
    assert [p.media[0]["sha256"] for p in phone.state.posts] == [sha256(mine / "one.mp4"), sha256(mine / "two.mp4")]
    assert [p.caption for p in phone.state.posts] == ["from the file ✅"] * 2


async def test_product_link_missing_fails_before_posting(phones, media_root):
    farm, client = await phones(1, real_scripts=True)
    done = await post(client, farm[0].serial, material_list=[str(media_root / "a.mp4")], add_product_link=1)
    assert (done["status_text"], done["error"]["reason"]) == ("failed", "product_link_unavailable")
    assert farm[0].state.posts == [] and pushed_left(farm[0]) == []


async def test_without_the_input_method(phones, media_root):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    phone.state.installed.remove("com.android.adbkeyboard")
    phone.state.ime_enabled = False
    plain = await post(client, phone.serial, material_list=[str(media_root / "a.mp4")], captions="plain words #tag")
    assert plain["status_text"] == "completed", plain["error"]
    assert phone.state.posts[-1].caption == "plain words #tag"  # `input text`, quoted and %s-escaped
    emoji = await post(client, phone.serial, material_list=[str(media_root / "a.mp4")], captions="🌞")
    assert (emoji["status_text"], emoji["error"]["reason"]) == ("failed", "input_method_missing")
    assert len(phone.state.posts) == 1


async def test_a_mixed_batch_on_tiktok_and_instagram_in_two_languages(adb_servers, farms, daemon, media_root):
    """Issue 6's 'done when': post, follow and unfollow through the API alone, on both apps,
    English and French phones; the simulators' state shows exactly what was asked."""
    server = adb_servers()
    farm = await farms(4, server, languages=["en", "fr"])
    apps = {farm[0].serial: "tiktok", farm[1].serial: "tiktok", farm[2].serial: "instagram",
            farm[3].serial: "instagram"}
    client = await daemon([server], real_scripts=True, platforms=apps)
    packages = {"tiktok": TIKTOK, "instagram": INSTAGRAM}
    for phone in farm:
        phone.state.apps[packages[apps[phone.serial]]].follow("old.friend")
    await wait_online(client, farm.serials)

    async def create(script, config):
        status, body = await call(client, "POST", "/api/v1/task", json={
            "serials": farm.serials, "script_name": script, "script_config": config})
        assert status == 200, body
        return body["data"]["task_ids"]

    ids = (await create("follow", {"target_users": ["nasa"]})
           + await create("unfollow", {"target_users": ["old.friend"]})
           + await create("post", {"material_list": [str(media_root / "a.mp4")], "captions": "{Bonjour|Hello} 🌍"})
           + await create("post", {"material_list": [str(media_root / "b.mp4")], "post_way": "addButton",
                                   "add_sound": "1", "origin_sound_volume": 30}))
    tasks = await finished(client, ids, timeout=150)
    assert {t["status_text"] for t in tasks} == {"completed"}, [t["error"] for t in tasks]
    for phone in farm:
        accounts = phone.state.apps[packages[apps[phone.serial]]]
        assert accounts.follows[accounts.current] == ["nasa"]
        shared, added = phone.state.posts
        assert shared.app == packages[apps[phone.serial]] and shared.caption in ("Bonjour 🌍", "Hello 🌍")
        assert [m["sha256"] for m in shared.media] == [sha256(media_root / "a.mp4")]
        assert (shared.via, shared.sound) == ("share", None)
        assert [m["sha256"] for m in added.media] == [sha256(media_root / "b.mp4")]
        assert added.via == "app" and added.sound and added.volumes == {"original": 30, "added": 50}
        assert pushed_left(phone) == [] and phone.state.foreground == "launcher"


async def wait_online(client, serials):
    async def ready():
        _, body = await call(client, "GET", "/api/v1/devices")
        return set(serials) <= {d["serial"] for d in body["data"]["devices"] if d["healthy"]}

    await wait_until(ready, timeout=60)
