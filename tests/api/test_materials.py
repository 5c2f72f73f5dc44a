"""/api/v1/materials: uploads (streamed, checked, deduplicated), the library's index, tags, delete."""

from __future__ import annotations

import hashlib
import os

import aiohttp
import pytest

from tests.conftest import SERIALS
from tests.helpers import call
from tikmatrixd import keys

MP4 = bytes.fromhex("0000001c667479706d703432000000006d7034326d70343169736f6d000000086d646174") + os.urandom(64)
JPEG = b"\xff\xd8\xff\xe0" + os.urandom(100) + b"\xff\xd9"


def form(*files: tuple[str, bytes], tags: str | None = None) -> aiohttp.FormData:
    data = aiohttp.FormData(quote_fields=False, default_to_multipart=True)  # as curl sends names
    if tags is not None:
        data.add_field("tags", tags)
    for name, content in files:
        data.add_field("file", content, filename=name, content_type="application/octet-stream")
    return data


def on_disk(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


async def upload(client, *files, tags=None):
    return await call(client, "POST", "/api/v1/materials", data=form(*files, tags=tags))


async def test_upload_stores_by_content_under_its_tag(client, media_root):
    before = on_disk(media_root)
    status, body = await upload(client, ("Beach Day.mp4", MP4), tags="summer, beach")
    assert status == 200, body
    [material] = body["data"]["materials"]
    assert material["created"] and body["data"]["created_count"] == 1
    assert {k: material[k] for k in ("name", "kind", "size", "tags", "sha256", "posted_count", "posted_by")} == {
        "name": "Beach Day.mp4", "kind": "video", "size": len(MP4), "tags": ["summer", "beach"],
        "sha256": hashlib.sha256(MP4).hexdigest(), "posted_count": 0, "posted_by": []}
    assert material["path"] == os.path.join(os.path.realpath(media_root), "summer", "Beach Day.mp4")
    assert on_disk(media_root) == sorted([*before, os.path.join("summer", "Beach Day.mp4")])
    # The same content again, under another name: the same material, one file, the tags merged.
    status, body = await upload(client, ("copy.mov", MP4), tags="best")
    [again] = body["data"]["materials"]
    assert (again["created"], again["id"], again["tags"]) == (False, material["id"], ["summer", "beach", "best"])
    assert on_disk(media_root) == sorted([*before, os.path.join("summer", "Beach Day.mp4")])


async def test_the_kind_comes_from_the_bytes_not_the_name(client, media_root):
    status, body = await upload(client, ("photo.mp4", JPEG))
    assert status == 200 and body["data"]["materials"][0]["kind"] == "image"
    assert body["data"]["materials"][0]["name"] == "photo.jpg"
    before = on_disk(media_root)
    for name, content in (("video.mp4", b"#!/bin/sh\nreboot\n"), ("x.mp4", b""), ("a.png", b"GIF89a....")):
        status, body = await upload(client, (name, content))
        assert (status, body["code"]) == (400, 40001) and "judging by its content" in body["message"], body
    assert on_disk(media_root) == before


@pytest.mark.parametrize("name, stored", [
    ("../../etc/passwd.mp4", "passwd.mp4"), ("..\\..\\win.mp4", "win.mp4"), (".hidden.mp4", "hidden.mp4"),
    ("a/b/clip.mp4", "clip.mp4"), ("..", "upload.mp4"), ("", "upload.mp4"), ("ni\u00f1o\u200b.mp4", "ni\u00f1o.mp4"),
])
async def test_path_tricks_in_file_names_stay_inside_the_library(client, media_root, name, stored):
    status, body = await upload(client, (name, MP4))
    assert status == 200, body
    path = body["data"]["materials"][0]["path"]
    assert os.path.dirname(path) == os.path.realpath(media_root) and os.path.basename(path) == stored


async def test_size_and_quota_limits_leave_nothing_behind(api, tmp_path):
    media_root = tmp_path / "library"
    media_root.mkdir()
    client = await api(media={"roots": (str(media_root),), "upload_max_bytes": 1000, "library_quota_bytes": 10_000})
    before = on_disk(media_root)
    status, body = await upload(client, ("big.mp4", MP4 + b"x" * 2000))
    assert (status, body["code"]) == (413, 40001) and "upload_max_bytes" in body["message"]
    for i in range(10):  # 10 x 800 bytes fit, the 13th does not
        assert (await upload(client, (f"v{i}.mp4", MP4[:40] + os.urandom(760))))[0] == 200
    status, body = await upload(client, ("more.mp4", MP4[:40] + os.urandom(900)),
                                ("most.mp4", MP4[:40] + os.urandom(900)), ("over.mp4", MP4[:40] + os.urandom(900)))
    assert (status, body["code"]) == (400, 40001) and "library_quota_bytes" in body["message"]
    assert len(on_disk(media_root)) - len(before) == 10  # all of a request or none of it
    assert not os.listdir(os.path.join(media_root, ".incoming"))


async def test_truncated_or_malformed_uploads_are_refused(client, media_root):
    before = on_disk(media_root)
    boundary = "XyZ"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\n").encode()
    bad_header = f"--{boundary}\r\n[]--broken--\r\n\r\n".encode()
    for raw in (head + MP4, head + MP4 + b"\r\n--other--\r\n", b"not multipart at all", bad_header):
        status, body = await call(client, "POST", "/api/v1/materials", data=raw,
                                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert (status, body["code"]) == (400, 40001), body
    for content_type in ("application/json", "text/plain"):
        status, body = await call(client, "POST", "/api/v1/materials", data=b"{}",
                                  headers={"Content-Type": content_type})
        assert (status, body["code"]) == (400, 40001) and "multipart" in body["message"]
    status, body = await call(client, "POST", "/api/v1/materials", data=form(tags="x"))
    assert (status, body["code"]) == (400, 40001) and "no file" in body["message"]
    for tags in ("../up", ".hidden", "a/b", "-x", "x" * 41, "a," * 5000):
        status, body = await upload(client, ("a.mp4", MP4), tags=tags)
        assert (status, body["code"]) == (400, 40001), tags
        assert "tags" in ((body["data"] or {}).get("errors") or {}) or "tags field" in body["message"], body
    assert on_disk(media_root) == before


async def test_files_copied_by_hand_are_listed_and_filtered(client, media_root):
    (media_root / "cats").mkdir()
    (media_root / "cats" / "tom.jpg").write_bytes(JPEG)
    (media_root / "notes.txt").write_text("not media")
    await upload(client, ("clip.mp4", MP4), tags="dogs")

    async def names(**params):
        status, body = await call(client, "GET", "/api/v1/materials", params=params)
        assert status == 200, body
        return sorted(m["name"] for m in body["data"]["materials"])

    # The fixture's files, the upload and the one copied by hand; not the text file.
    assert await names() == ["a.mp4", "b.mp4", "c.mp4", "clip.mp4", "d.jpg", "e.jpg", "f.jpg", "tom.jpg"]
    assert await names(tag="cats") == ["tom.jpg"]
    assert await names(kind="video", tag="dogs") == ["clip.mp4"]
    (media_root / "cats" / "tom.jpg").unlink()
    assert await names(tag="cats") == []
    status, body = await call(client, "GET", "/api/v1/materials", params={"kind": "audio"})
    assert (status, body["code"]) == (400, 40001)


async def test_posted_by_and_unposted_for(client, media_root):
    [video] = (await upload(client, ("clip.mp4", MP4)))[1]["data"]["materials"]
    await client.app[keys.STORE].media.record("tiktok:shop_a", [video["path"]], 1, 0.0)  # as a post records it
    status, body = await call(client, "GET", f"/api/v1/materials/{video['id']}")
    assert body["data"]["posted_by"] == [{"platform": "tiktok", "username": "@shop_a"}]
    assert body["data"]["posted_count"] == 1
    _, listing = await call(client, "GET", "/api/v1/materials", params={"posted_by": "@shop_a"})
    assert [m["id"] for m in listing["data"]["materials"]] == [video["id"]]
    [other] = (await upload(client, ("other.mp4", MP4 + b"other")))[1]["data"]["materials"]
    await client.app[keys.STORE].media.record("tiktok:shopxa", [other["path"]], 2, 0.0)
    _, listing = await call(client, "GET", "/api/v1/materials", params={"posted_by": "@shop_a"})
    assert [m["id"] for m in listing["data"]["materials"]] == [video["id"]]  # "_" is no wildcard
    _, listing = await call(client, "GET", "/api/v1/materials", params={"unposted_for": "@shop_a", "kind": "video"})
    assert video["id"] not in [m["id"] for m in listing["data"]["materials"]]


async def test_tags_delete_and_a_post_naming_a_material(client, media_root):
    [video] = (await upload(client, ("clip.mp4", MP4)))[1]["data"]["materials"]
    status, body = await call(client, "PATCH", f"/api/v1/materials/{video['id']}", json={"tags": ["a", "b"]})
    assert (status, body["data"]["tags"]) == (200, ["a", "b"])
    status, body = await call(client, "PATCH", f"/api/v1/materials/{video['id']}", json={"tags": ["../x"]})
    assert (status, body["code"]) == (400, 40001)
    post = {"serials": [SERIALS[0]], "script_name": "post", "script_config": {"material_list": []}}
    for refs, ok in ((["material:999"], False), ([f"sha256:{'0' * 64}"], False), ([f"material:{video['id']}"], True)):
        post["script_config"]["material_list"] = refs
        status, body = await call(client, "POST", "/api/v1/task", json=post)
        assert (status == 200) == ok, body
        if not ok:
            assert "script_config.material_list.0" in body["data"]["errors"]
    [task_id] = body["data"]["task_ids"]
    _, task = await call(client, "GET", f"/api/v1/task/{task_id}")
    assert task["data"]["script_config"]["material_list"] == [video["path"]]
    status, body = await call(client, "DELETE", f"/api/v1/materials/{video['id']}")
    assert (status, body["code"]) == (400, 40001) and f"task {task_id}" in body["message"]
    assert os.path.exists(video["path"])
    await call(client, "DELETE", f"/api/v1/task/{task_id}")
    status, body = await call(client, "DELETE", f"/api/v1/materials/{video['id']}")
    assert (status, body["data"]) == (200, {"deleted_count": 1})
    assert not os.path.exists(video["path"])
    assert (await call(client, "GET", f"/api/v1/materials/{video['id']}"))[0] == 404


async def test_no_library_without_media_roots(api):
    client = await api(media={"roots": ()})
    status, body = await upload(client, ("a.mp4", MP4))
    assert (status, body["code"]) == (400, 40001) and "media.roots" in body["message"]
