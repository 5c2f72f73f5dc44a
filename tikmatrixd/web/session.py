"""Who may use the dashboard, and proof that a form was sent from its own pages.

Without an API token the dashboard is open to whoever reaches the port (as
the API is). With one, the browser signs in once with the token (a form
post, never a URL) and gets a session cookie: HttpOnly, SameSite=Strict,
holding an HMAC of the token, not the token; changing the token ends every
session. Every form carries a CSRF field (an HMAC of the session, keyed with
a secret of this process), on top of the guard's Origin check and the
SameSite cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

COOKIE = "tikmatrixd_session"
CSRF_FIELD = "csrf"


class Sessions:
    def __init__(self, token: str | None) -> None:
        self._token = token
        self._secret = secrets.token_bytes(32)

    @property
    def needed(self) -> bool:
        return self._token is not None

    def _value(self) -> str:
        assert self._token is not None
        return hmac.new(self._token.encode(), b"tikmatrixd dashboard session", hashlib.sha256).hexdigest()

    def valid_token(self, supplied: str) -> bool:
        return self._token is not None and hmac.compare_digest(supplied.encode(), self._token.encode())

    def signed_in(self, request: web.Request) -> bool:
        return not self.needed or hmac.compare_digest(request.cookies.get(COOKIE, "").encode(),
                                                      self._value().encode())

    def sign_in(self, response: web.StreamResponse) -> None:
        response.set_cookie(COOKIE, self._value(), httponly=True, samesite="Strict", path="/")

    def csrf(self, request: web.Request) -> str:
        """The CSRF field of this browser's forms."""
        session = request.cookies.get(COOKIE, "") if self.needed else "open"
        return hmac.new(self._secret, session.encode(), hashlib.sha256).hexdigest()[:40]

    def csrf_ok(self, request: web.Request, supplied: object) -> bool:
        return isinstance(supplied, str) and hmac.compare_digest(supplied.encode(), self.csrf(request).encode())
