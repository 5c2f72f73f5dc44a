"""The dashboard: server-rendered pages at ``/``, with a little JavaScript to make them live.

Templates and static files ship in the package: no build step, no CDN.
"""

from __future__ import annotations

import os

import aiohttp_jinja2
import jinja2
from aiohttp import hdrs, web

from tikmatrixd.config import Config
from tikmatrixd.ui.selectors import load_packs
from tikmatrixd.web.session import Sessions
from tikmatrixd.web.views import PACKS, SCREENS, SESSIONS, routes

HERE = os.path.dirname(__file__)
#: The dashboard's pages load only from the daemon, and no other page may frame them.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def setup_dashboard(app: web.Application, config: Config) -> None:
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(os.path.join(HERE, "templates")),
                         autoescape=jinja2.select_autoescape(default=True))
    app[SESSIONS] = Sessions(config.token())
    app[SCREENS] = {}
    app[PACKS] = load_packs(config.ui.selectors_dir)
    app.add_routes(routes)
    app.router.add_static("/static/", os.path.join(HERE, "static"), name="static")
    app.on_response_prepare.append(_page_headers)


async def _page_headers(request: web.Request, response: web.StreamResponse) -> None:
    # The header as set, not response.content_type: that parses it again on every API answer.
    html = response.headers.get(hdrs.CONTENT_TYPE, "").startswith("text/html")
    if html and "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
