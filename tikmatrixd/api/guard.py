"""Who may call the API: Host check, bearer token, plan."""

from __future__ import annotations

import hmac

from aiohttp import web
from aiohttp.typedefs import Handler

from tikmatrixd import keys
from tikmatrixd.config import Config, is_loopback
from tikmatrixd.core.errors import InvalidParameters, PlanHasNoApi, Unauthorized

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")


def guard_middleware(config: Config) -> web.middleware:
    token = config.token()
    check_host = is_loopback(config.server.host)
    allowed_hosts = set(LOOPBACK_NAMES) | set(config.server.allowed_hosts)
    starter = config.license.plan == "starter"

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if check_host:
            # A DNS-rebinding page reaches a loopback API with a foreign Host.
            if _host_name(request.host) not in allowed_hosts:
                raise InvalidParameters(f"Host {request.host!r} is not allowed")
        if token is not None and request.path.startswith("/api/"):
            supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(supplied.encode(), token.encode()):
                raise Unauthorized()
        if starter and request.path.startswith("/api/v1/"):
            raise PlanHasNoApi()
        return await handler(request)

    return guard


def _host_name(host: str | None) -> str:
    """`127.0.0.1:50809` → `127.0.0.1`; `[::1]:50809` → `[::1]`."""
    name, _, port = (host or "").rpartition(":")
    if not port.isdigit() or name.count(":") and not name.startswith("["):
        return host or ""  # no port, or a bare IPv6 address
    return name
