"""The dashboard's pages without a browser: sign-in with the token, session cookie, CSRF, escaping."""

from __future__ import annotations

import re

from tests.conftest import SERIALS
from tests.helpers import call


async def signed_out_client(api, tmp_path):
    token = tmp_path / "token"
    token.write_text("t0ken-for-tests")
    return await api(server={"token_file": str(token)})


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


async def test_a_token_is_asked_once_and_kept_in_a_cookie(api, tmp_path):
    client = await signed_out_client(api, tmp_path)
    first = await client.get("/tasks", allow_redirects=False, headers={"Accept": "text/html"})
    assert (first.status, first.headers["Location"]) == (303, "/login?next=/tasks")
    assert (await client.get("/ui/events")).status == 401
    assert (await client.get("/devices/X/screen.png", headers={"Accept": "image/png"})).status == 401
    wrong = await client.post("/login", data={"token": "guess", "next": "/tasks"}, allow_redirects=False)
    assert wrong.status == 401 and "not the daemon&#39;s token" in await wrong.text()
    right = await client.post("/login", data={"token": "t0ken-for-tests", "next": "//evil.example/"},
                              allow_redirects=False)
    assert (right.status, right.headers["Location"]) == (303, "/")  # never elsewhere
    cookie = right.cookies["tikmatrixd_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and "t0ken" not in cookie.value
    page = await client.get("/tasks")
    assert page.status == 200 and "Tasks" in await page.text()
    status, body = await call(client, "GET", "/api/v1/task/stats")  # the API still wants its bearer token
    assert (status, body["code"]) == (401, 40101)


async def test_forms_need_their_csrf_field_and_change_nothing_without(client):
    _, body = await call(client, "POST", "/api/v1/task", json={
        "serials": [SERIALS[0]], "script_name": "follow", "script_config": {"target_users": ["nasa"]}})
    [task_id] = body["data"]["task_ids"]
    refused = await client.post(f"/tasks/{task_id}/stop", data={"csrf": "0" * 40})
    assert refused.status == 403
    assert (await call(client, "GET", f"/api/v1/task/{task_id}"))[1]["data"]["status_text"] == "pending"
    page = await (await client.get(f"/tasks/{task_id}")).text()
    done = await client.post(f"/tasks/{task_id}/stop", data={"csrf": csrf(page)}, allow_redirects=False)
    assert done.status == 303
    assert (await call(client, "GET", f"/api/v1/task/{task_id}"))[1]["data"]["status_text"] == "failed"


async def test_what_users_send_is_escaped_in_the_pages(client):
    page = await (await client.get("/tasks?serial=<b>x</b>")).text()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


async def test_accounts_show_what_was_done_today_against_the_caps(client):
    _, body = await call(client, "POST", "/api/v1/accounts", json={
        "username": "shop_a", "device": SERIALS[0], "daily_caps": {"follow": 3}})
    page = await (await client.get("/accounts")).text()
    row = page[page.index(f'id="account-{body["data"]["id"]}"'):]
    assert "@shop_a" in row and "follow 0/3" in row[:row.index("</tr>")]
