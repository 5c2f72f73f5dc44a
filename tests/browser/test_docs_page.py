"""/docs in a real (headless) browser with no network: the API page renders from the daemon alone."""

from __future__ import annotations

import asyncio
import json

from tests.helpers import call


async def test_the_api_page_renders_offline(browser, client):
    url = str(client.make_url("/docs"))

    def look() -> dict:
        browser.get_log("browser")  # what earlier tests' pages logged is not this page's
        browser.get(url)
        return {
            "title": browser.title,
            "text": browser.find_element("tag name", "main").text,
            "resources": browser.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name)"),
            "links": browser.execute_script(
                "return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"),
            "log": [entry["message"] for entry in browser.get_log("browser")],
        }

    page = await asyncio.to_thread(look)
    assert page["title"].startswith("tikmatrixd") and page["title"].endswith("API")
    text = page["text"]
    for expected in ("POST /api/v1/task", "GET /api/v1/events", "GET /api/v1/webhooks", "CreateTask",
                     "curl -X POST $API/task", "target_users"):
        assert expected in text, expected
    assert page["resources"] == []  # nothing fetched but the page itself
    assert all(link.startswith(("#", "/")) for link in page["links"]), page["links"]
    assert page["log"] == []  # no error, no blocked request


async def test_openapi_json_is_the_bare_document(client):
    response = await client.get("/openapi.json")
    document = await response.json()
    _, wrapped = await call(client, "GET", "/api/v1/openapi.json")
    assert response.status == 200 and document == wrapped["data"]
    assert document["openapi"] == "3.1.0" and "/api/v1/task" in document["paths"]
    assert json.dumps(document)  # plain JSON, no envelope
    page = await client.get("/docs")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
