"""The real scripts on simulated phones whose screens are built from real dumps (sim/real/).

Each app version the corpus covers gets a follow and an unfollow, direct and
through account switching, and the test checks that the phone drew the
version's real screens on the way (a run on hand-drawn screens would prove
nothing about real phones).
"""

from __future__ import annotations

import pytest

from tests.e2e.test_post import sha256
from tests.e2e.test_runtime import create, finished
from tests.e2e.test_scripts import PACKAGES, follows
from tests.helpers import call

#: (platform, version, language) → the real dumps a follow and an unfollow must go through.
VERSIONS = {
    ("tiktok", "43.1.4", "fr"): {"tt4314_fr_profile"},
    ("tiktok", "46.6.3", "fr"): {"tt4663_fr_profile_just_watched_button"},
    ("tiktok", "47.0.3", "fr"): {"tt47_fr_profile_follows_us_no_message_entry", "tt4703_fr_profile_followed"},
    ("instagram", "410.0.0.53.71", "en"): {"ig410_en_profile_follow_with_mutuals", "ig410_en_profile_following"},
    ("instagram", "410.0.0.53.71", "fr"): {"ig410_fr_profile_follow_with_mutuals", "ig410_fr_profile_following"},
    ("instagram", "447", "fr"): {"ig447_fr_profile_verified_business"},
}


@pytest.mark.parametrize(("platform", "version", "language"), list(VERSIONS), ids=["-".join(k) for k in VERSIONS])
async def test_follow_and_unfollow_on_real_screens(phones, platform, version, language):
    farm, client = await phones(1, platform=platform, real_scripts=True,
                                sim={"language": language, "versions": {PACKAGES[platform]: version}})
    phone = farm[0]
    [followed] = await finished(client, await create(client, [phone.serial], ["nasa"]))
    assert (followed["status_text"], followed["result"]["outcome"]) == ("completed", "followed"), followed["error"]
    assert follows(phone, platform) == ["nasa"]
    [unfollowed] = await finished(client, await create(client, [phone.serial], ["nasa"], script="unfollow"))
    assert (unfollowed["status_text"], unfollowed["result"]["outcome"]) == ("completed", "unfollowed"), \
        unfollowed["error"]
    assert follows(phone, platform) == []
    shown = set(phone.real_screens_shown)
    assert VERSIONS[(platform, version, language)] <= shown, shown


@pytest.mark.parametrize(("platform", "version", "language"), list(VERSIONS), ids=["-".join(k) for k in VERSIONS])
async def test_a_task_switches_to_its_account_on_real_screens(phones, platform, version, language):
    """The own profile (a real dump where the corpus has one) tells the active account; the task's is switched to."""
    farm, client = await phones(1, platform=platform, real_scripts=True,
                                sim={"language": language, "versions": {PACKAGES[platform]: version}})
    phone = farm[0]
    accounts = phone.state.apps[PACKAGES[platform]]
    other = accounts.accounts[1]  # not the active one
    status, body = await call(client, "POST", "/api/v1/accounts", json={
        "username": other, "device": phone.serial, "platform": platform})
    assert status == 200, body
    status, body = await call(client, "POST", "/api/v1/task", json={
        "usernames": [other], "script_name": "follow", "script_config": {"target_users": ["nasa"]}})
    assert status == 200, body
    [done] = await finished(client, body["data"]["task_ids"])
    assert done["status_text"] == "completed", done["error"]
    assert accounts.current == other and accounts.follows.get(other) == ["nasa"]
    own_profiles = {name for name in phone.real_screens_shown if "own_profile" in name}
    assert own_profiles or version == "46.6.3", phone.real_screens_shown  # the corpus has no 46.6.3 own profile


#: (version, post_way) → the real dumps a TikTok post in French must go through.
POSTS = {
    ("47.0.3", "addButton"): {"tt4703_fr_home", "tt4703_fr_publish_camera", "tt4703_fr_publish_editor_no_sound",
                              "tt4703_fr_publish_post_screen", "tt4703_fr_publish_uploading"},
    ("47.0.3", "share"): {"tt4703_fr_publish_editor_no_sound", "tt4703_fr_publish_post_screen",
                          "tt4703_fr_publish_uploading"},
    ("43.1.4", "addButton"): {"tt4314_fr_home", "tt4314_fr_publish_camera", "tt4314_fr_publish_uploading"},
}


@pytest.mark.parametrize(("version", "post_way"), list(POSTS), ids=["-".join(k) for k in POSTS])
async def test_tiktok_post_on_real_screens(phones, media_root, version, post_way):
    farm, client = await phones(1, real_scripts=True, sim={"language": "fr", "versions": {PACKAGES["tiktok"]: version}})
    phone = farm[0]
    phone.upload_seconds = 1.5  # long enough for the script to see the progress before "Posted"
    status, body = await call(client, "POST", "/api/v1/task", json={
        "serials": [phone.serial], "script_name": "post",
        "script_config": {"material_list": [str(media_root / "a.mp4")], "captions": "été #fyp", "post_way": post_way}})
    assert status == 200, body
    [done] = await finished(client, body["data"]["task_ids"], timeout=60)
    assert done["status_text"] == "completed", done["error"]
    [published] = phone.state.posts
    assert published.caption == "été #fyp"
    assert [m["sha256"] for m in published.media] == [sha256(media_root / "a.mp4")]
    assert POSTS[(version, post_way)] <= set(phone.real_screens_shown), phone.real_screens_shown
