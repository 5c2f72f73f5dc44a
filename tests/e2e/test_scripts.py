"""The real scripts through the API, on simulated TikTok and Instagram phones in two languages."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.conftest import wait_until
from tests.e2e.test_runtime import create, finished, task
from tests.helpers import call
from tikmatrixd.ui.selectors import PACKS_DIR

TIKTOK, INSTAGRAM = "com.zhiliaoapp.musically", "com.instagram.android"
PACKAGES = {"tiktok": TIKTOK, "instagram": INSTAGRAM}


def follows(device, platform):
    accounts = device.state.apps[PACKAGES[platform]]
    return accounts.follows.get(accounts.current, [])


def taps(device):
    return [r.command for r in device.state.commands if r.command.startswith("input tap")]


@pytest.mark.parametrize("platform", ["tiktok", "instagram"])
@pytest.mark.parametrize("language", ["en", "fr"])
async def test_follow_then_unfollow_direct(phones, platform, language):
    farm, client = await phones(1, platform=platform, sim={"language": language}, real_scripts=True)
    phone = farm[0]
    [followed] = await create(client, [phone.serial], ["nasa"])
    [done] = await finished(client, [followed])
    assert done["status_text"] == "completed", done["error"]
    assert done["result"]["outcome"] == "followed" and done["result"]["target_user"] == "@nasa"
    assert follows(phone, platform) == ["nasa"]
    assert done["result"]["dumps"] <= 3  # profile, (username check reuses it), after the tap
    assert phone.state.foreground == "launcher"  # the app was closed afterwards

    [unfollowed] = await create(client, [phone.serial], ["nasa"], script="unfollow")
    [done] = await finished(client, [unfollowed])
    assert (done["status_text"], done["result"]["outcome"]) == ("completed", "unfollowed"), done["error"]
    assert follows(phone, platform) == []


@pytest.mark.parametrize("platform", ["tiktok", "instagram"])
async def test_follow_via_search(phones, platform):
    farm, client = await phones(1, platform=platform, real_scripts=True)
    [task_id] = await create(client, [farm[0].serial], ["night.owl"], config={"access_method": "search"})
    [done] = await finished(client, [task_id])
    assert (done["status_text"], done["result"]["outcome"]) == ("completed", "followed"), done["error"]
    assert follows(farm[0], platform) == ["night.owl"]


@pytest.mark.parametrize("platform", ["tiktok", "instagram"])
async def test_search_scrolls_to_a_user_listed_below_the_fold(phones, platform):
    farm, client = await phones(1, platform=platform, real_scripts=True)
    phone = farm[0]
    lookalikes = [f"night.owl{i}" for i in range(1, 15)]
    phone.state.search_ranking["night.owl"] = [*lookalikes[:12], "night.owl", *lookalikes[12:]]
    phone.state.search_ranking["no.such.owl"] = lookalikes

    def swipes():
        return len([r for r in phone.state.commands if r.command.startswith("input swipe")])

    [found] = await finished(client, await create(client, [phone.serial], ["night.owl"],
                                                  config={"access_method": "search"}))
    assert (found["status_text"], found["result"]["outcome"]) == ("completed", "followed"), found["error"]
    assert follows(phone, platform) == ["night.owl"]  # the right row, not a look-alike above it
    assert swipes() == 1
    [missing] = await finished(client, await create(client, [phone.serial], ["no.such.owl"],
                                                    config={"access_method": "search"}), timeout=60)
    assert missing["status_text"] == "failed" and swipes() == 1 + 4
    assert missing["error"]["reason"].startswith("selector_not_found:")
    assert "after 4 swipes" in missing["error"]["message"]


async def test_already_following_succeeds_without_a_tap(phones):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    accounts = phone.state.apps[TIKTOK]
    accounts.follow("nasa")
    [task_id] = await create(client, [phone.serial], ["nasa"])
    [done] = await finished(client, [task_id])
    assert (done["status_text"], done["result"]["outcome"]) == ("completed", "already_following")
    assert taps(phone) == [] and follows(phone, "tiktok") == ["nasa"]


@pytest.mark.parametrize("platform", ["tiktok", "instagram"])
async def test_dialogs_and_flaky_dumps_are_handled(phones, platform):
    farm, client = await phones(1, platform=platform, real_scripts=True)
    phone = farm[0]
    phone.faults.popup_rate = 0.5
    phone.faults.idle_error_rate = 0.25
    ids = await create(client, [phone.serial], ["a.one", "b.two", "c.three", "d.four"])
    tasks = await finished(client, ids, timeout=60)
    assert [t["status_text"] for t in tasks] == ["completed"] * 4, [t["error"] for t in tasks]
    assert sorted(follows(phone, platform)) == ["a.one", "b.two", "c.three", "d.four"]


async def test_a_selector_that_no_longer_matches_fails_with_its_name(phones, tmp_path):
    packs = tmp_path / "packs"
    shutil.copytree(PACKS_DIR, packs)
    pack = packs / "tiktok.toml"
    pack.write_text(pack.read_text().replace("^(Follow|Suivre|Follow back|Suivre en retour)$", "^Abonnieren$"))
    farm, client = await phones(1, real_scripts=True, ui={"selectors_dir": str(packs), "screen_timeout": 1.0})
    [task_id] = await create(client, [farm[0].serial], ["nasa"])
    [done] = await finished(client, [task_id])
    assert done["status_text"] == "failed"
    assert done["error"]["reason"] == "selector_not_found:profile.following_button|profile.follow_button"
    assert follows(farm[0], "tiktok") == []
    assert farm[0].state.foreground == "launcher"  # cleaned up after the failure

    status, body = await call(client, "GET", f"/api/v1/task/{task_id}/artifacts")
    names = [a["name"] for a in body["data"]["artifacts"]]
    assert status == 200 and names == ["dump.xml", "screen.png", "selectors.txt"]
    dump = await client.get(f"/api/v1/task/{task_id}/artifacts/dump.xml")
    assert dump.status == 200 and "@nasa" in await dump.text()  # the profile screen it failed on
    # What each selector the script looked for matched there, with the closest node of a miss.
    report = await (await client.get(f"/api/v1/task/{task_id}/artifacts/selectors.txt")).text()
    assert "MISS  profile.follow_button" in report
    assert "MISS  profile.following_button" in report
    assert "closest: TextView id=fmp text='Follow'" in report
    shot = await client.get(f"/api/v1/task/{task_id}/artifacts/screen.png")
    assert shot.status == 200 and (await shot.read()).startswith(b"\x89PNG")
    assert (await client.get(f"/api/v1/task/{task_id}/artifacts/../tasks.db")).status == 404
    status, body = await call(client, "GET", f"/api/v1/task/{task_id}/artifacts/other.txt")
    assert (status, body["code"]) == (404, 40401)


async def test_app_not_installed(adb_servers, farms, daemon):
    server = adb_servers()
    farm = await farms(1, server)
    farm[0].state.installed.remove(INSTAGRAM)
    client = await daemon([server], real_scripts=True, platforms={farm[0].serial: "instagram"})
    await wait_until(lambda: _healthy(client, farm[0].serial))
    device = (await call(client, "GET", f"/api/v1/devices/{farm[0].serial}"))[1]["data"]
    assert INSTAGRAM not in device["apps"] and device["apps"][TIKTOK] == "47.0.3"
    [task_id] = await create(client, [farm[0].serial], ["nasa"])
    [done] = await finished(client, [task_id])
    assert (done["status_text"], done["error"]["reason"]) == ("failed", "app_not_installed")
    assert done["result"]["adb_calls"] <= 2  # asked the phone once, never touched the screen


async def _healthy(client, serial):
    return (await call(client, "GET", f"/api/v1/devices/{serial}"))[1]["data"]["healthy"]


async def test_all_of_a_batch_on_several_phones(phones):
    farm, client = await phones(4, real_scripts=True, sim={"languages": ["en", "fr"]})
    ids = await create(client, farm.serials, ["nasa", "esa"])
    tasks = await finished(client, ids, timeout=60)
    assert {t["status_text"] for t in tasks} == {"completed"}, [t["error"] for t in tasks]
    for phone in farm:
        assert follows(phone, "tiktok") == ["nasa", "esa"]
    assert (await task(client, ids[0]))["result"]["adb_calls"] <= 6
