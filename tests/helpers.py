"""Small helpers for API tests."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient


async def call(client: TestClient, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, envelope) for one request."""
    response = await client.request(method, path, **kwargs)
    return response.status, await response.json()
