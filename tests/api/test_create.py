"""POST /api/v1/task: validation order, fan-out, spintax, scheduling."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import SERIALS
from tests.helpers import call


async def create(client, body):
    return await call(client, "POST", "/api/v1/task", json=body)


async def register(client, username, device, **extra):
    status, body = await call(client, "POST", "/api/v1/accounts", json={"username": username, "device": device, **extra})
    assert status == 200, body
    return body["data"]


async def all_tasks(client):
    status, body = await call(client, "GET", "/api/v1/task", params={"page_size": "100"})
    assert status == 200
    return list(reversed(body["data"]["tasks"]))


async def stats(client):
    return (await call(client, "GET", "/api/v1/task/stats"))[1]["data"]


async def test_seed_example_creates_one_task_per_device(client, media_root):
    status, body = await create(client, {
        "serials": [SERIALS[0], SERIALS[1]],
        "script_name": "post",
        "script_config": {
            "content_type": 0,
            "captions": "Check out my new video! #viral #fyp",
            "material_list": [str(media_root / "a.mp4")],
            "upload_wait_time": 60,
        },
    })
    assert status == 200
    assert body == {"code": 0, "message": "success", "data": {"task_ids": [1, 2], "created_count": 2}}
    tasks = await all_tasks(client)
    assert [t["serial"] for t in tasks] == [SERIALS[0], SERIALS[1]]
    first = tasks[0]
    assert first["status"] == 0 and first["status_text"] == "pending"
    assert first["source"] == "api" and first["username"] is None
    assert first["start_time"] is None and first["retry_count"] == 0
    assert first["error"] is None and first["result"] is None and first["started_at"] is None
    assert first["scheduled_at"] == first["created_at"] == "2026-11-24T14:30:40+01:00"
    config = first["script_config"]
    assert config["material_list"] == [str(media_root / "a.mp4")]
    assert config["upload_wait_time"] == 60
    # Defaults are filled in so the task can be re-run exactly.
    assert config["post_way"] == "share" and config["add_sound"] == "-1" and config["placement"] == "reel"
    assert "material_source" not in config


async def test_follow_fans_out_per_device_and_target(client):
    status, body = await create(client, {
        "serials": [SERIALS[0], SERIALS[1]],
        "script_name": "follow",
        "script_config": {"target_users": ["@nasa", "spacex", " @ESA "]},
    })
    assert status == 200 and body["data"]["created_count"] == 6
    tasks = await all_tasks(client)
    assert [(t["serial"], t["script_config"]["target_user"]) for t in tasks] == [
        (SERIALS[0], "@nasa"), (SERIALS[0], "@spacex"), (SERIALS[0], "@esa"),
        (SERIALS[1], "@nasa"), (SERIALS[1], "@spacex"), (SERIALS[1], "@esa"),
    ]
    assert all(t["script_config"]["access_method"] == "direct" for t in tasks)


@pytest.mark.parametrize("key", ["target_user", "target_username"])
async def test_target_user_string_split_on_newlines_and_commas(client, key):
    status, body = await create(client, {
        "serials": [SERIALS[0]], "script_name": "unfollow",
        "script_config": {key: "@nasa\nspacex, esa,\n", "access_method": "search"},
    })
    assert status == 200 and body["data"]["created_count"] == 3
    tasks = await all_tasks(client)
    assert [t["script_config"] for t in tasks] == [
        {"target_user": "@nasa", "access_method": "search"},
        {"target_user": "@spacex", "access_method": "search"},
        {"target_user": "@esa", "access_method": "search"},
    ]
    assert {t["script_name"] for t in tasks} == {"unfollow"}


async def test_target_users_list_wins_over_string(client):
    status, body = await create(client, {
        "serials": [SERIALS[0]], "script_name": "follow",
        "script_config": {"target_users": ["a1"], "target_user": "b1\nc1"},
    })
    assert status == 200 and body["data"]["created_count"] == 1


async def test_duplicates_collapsed(client):
    status, body = await create(client, {
        "serials": [SERIALS[0], SERIALS[0]], "script_name": "follow",
        "script_config": {"target_users": ["nasa", "@NASA"]},
    })
    assert status == 200 and body["data"]["created_count"] == 1


async def test_post_materials_dealt_round_robin(client, media_root):
    videos = [str(media_root / n) for n in ("a.mp4", "b.mp4")]
    status, _ = await create(client, {
        "serials": list(SERIALS), "script_name": "post",
        "script_config": {"material_list": videos},
    })
    assert status == 200
    assert [t["script_config"]["material_list"] for t in await all_tasks(client)] == [
        [videos[0]], [videos[1]], [videos[0]],
    ]


async def test_post_images_take_image_count_each(client, media_root):
    images = [str(media_root / n) for n in ("d.jpg", "e.jpg", "f.jpg")]
    status, _ = await create(client, {
        "serials": [SERIALS[0], SERIALS[1]], "script_name": "post",
        "script_config": {"content_type": 1, "image_count": 2, "material_list": images},
    })
    assert status == 200
    assert [t["script_config"]["material_list"] for t in await all_tasks(client)] == [
        [images[0], images[1]], [images[2], images[0]],
    ]


async def test_spintax_resolved_per_task(client):
    serials = list(SERIALS)
    seen = set()
    for _ in range(10):
        status, _ = await create(client, {
            "serials": serials, "script_name": "post",
            "script_config": {"captions": "{Hello|Hi} {world|{there|friends}}!"},
        })
        assert status == 200
    for task in await all_tasks(client):
        caption = task["script_config"]["captions"]
        assert caption in {f"{a} {b}!" for a in ("Hello", "Hi") for b in ("world", "there", "friends")}
        seen.add(caption)
    assert len(seen) > 1


async def test_unicode_and_emoji_caption_byte_exact(client):
    caption = "新视频 🎉🔥 \"quoted\" $(rm -rf /) `id`; echo 'x' \\n\nline2 #fyp ❤️‍🔥"
    status, body = await create(client, {
        "serials": [SERIALS[0]], "script_name": "post", "script_config": {"captions": caption},
    })
    assert status == 200
    response = await client.get(f"/api/v1/task/{body['data']['task_ids'][0]}")
    raw = await response.read()
    assert (await response.json())["data"]["script_config"]["captions"] == caption
    assert "🎉🔥".encode() in raw  # sent as UTF-8, not escaped


async def test_start_time_resolves_in_configured_zone(client, clock):
    cases = {"16:00": "2026-11-24T16:00:00+01:00", "09:15": "2026-11-25T09:15:00+01:00",
             "14:30": "2026-11-24T14:30:00+01:00", "14:29": "2026-11-24T14:29:00+01:00",
             "14:28": "2026-11-25T14:28:00+01:00", "9:05": "2026-11-25T09:05:00+01:00"}
    for start, expected in cases.items():
        status, body = await create(client, {
            "serials": [SERIALS[0]], "script_name": "follow",
            "script_config": {"target_user": "nasa"}, "start_time": start,
        })
        assert status == 200, body
        _, task = await call(client, "GET", f"/api/v1/task/{body['data']['task_ids'][0]}")
        assert task["data"]["start_time"] == start
        assert task["data"]["scheduled_at"] == expected, start


async def test_username_mode_binds_each_account_to_its_device(client):
    await register(client, "shop_a", SERIALS[0])
    await register(client, "shop_b", SERIALS[1], platform="instagram")
    status, body = await create(client, {
        "usernames": ["@shop_b", "shop_a"], "script_name": "follow", "script_config": {"target_user": "nasa"},
    })
    assert status == 200 and body["data"]["created_count"] == 2
    tasks = await all_tasks(client)
    assert [(t["serial"], t["username"]) for t in tasks] == [(SERIALS[1], "@shop_b"), (SERIALS[0], "@shop_a")]


async def test_username_mode_rejects_unknown_and_disabled(client):
    await register(client, "shop_a", SERIALS[0])
    await register(client, "shop_off", SERIALS[0], status=1)
    status, body = await create(client, {
        "usernames": ["shop_a", "ghost", "shop_off"], "script_name": "follow",
        "script_config": {"target_user": "nasa"},
    })
    assert status == 400 and body["code"] == 40001
    messages = " ".join(body["data"]["errors"]["usernames"])
    assert "@ghost" in messages and "@shop_off" in messages and "shop_a" not in messages
    assert (await stats(client))["total"] == 0


async def test_multi_account_one_task_per_enabled_account(client):
    await register(client, "acc1", SERIALS[0])
    await register(client, "acc2", SERIALS[0])
    await register(client, "acc_off", SERIALS[0], status=1)
    await register(client, "acc3", SERIALS[1])
    status, body = await create(client, {
        "serials": [SERIALS[0], SERIALS[1]], "enable_multi_account": True,
        "script_name": "follow", "script_config": {"target_users": ["nasa", "esa"]},
    })
    assert status == 200 and body["data"]["created_count"] == 6
    tasks = await all_tasks(client)
    assert [(t["serial"], t["username"], t["script_config"]["target_user"]) for t in tasks] == [
        (SERIALS[0], "@acc1", "@nasa"), (SERIALS[0], "@acc1", "@esa"),
        (SERIALS[0], "@acc2", "@nasa"), (SERIALS[0], "@acc2", "@esa"),
        (SERIALS[1], "@acc3", "@nasa"), (SERIALS[1], "@acc3", "@esa"),
    ]


async def test_multi_account_device_without_accounts_is_an_error(client):
    await register(client, "acc1", SERIALS[0])
    status, body = await create(client, {
        "serials": [SERIALS[0], SERIALS[2]], "enable_multi_account": True,
        "script_name": "follow", "script_config": {"target_user": "nasa"},
    })
    assert status == 400 and body["code"] == 40001
    assert SERIALS[2] in body["data"]["errors"]["serials"][0]
    assert (await stats(client))["total"] == 0


async def test_too_many_tasks_creates_none(api):
    client = await api(tasks={"max_per_request": 5})
    status, body = await create(client, {
        "serials": list(SERIALS), "script_name": "follow", "script_config": {"target_users": ["a1", "b1"]},
    })
    assert status == 400 and body["code"] == 40001 and "limit is 5" in body["message"]
    assert (await stats(client))["total"] == 0


async def test_unknown_serial_creates_none(client):
    status, body = await create(client, {
        "serials": [SERIALS[0], "NOPE1", "NOPE2"], "script_name": "follow", "script_config": {"target_user": "nasa"},
    })
    assert status == 400 and body["code"] == 40001
    assert body["data"]["errors"]["serials"] == ["unknown device serial(s): NOPE1, NOPE2"]
    assert (await stats(client))["total"] == 0


@pytest.mark.parametrize("body, code", [
    ({"serials": [SERIALS[0]], "script_config": {}}, 40002),
    ({"serials": [SERIALS[0]], "script_name": "", "script_config": {}}, 40002),
    ({"serials": [SERIALS[0]], "script_name": None, "script_config": {}}, 40002),
    ({"serials": [SERIALS[0]], "script_name": "like", "script_config": {}}, 40003),
    ({"serials": [SERIALS[0]], "script_name": 5, "script_config": {}}, 40003),
    # 40002 answers before any other error (SPEC order).
    ({"serials": "oops", "bogus": 1}, 40002),
    ({"serials": "oops", "script_name": "like"}, 40003),
])
async def test_script_name_codes(client, body, code):
    status, answer = await create(client, body)
    assert (status, answer["code"]) == (400, code)
    assert (await stats(client))["total"] == 0


@pytest.mark.parametrize("body, field", [
    ({"script_name": "follow", "script_config": {"target_user": "x1"}}, "body"),
    ({"serials": [SERIALS[0]], "usernames": ["a1"], "script_name": "follow", "script_config": {"target_user": "x1"}}, "body"),
    ({"serials": [], "script_name": "follow", "script_config": {"target_user": "x1"}}, "serials"),
    ({"serials": [""], "script_name": "follow", "script_config": {"target_user": "x1"}}, "serials.0"),
    ({"serials": "R58M0001", "script_name": "follow", "script_config": {"target_user": "x1"}}, "serials"),
    ({"serials": [SERIALS[0]], "script_name": "follow"}, "script_config"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": []}, "script_config"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {}}, "script_config.target_user"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_user": "bad name!"}}, "script_config.target_user"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_users": ["ok", "no way"]}}, "script_config.target_users.1"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_user": "x1", "access_method": "teleport"}}, "script_config.access_method"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_user": "x1", "extra": 1}}, "script_config.extra"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_user": "x1"}, "serialz": []}, "serialz"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_user": "x1"}, "enable_multi_account": "true"}, "enable_multi_account"),
    ({"usernames": ["a1"], "enable_multi_account": True, "script_name": "follow", "script_config": {"target_user": "x1"}}, "enable_multi_account"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_user": "x1"}, "start_time": "24:00"}, "start_time"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_user": "x1"}, "start_time": "noon"}, "start_time"),
    ({"serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_user": "x1"}, "start_time": 1430}, "start_time"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"content_type": 2}}, "script_config.content_type"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"content_type": "0"}}, "script_config.content_type"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"content_type": True}}, "script_config.content_type"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"image_count": 36}}, "script_config.image_count"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"captions": 5}}, "script_config.captions"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"post_way": "fax"}}, "script_config.post_way"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"post_way": "useSound"}}, "script_config.sound_name"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"add_sound": "custom"}}, "script_config.custom_sound_keyword"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"add_sound": 2}}, "script_config.add_sound"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"upload_wait_time": 3601}}, "script_config.upload_wait_time"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"sound_wait_time": -1}}, "script_config.sound_wait_time"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"origin_sound_volume": 101}}, "script_config.origin_sound_volume"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"add_product_link": 2}}, "script_config.add_product_link"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"placement": "feed"}}, "script_config.placement"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"material_source": "localFolder"}}, "script_config.material_path"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"material_list": []}}, "script_config.material_list"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"material_list": ["/etc/passwd"]}}, "script_config.material_list.0"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"material_list": ["/nonexistent.mp4"]}}, "script_config.material_list.0"),
    ({"serials": [SERIALS[0]], "script_name": "post", "script_config": {"material_source": "localFolder", "material_path": "/etc"}}, "script_config.material_path"),
])
async def test_invalid_parameters_create_nothing(client, body, field):
    status, answer = await create(client, body)
    assert (status, answer["code"]) == (400, 40001), answer
    assert field in answer["data"]["errors"], answer["data"]["errors"]
    assert (await stats(client))["total"] == 0


async def test_every_field_error_reported_at_once(client):
    status, answer = await create(client, {
        "serials": [SERIALS[0]], "script_name": "post", "start_time": "99:99",
        "script_config": {"content_type": 7, "captions": 1, "placement": "feed"},
    })
    assert status == 400
    assert set(answer["data"]["errors"]) == {
        "start_time", "script_config.content_type", "script_config.captions", "script_config.placement",
    }


async def test_symlink_escaping_media_root_refused(client, media_root, tmp_path):
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"x")
    (media_root / "link.mp4").symlink_to(outside)
    status, answer = await create(client, {
        "serials": [SERIALS[0]], "script_name": "post",
        "script_config": {"material_list": [str(media_root / "link.mp4")]},
    })
    assert status == 400 and "outside the configured media roots" in answer["data"]["errors"]["script_config.material_list.0"][0]


async def test_local_folder_inside_root_accepted(client, media_root):
    (media_root / "shop_a").mkdir()
    status, body = await create(client, {
        "serials": [SERIALS[0]], "script_name": "post",
        "script_config": {"material_source": "localFolder", "material_path": str(media_root / "shop_a")},
    })
    assert status == 200, body
    task = (await all_tasks(client))[0]
    assert task["script_config"]["material_source"] == "localFolder"
    assert task["script_config"]["material_path"] == str(media_root / "shop_a")


async def test_concurrent_creates_get_unique_ids_and_exact_stats(client):
    body = {"serials": [SERIALS[0], SERIALS[1]], "script_name": "follow", "script_config": {"target_user": "nasa"}}
    results = await asyncio.gather(*(create(client, body) for _ in range(100)))
    ids = [task_id for status, answer in results for task_id in answer["data"]["task_ids"]]
    assert all(status == 200 for status, _ in results)
    assert len(ids) == len(set(ids)) == 200
    assert await stats(client) == {"total": 200, "pending": 200, "running": 0, "completed": 0, "failed": 0}
