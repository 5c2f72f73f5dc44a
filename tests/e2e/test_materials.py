"""Media over the API, end to end: a service uploads a video, a post names it, the phone publishes it."""

from __future__ import annotations

import hashlib
import os

from tests.api.test_materials import MP4, form
from tests.e2e.conftest import _all_healthy, wait_until
from tests.e2e.test_post import post
from tests.helpers import call

TIKTOK = "com.zhiliaoapp.musically"


async def test_an_uploaded_video_is_posted_by_reference(phones, tmp_path):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    elsewhere = tmp_path / "content-service" / "launch.mp4"  # outside the media roots
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(MP4 + b"launch day")
    status, body = await call(client, "POST", "/api/v1/materials",
                              data=form(("launch.mp4", elsewhere.read_bytes()), tags="campaign"))
    assert status == 200, body
    [material] = body["data"]["materials"]
    done = await post(client, phone.serial, material_list=[f"material:{material['id']}"], captions="We launched")
    assert done["status_text"] == "completed", done["error"]
    [published] = phone.state.posts
    assert published.media[0]["sha256"] == hashlib.sha256(elsewhere.read_bytes()).hexdigest() == material["sha256"]
    assert published.caption == "We launched"
    _, body = await call(client, "GET", f"/api/v1/materials/{material['id']}")
    assert body["data"]["posted_count"] == 1 and body["data"]["posted_by"] == [{"serial": phone.serial}]
    # By content hash as well.
    done = await post(client, phone.serial, material_list=[f"sha256:{material['sha256'].upper()}"])
    assert done["status_text"] == "completed", done["error"]
    assert [p.media[0]["sha256"] for p in phone.state.posts] == [material["sha256"]] * 2


async def test_library_picks_never_repeat_content_for_an_account_even_across_restarts(
        adb_servers, farms, daemon, media_root):
    server = adb_servers()
    farm = await farms(1, server)
    phone = farm[0]
    account = phone.state.apps[TIKTOK].current
    client = await daemon([server], real_scripts=True)
    await wait_until(lambda: _all_healthy(client, [phone.serial]), timeout=60)
    status, body = await call(client, "POST", "/api/v1/accounts", json={
        "username": account, "device": phone.serial, "platform": "tiktok"})
    assert status == 200, body
    status, body = await call(client, "POST", "/api/v1/materials",
                              data=form(("one.mp4", MP4 + b"one"), ("two.mp4", MP4 + b"two"), tags="drop"))
    assert status == 200, body
    picks = [await post(client, None, username=account, materials_tags="drop") for _ in range(2)]
    assert [p["status_text"] for p in picks] == ["completed", "completed"], [p["error"] for p in picks]
    assert sorted(p["result"]["media"][0] for p in picks) == ["one.mp4", "two.mp4"]
    await client.close()

    client = await daemon([server], real_scripts=True)  # a restart: the same database, a new process state
    await wait_until(lambda: _all_healthy(client, [phone.serial]), timeout=60)
    again = form(("one again.mp4", MP4 + b"one"), tags="drop")
    status, body = await call(client, "POST", "/api/v1/materials", data=again)
    assert body["data"]["materials"][0]["created"] is False  # the same content: the same material
    (media_root / "drop" / "copied by hand.mp4").write_bytes(MP4 + b"two")  # and by hand, under another name
    third = await post(client, None, username=account, materials_tags="drop")
    assert (third["status_text"], third["error"]["reason"]) == ("failed", "no_media_left"), third
    assert len(phone.state.posts) == 2
    assert not os.path.exists(media_root / "drop" / "one again.mp4")
