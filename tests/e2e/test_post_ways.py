"""post_way (share, addButton, useSound), sound volumes and product links, through the API.

What is asserted is what the simulated phone ended up publishing, and how
the app saw the post begin (``via``: the Create button, a share intent, a
sound's "Create a post with this sound").
"""

from __future__ import annotations

import pytest

from tests.e2e.test_post import TIKTOK, post, pushed_left, sha256


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("post_way, via", [("share", "share"), ("addButton", "app")])
async def test_tiktok_share_and_add_button_publish_the_same_video(phones, media_root, language, post_way, via):
    farm, client = await phones(1, real_scripts=True, sim={"language": language})
    phone = farm[0]
    phone.storage.write("/sdcard/DCIM/Camera/older.mp4", b"someone else's video")
    phone.media_scan("/sdcard/DCIM/Camera/older.mp4")
    done = await post(client, phone.serial, material_list=[str(media_root / "a.mp4")], captions="hello",
                      post_way=post_way)
    assert done["status_text"] == "completed", done["error"]
    [published] = phone.state.posts
    assert (published.via, published.caption) == (via, "hello")
    assert [m["sha256"] for m in published.media] == [sha256(media_root / "a.mp4")]
    assert done["result"]["post_way"] == post_way
    assert pushed_left(phone) == [] and phone.state.media_store == ["/sdcard/DCIM/Camera/older.mp4"]


async def test_several_images_cannot_be_shared_so_they_go_through_the_add_button(phones, media_root):
    farm, client = await phones(1, real_scripts=True)
    files = [media_root / "f.jpg", media_root / "d.jpg"]
    done = await post(client, farm[0].serial, content_type=1, image_count=2, material_list=[str(f) for f in files])
    assert done["status_text"] == "completed", done["error"]
    assert done["result"]["post_way"] == "addButton"
    [published] = farm[0].state.posts
    assert published.via == "app" and [m["sha256"] for m in published.media] == [sha256(f) for f in files]


@pytest.mark.parametrize("post_way", ["share", "addButton"])
async def test_a_slow_media_scan_is_waited_for_not_raced(phones, media_root, post_way):
    """The scanner runs in the background: the gallery must not be opened (nor a URI looked up)
    before our file is in the media store, or the phone's newest other video would be posted."""
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    phone.storage.write("/sdcard/DCIM/Camera/older.mp4", b"someone else's video")
    phone.media_scan("/sdcard/DCIM/Camera/older.mp4")
    phone.faults.scan_lag = 1.0
    done = await post(client, phone.serial, material_list=[str(media_root / "b.mp4")], post_way=post_way)
    assert done["status_text"] == "completed", done["error"]
    [published] = phone.state.posts
    assert [m["sha256"] for m in published.media] == [sha256(media_root / "b.mp4")]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_tiktok_volumes_are_set_on_the_sliders(phones, media_root, language):
    farm, client = await phones(1, real_scripts=True, sim={"language": language})
    phone = farm[0]
    done = await post(client, phone.serial, material_list=[str(media_root / "a.mp4")], add_sound="custom",
                      custom_sound_keyword="monkeys", origin_sound_volume=20, add_sound_volume=85)
    assert done["status_text"] == "completed", done["error"]
    [published] = phone.state.posts
    assert published.sound == "Monkeys Spinning Monkeys - Kevin MacLeod"
    assert published.volumes == {"original": 20, "added": 85}
    assert done["result"]["volumes"] == {"original": 20, "added": 85}
    assert done["result"]["sound"] == published.sound


async def test_no_sound_means_no_volume_change(phones, media_root):
    farm, client = await phones(1, real_scripts=True)
    done = await post(client, farm[0].serial, material_list=[str(media_root / "a.mp4")], origin_sound_volume=5)
    assert done["status_text"] == "completed", done["error"]
    [published] = farm[0].state.posts
    assert (published.sound, published.volumes) == (None, None) and "volumes" not in done["result"]


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_tiktok_use_sound_starts_from_the_sounds_search(phones, media_root, language):
    farm, client = await phones(1, real_scripts=True, sim={"language": language})
    phone = farm[0]
    done = await post(client, phone.serial, material_list=[str(media_root / "c.mp4")], post_way="useSound",
                      sound_name="tollan kim", captions="with a sound", add_sound_volume=70)
    assert done["status_text"] == "completed", done["error"]
    [published] = phone.state.posts
    assert (published.via, published.sound) == ("sound", "Aesthetic - Tollan Kim")
    assert published.volumes == {"original": 50, "added": 70}
    assert [m["sha256"] for m in published.media] == [sha256(media_root / "c.mp4")]


async def test_use_sound_with_a_sound_tiktok_does_not_find_fails_before_posting(phones, media_root):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    done = await post(client, phone.serial, material_list=[str(media_root / "c.mp4")], post_way="useSound",
                      sound_name="no such tune")
    assert (done["status_text"], done["error"]["reason"]) == ("failed", "sound_not_found")
    assert phone.state.posts == [] and pushed_left(phone) == [] and phone.state.foreground == "launcher"


async def test_product_link_from_the_accounts_showcase(phones, media_root):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    accounts = phone.state.apps[TIKTOK]
    accounts.shop[accounts.current] = ["Blue mug", "Red mug"]
    done = await post(client, phone.serial, material_list=[str(media_root / "a.mp4")], add_product_link=1,
                      captions="new mug")
    assert done["status_text"] == "completed", done["error"]
    [published] = phone.state.posts
    assert (published.product, published.caption) == ("Blue mug", "new mug")
    assert done["result"]["product"] == "Blue mug"


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_instagram_shares_to_feed_reels_and_stories(phones, media_root, language):
    farm, client = await phones(1, platform="instagram", real_scripts=True, sim={"language": language})
    phone = farm[0]
    image = await post(client, phone.serial, content_type=1, material_list=[str(media_root / "d.jpg")],
                       captions="une image")
    reel = await post(client, phone.serial, material_list=[str(media_root / "a.mp4")], add_sound="1",
                      origin_sound_volume=0, add_sound_volume=100)
    story = await post(client, phone.serial, material_list=[str(media_root / "b.mp4")], placement="story")
    for done in (image, reel, story):
        assert done["status_text"] == "completed", done["error"]
        assert done["result"]["post_way"] == "share"
    posts = phone.state.posts
    assert [(p.via, p.placement) for p in posts] == [("share", "post"), ("share", "reel"), ("share", "story")]
    assert posts[0].caption == "une image"
    assert (posts[1].sound, posts[1].volumes) == ("Trending audio 1", {"original": 0, "added": 100})
    assert [p.media[0]["sha256"] for p in posts] == [sha256(media_root / n) for n in ("d.jpg", "a.mp4", "b.mp4")]


async def test_instagram_use_sound_names_the_reels_audio_and_refuses_a_story(phones, media_root):
    farm, client = await phones(1, platform="instagram", real_scripts=True)
    phone = farm[0]
    reel = await post(client, phone.serial, material_list=[str(media_root / "a.mp4")], post_way="useSound",
                      sound_name="lo-fi beats")
    story = await post(client, phone.serial, material_list=[str(media_root / "b.mp4")], post_way="useSound",
                       sound_name="lo-fi beats", placement="story")
    linked = await post(client, phone.serial, material_list=[str(media_root / "b.mp4")], add_product_link=1)
    assert reel["status_text"] == "completed", reel["error"]
    assert (story["status_text"], story["error"]["reason"]) == ("failed", "sound_unavailable")
    assert (linked["status_text"], linked["error"]["reason"]) == ("failed", "product_link_unavailable")
    [published] = phone.state.posts
    assert (published.placement, published.sound) == ("reel", "Lo-fi beats")
    assert len(phone.state.pushed) == 1 and pushed_left(phone) == []  # only the reel's file was pushed


@pytest.mark.parametrize("platform", ["tiktok", "instagram"])
@pytest.mark.parametrize("post_way", ["share", "addButton"])
async def test_posts_get_through_dialogs_and_flaky_dumps(phones, media_root, platform, post_way):
    farm, client = await phones(1, platform=platform, real_scripts=True)
    phone = farm[0]
    phone.faults.popup_rate = 0.5
    phone.faults.idle_error_rate = 0.25
    done = await post(client, phone.serial, material_list=[str(media_root / "a.mp4")], captions="through it all",
                      post_way=post_way, add_sound="1")
    assert done["status_text"] == "completed", done["error"]
    [published] = phone.state.posts
    assert published.caption == "through it all" and published.sound is not None
    assert [m["sha256"] for m in published.media] == [sha256(media_root / "a.mp4")]
