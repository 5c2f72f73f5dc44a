"""/docs: the API page, and /openapi.json: the bare OpenAPI document for tools.

The page is rendered here, on the server, from the same OpenAPI document
(``openapi.document``) and the curl examples shipped with the package
(``examples.sh``, the README's too): one HTML page with its style inline,
no script, no font, nothing fetched from anywhere (its Content-Security-Policy
forbids it), so it works on a farm with no internet. Every text from the
document is escaped.
"""

from __future__ import annotations

import html
import json
import os
from typing import Any

from aiohttp import web

from tikmatrixd import __version__
from tikmatrixd.api.openapi import document

routes = web.RouteTableDef()

EXAMPLES = os.path.join(os.path.dirname(__file__), "examples.sh")
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
main{max-width:1100px;margin:auto;padding:1rem 2rem}
h1{margin-bottom:0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem;margin-top:2.5rem}
pre{background:#f0f2f5;padding:.8rem;overflow-x:auto;font-size:13px;border-radius:4px}
code{font-size:13px}table{border-collapse:collapse;margin:.3rem 0 1rem;font-size:14px}
td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;vertical-align:top}
.op{margin:1.2rem 0;padding:.2rem 1rem;background:#fff;border:1px solid #d0d7de;border-radius:6px}
.method{display:inline-block;min-width:4.5em;font-weight:bold;font-family:monospace}
.get{color:#0969da}.post{color:#1a7f37}.patch{color:#9a6700}.delete{color:#cf222e}
nav a{margin-right:1rem}
"""


@routes.get("/openapi.json")
async def bare_openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document itself, without the envelope (for tools and code generators)."""
    return web.json_response(document(request.app))


@routes.get("/docs")
async def docs_page(request: web.Request) -> web.Response:
    """The API reference as one self-contained HTML page."""
    return web.Response(text=render_page(document(request.app), read_examples()), content_type="text/html",
                        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})


def read_examples() -> str:
    with open(EXAMPLES, encoding="utf-8") as handle:
        return handle.read()


class Html(str):
    """Markup built here (never text from outside), inserted as is."""


def e(value: Any) -> str:
    return value if isinstance(value, Html) else html.escape(str(value), quote=True)


def render_page(spec: dict[str, Any], examples: str) -> str:
    schemas = spec.get("components", {}).get("schemas", {})
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            by_tag.setdefault(operation.get("tags", ["other"])[0], []).append((method, path, operation))
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>tikmatrixd {e(__version__)} API</title><link rel=icon href=\"data:,\"><style>{STYLE}</style></head>"
        "<body><main>",
        f"<h1>tikmatrixd API</h1><p>version {e(__version__)} · OpenAPI {e(spec['openapi'])} · "
        "<a href=\"/openapi.json\">openapi.json</a></p>",
        f"<p>{e(spec['info'].get('description', ''))}</p>",
        "<nav>" + "".join(f'<a href="#{e(tag)}">{e(tag)}</a>' for tag in by_tag)
        + '<a href="#schemas">schemas</a></nav>',
        "<h2 id=examples>Examples</h2><pre>" + e(examples) + "</pre>",
    ]
    for tag, operations in by_tag.items():
        parts.append(f"<h2 id=\"{e(tag)}\">{e(tag)}</h2>")
        parts += [_operation(method, path, operation) for method, path, operation in operations]
    parts.append("<h2 id=schemas>Schemas</h2>")
    parts += [_schema(name, schema) for name, schema in schemas.items()]
    parts.append("</main></body></html>")
    return "".join(parts)


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    out = [f'<div class=op id="{e(operation.get("operationId", ""))}"><h3><span class="method {e(method)}">'
           f"{e(method.upper())}</span> <code>{e(path)}</code></h3><p>{e(operation.get('summary', ''))}</p>"]
    rows = [(p["name"], p.get("in", ""), _type(p.get("schema", {})), p.get("description", ""))
            for p in operation.get("parameters", [])]
    if rows:
        out.append(_table(("parameter", "in", "type", "description"), rows))
    body = operation.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        out.append(f"<p>request body ({e(media)}): {_type(content.get('schema', {}))}</p>")
    for status, response in operation.get("responses", {}).items():
        if isinstance(response, dict):
            for media, content in response.get("content", {}).items():
                out.append(f"<p>answer {e(status)} ({e(media)}): {_type(content.get('schema', {}))}</p>")
    out.append("</div>")
    return "".join(out)


def _schema(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = [(prop + (" *" if prop in required else ""), _type(spec), spec.get("description", ""))
            for prop, spec in schema.get("properties", {}).items()]
    table = _table(("field", "type", "description"), rows) if rows else f"<pre>{e(json.dumps(schema, indent=1))}</pre>"
    return f'<h3 id="schema-{e(name)}">{e(name)}</h3>{table}'


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _type(schema: dict[str, Any]) -> Html:
    """A schema as short HTML: a link for a reference, else its type, enum or default."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return Html(f'<a href="#schema-{e(name)}">{e(name)}</a>')
    if "allOf" in schema and "data" in schema.get("properties", {}):  # an answer in the envelope
        return Html(f"the envelope; data: {_type(schema['properties']['data'])}")
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return Html(" | ".join(_type(item) for item in schema[key]))
    kind = schema.get("type", "")
    text = " | ".join(kind) if isinstance(kind, list) else str(kind)
    if kind == "array" and "items" in schema:
        return Html(f"array of {_type(schema['items'])}")
    if "enum" in schema:
        text += " (" + ", ".join(json.dumps(v) for v in schema["enum"]) + ")"
    if "default" in schema:
        text += f"; default {json.dumps(schema['default'])}"
    return Html(f"<code>{e(text or 'any')}</code>")
