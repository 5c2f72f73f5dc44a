"""Who may call the API: Host check, Origin check, bearer token, plan.

The Host check stops a DNS-rebinding page (it reaches us under a foreign
name). The Origin check stops any other web page: a browser sends a form
post or a ``text/plain`` fetch cross-site without a CORS preflight, with
our own Host, so only its ``Origin`` header tells it apart from curl.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from aiohttp import web
from yarl import URL

from tikmatrixd.config import Config, is_loopback
from tikmatrixd.core.errors import ForeignOrigin, InvalidParameters, PlanHasNoApi, Unauthorized

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]", "::1")


Guard = Callable[[web.Request], None]


def make_guard(config: Config) -> Guard:
    """The check every request passes first; it raises the error to answer with.
    A plain function, called by the envelope middleware: a middleware of its own
    cost aiohttp a wrapper and a coroutine per request."""
    token = config.token()
    check_host = is_loopback(config.server.host)
    allowed_hosts = set(LOOPBACK_NAMES) | set(config.server.allowed_hosts)
    allowed_origins = {_origin(URL(origin)) for origin in config.server.allowed_origins}
    starter = config.license.plan == "starter"

    def guard(request: web.Request) -> None:
        if check_host:
            # A DNS-rebinding page reaches a loopback API with a foreign Host.
            if _host_name(request.host) not in allowed_hosts:
                raise InvalidParameters(f"Host {request.host!r} is not allowed")
        origin = request.headers.get("Origin")
        if origin is not None and not _trusted(origin, request, allowed_origins):
            raise ForeignOrigin(f"requests from the web page {origin[:100]!r} are refused "
                                "(server.allowed_origins lists the pages allowed)")
        if token is not None and request.path.startswith("/api/"):
            supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(supplied.encode(), token.encode()):
                raise Unauthorized()
        if starter and request.path.startswith("/api/v1/"):
            raise PlanHasNoApi()

    return guard


def _origin(url: URL) -> tuple[str, str, int | None]:
    return (url.scheme.lower(), (url.host or "").lower(), url.port)


def _trusted(origin: str, request: web.Request, allowed: set[tuple[str, str, int | None]]) -> bool:
    """The daemon's own pages (same scheme, host and port as this request), or a listed one.
    ``Origin: null`` (sandboxed frames, files) is never trusted."""
    try:
        url = URL(origin)
    except ValueError:
        return False
    if not url.is_absolute():
        return False
    own = URL.build(scheme=request.scheme, authority=request.host or "")
    return _origin(url) == _origin(own) or _origin(url) in allowed


def _host_name(host: str | None) -> str:
    """`127.0.0.1:50809` → `127.0.0.1`; `[::1]:50809` → `[::1]`."""
    name, _, port = (host or "").rpartition(":")
    if not port.isdigit() or name.count(":") and not name.startswith("["):
        return host or ""  # no port, or a bare IPv6 address
    return name
