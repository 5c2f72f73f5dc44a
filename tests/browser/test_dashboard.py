"""The dashboard in a real (headless) browser, against the daemon with simulated phones.

Each page is saved as a screenshot: into $TIKMATRIXD_SCREENSHOTS when set (`make screenshots`
refreshes the README's, docs/screenshots/), else into the test's temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tikmatrixd.ui.selectors import PACKS_DIR

WAIT = 60
ON_A_TASK_PAGE = r"/^\/tasks\/\d+$/.test(location.pathname)"


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("TIKMATRIXD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Page:
    """Selenium calls run in a thread: the daemon under test runs on this event loop."""

    def __init__(self, browser: Any, base: str, shots: Path) -> None:
        self.browser = browser
        self.base = base.rstrip("/")
        self.shots = shots

    async def run(self, fn, *args):
        return await asyncio.to_thread(fn, *args)

    async def open(self, path: str) -> None:
        await self.run(self.browser.get, self.base + path)

    async def text(self, css: str) -> str:
        return await self.run(lambda: self.browser.find_element("css selector", css).text)

    async def click(self, css: str) -> None:
        await self.run(lambda: self.browser.find_element("css selector", css).click())

    async def wait_for(self, script: str, timeout: float = WAIT) -> Any:
        """Until a JavaScript expression is truthy in the page (the browser is asked, not the daemon)."""
        from selenium.webdriver.support.ui import WebDriverWait

        return await self.run(lambda: WebDriverWait(self.browser, timeout, poll_frequency=0.1).until(
            lambda driver: driver.execute_script(f"return {script}")))

    async def js(self, script: str) -> Any:
        return await self.run(self.browser.execute_script, f"return {script}")

    async def save(self, name: str) -> None:
        await self.run(self.browser.save_screenshot, str(self.shots / f"{name}.png"))


async def test_create_a_follow_in_the_form_and_watch_it_complete(browser, phones, shots):
    farm, client = await phones(1, real_scripts=True)
    page = Page(browser, str(client.make_url("/")), shots)
    serial = farm[0].serial

    await page.open("/")
    card = f'[data-serial="{serial}"]'
    assert "online" in await page.text(f"{card} .meta")
    await page.wait_for(f"document.querySelector('{card} img.screen').naturalWidth > 0")  # the phone's screen
    await page.save("devices")

    await page.open(f"/tasks/new?serial={serial}")
    await page.click('input[name="script_name"][value="follow"]')
    await page.run(lambda: page.browser.find_element("css selector", 'textarea[name="target_users"]')
                   .send_keys("@nasa"))
    await page.save("new-task")
    await page.click("#create")
    await page.wait_for(ON_A_TASK_PAGE)
    await page.run(page.browser.execute_script, "window.stillTheSamePage = true")
    await page.wait_for("document.querySelector('#task-status').textContent.trim() === 'completed'")
    assert await page.js("window.stillTheSamePage === true")  # updated live, not reloaded
    assert "completed" in await page.text("#stats")
    await page.save("task-completed")
    task_id = int((await page.js("location.pathname")).rsplit("/", 1)[1])
    _, body = await _get(client, f"/api/v1/task/{task_id}")
    assert (body["status_text"], body["source"], body["script_config"]["target_user"]) == ("completed", "ui", "@nasa")

    # A task for later: stop it from the tasks table, then retry it from its page.
    await page.open(f"/tasks/new?serial={serial}")
    await page.click('input[name="script_name"][value="unfollow"]')
    await page.run(lambda: page.browser.find_element("css selector", 'textarea[name="target_users"]')
                   .send_keys("@nasa"))
    await page.run(lambda: page.browser.find_element("css selector", 'input[name="start_time"]').send_keys("23:59"))
    await page.click("#create")
    await page.wait_for(ON_A_TASK_PAGE)
    later = int((await page.js("location.pathname")).rsplit("/", 1)[1])
    await page.open("/tasks")
    await page.click(f"#task-{later} button.stop")  # the form posts, and comes back to the table
    await page.wait_for(f"document.querySelector('#task-{later} td.status').textContent.includes('stopped')")
    await page.open(f"/tasks/{later}")
    assert (await page.text("#task-status")) == "failed"
    await page.click("button.retry")
    await page.wait_for("document.querySelector('#task-status') !== null")
    await page.wait_for("['pending', 'running', 'completed'].includes("
                        "document.querySelector('#task-status').textContent.trim())")
    _, retried = await _get(client, f"/api/v1/task/{later}")
    assert retried["retry_count"] == 1
    await page.open("/tasks")
    await page.save("tasks")
    await page.open("/accounts")
    await page.save("accounts")


async def test_a_phones_page_shows_what_the_selectors_find_on_its_screen(browser, phones, shots):
    farm, client = await phones(1, real_scripts=True)
    phone = farm[0]
    phone.state.foreground = "com.zhiliaoapp.musically"  # the app open on its first screen
    page = Page(browser, str(client.make_url("/")), shots)
    await page.open(f"/devices/{phone.serial}")
    await page.click("a.button[href='?look=1']")
    await page.wait_for("document.querySelector('#verdict') !== null")
    verdict = await page.text("#verdict")
    assert verdict.startswith("app: tiktok") and "looks like:" in verdict and "ok " in verdict, verdict
    await page.wait_for("document.querySelector('#look-screen').naturalWidth > 0")
    assert await page.js("document.querySelectorAll('.look .box').length") >= 1
    await page.save("device-look")


async def test_a_refused_form_shows_the_errors_next_to_the_fields(browser, phones, shots):
    farm, client = await phones(1, real_scripts=True)
    page = Page(browser, str(client.make_url("/")), shots)
    await page.open(f"/tasks/new?serial={farm[0].serial}")
    await page.click('input[name="script_name"][value="follow"]')
    await page.click("#create")  # no target user
    await page.wait_for("document.querySelector('#form-errors') !== null")
    errors = await page.js("[...document.querySelectorAll('.error[data-field]')].map(e => e.dataset.field)")
    assert errors and all(field.startswith("script_config") for field in errors), errors
    _, stats = await _get(client, "/api/v1/task/stats")
    assert stats["total"] == 0  # nothing was created


async def test_a_failed_tasks_screenshot_and_dump(browser, phones, shots, tmp_path):
    packs = tmp_path / "packs"
    shutil.copytree(PACKS_DIR, packs)
    pack = packs / "tiktok.toml"
    pack.write_text(pack.read_text().replace("^(Follow|Suivre|Follow back|Suivre en retour)$", "^Abonnieren$"))
    farm, client = await phones(1, real_scripts=True, ui={"selectors_dir": str(packs), "screen_timeout": 1.0})
    page = Page(browser, str(client.make_url("/")), shots)
    await page.open(f"/tasks/new?serial={farm[0].serial}")
    await page.click('input[name="script_name"][value="follow"]')
    await page.run(lambda: page.browser.find_element("css selector", 'textarea[name="target_users"]')
                   .send_keys("nasa"))
    await page.click("#create")
    await page.wait_for("document.querySelector('#task-status') && "
                        "document.querySelector('#task-status').textContent.trim() === 'failed'")
    await page.wait_for("document.querySelector('#failure-screen') && "
                        "document.querySelector('#failure-screen').naturalWidth > 0")
    assert "selector_not_found" in await page.text("main")
    await page.save("task-failed")
    links = await page.js("[...document.querySelectorAll('a[href*=\"/artifacts/\"]')].map(a => a.textContent)")
    assert {"dump.xml", "screen.png", "selectors.txt"} <= set(links)


async def test_writes_need_the_dashboards_own_form(phones):
    _, client = await phones(1, real_scripts=True)
    forged = await client.post("/tasks/retry-all", data={"csrf": "guess"})
    assert forged.status == 403
    foreign = await client.post("/tasks/retry-all", data={}, headers={"Origin": "https://evil.example"})
    assert foreign.status == 403


async def _get(client, path: str) -> tuple[int, Any]:
    response = await client.get(path)
    body = await response.json()
    return response.status, body["data"]
