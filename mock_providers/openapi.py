"""OpenAPI 3.1 for the mock providers, generated from their route tables.

Each provider describes its operations in a table keyed by ``(method, path)`` (its
``api_docs`` module), with schemas built from the same constants its validators use (field
lengths, enums, the fault catalog, the §8 error catalog). :func:`build_spec` walks the
provider's actual Starlette routes and refuses a route without a description or a
description without a route, so the document cannot drift from the code. Every operation
lists every status it can answer, each error with the §8 body (:data:`ERROR_SCHEMA`); the
statuses any request can meet at the HTTP layer (400, 414, 431, and with a body 408, 413,
415) are added by :func:`build_spec`.

:func:`docs_routes` serves the document at ``GET /openapi.json`` and a self-contained HTML
rendering of it at ``GET /docs`` (no script, no stylesheet or font from anywhere: it works
offline and from a CI artifact).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from harness.protocol import ERRORS
from harness.protocol.versions import MAX_VERSION_LENGTH
from harness.protocol.versions import VERSION_PATTERN as _V1  # V-1, the parser's own grammar

__all__ = [
    "ADMIN_TOKEN_SCHEME",
    "CLOCK_SCHEMA",
    "CONTROL_SECURITY",
    "DOCS_CSP",
    "ERROR_SCHEMA",
    "VERSION_SCHEMA",
    "Body",
    "Operation",
    "Reply",
    "Schema",
    "array",
    "build_spec",
    "docs_routes",
    "header",
    "integer",
    "number",
    "obj",
    "path_param",
    "query",
    "string",
]

Schema = dict[str, Any]
OPENAPI_VERSION = "3.1.0"
VERSION_SCHEMA: Schema = {
    "type": "string",
    "maxLength": MAX_VERSION_LENGTH,
    "pattern": "^" + _V1.pattern.replace("(?P<", "(?<") + "$",
    "description": "V-1: 1-4 dot-separated integers without leading zeros, optionally "
    "-prerelease and/or +build",
}
CONTROL_SECURITY: tuple[Mapping[str, list[str]], ...] = ({}, {"adminToken": []})
"""S-6: loopback callers need nothing; anyone else the admin token."""


def string(
    max_length: int | None = None,
    *,
    min_length: int | None = None,
    pattern: str | None = None,
    enum: Sequence[str] | None = None,
    fmt: str | None = None,
    description: str | None = None,
) -> Schema:
    schema: Schema = {"type": "string"}
    for key, value in (
        ("maxLength", max_length),
        ("minLength", min_length),
        ("pattern", pattern),
        ("format", fmt),
        ("description", description),
    ):
        if value is not None:
            schema[key] = value
    if enum is not None:
        schema["enum"] = list(enum)
    return schema


def integer(
    minimum: int | None = None, maximum: int | None = None, *, enum: Sequence[int] | None = None
) -> Schema:
    schema: Schema = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    if enum is not None:
        schema["enum"] = list(enum)
    return schema


def number(minimum: float | None = None, maximum: float | None = None) -> Schema:
    schema: Schema = {"type": "number"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def obj(
    properties: Mapping[str, Schema],
    required: Iterable[str] = (),
    *,
    additional: bool = True,
    description: str | None = None,
) -> Schema:
    """A JSON object; ``additional=False`` where the endpoint refuses unknown fields."""
    schema: Schema = {"type": "object", "properties": dict(properties)}
    req = list(required)
    if req:
        schema["required"] = req
    if not additional:
        schema["additionalProperties"] = False
    if description is not None:
        schema["description"] = description
    return schema


def array(items: Schema, *, max_items: int | None = None, min_items: int | None = None) -> Schema:
    schema: Schema = {"type": "array", "items": items}
    if max_items is not None:
        schema["maxItems"] = max_items
    if min_items is not None:
        schema["minItems"] = min_items
    return schema


def _param(where: str, name: str, schema: Schema, required: bool, description: str) -> Schema:
    return {
        "name": name,
        "in": where,
        "required": required,
        "schema": schema,
        "description": description,
    }


def header(name: str, schema: Schema, description: str, *, required: bool = False) -> Schema:
    return _param("header", name, schema, required, description)


def query(name: str, schema: Schema, description: str, *, required: bool = False) -> Schema:
    return _param("query", name, schema, required, description)


def path_param(name: str, schema: Schema, description: str) -> Schema:
    return _param("path", name, schema, True, description)


ERROR_SCHEMA: Schema = obj(
    {
        "error": string(enum=sorted(ERRORS), description="the §8 error code"),
        "error_description": string(description="what is wrong and what to do (English)"),
        "clause": string(
            pattern=r"^[PVATRS]-[0-9]+$", description="the PROTOCOL.md clause the refusal enforces"
        ),
        "message": string(description="the Vietnamese message the apps' error screens show"),
        "minimum_version": string(description="app_update_required: the minimum version"),
        "store_url": {
            "type": ["string", "null"],
            "description": "app_update_required: the store for the caller's platform",
        },
        "store_urls": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "app_update_required: the store link of each platform",
        },
        "holder": string(description="in_use: who holds the provider's lease"),
        "expires_in": number(0) | {"description": "in_use: seconds until the lease runs out"},
        "held_for": number(0) | {"description": "in_use: seconds the holder has held it"},
    },
    ["error", "error_description", "clause", "message"],
    description="PROTOCOL.md §8: every error body",
)


@dataclass(frozen=True, slots=True)
class Body:
    """A request body: its schema and media type."""

    schema: Schema
    media_type: str = "application/json"
    required: bool = True
    description: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """A success answer; ``schema`` ``None`` for a body-less answer (a redirect)."""

    description: str
    schema: Schema | None = None
    media_type: str = "application/json"
    headers: Mapping[str, Schema] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation. ``errors`` maps each error status it can answer to why;
    ``html_errors`` marks the web flow, whose errors are the §9 error screen (HTML)."""

    summary: str
    clause: str
    tag: str
    replies: Mapping[int, Reply]
    errors: Mapping[int, str] = field(default_factory=dict)
    body: Body | None = None
    parameters: Sequence[Schema] = ()
    security: Sequence[Mapping[str, list[str]]] | None = None
    description: str = ""
    html_errors: bool = False


_HTTP_LAYER = {
    400: "malformed request, or a header that must be single given twice (invalid_request)",
    414: "request target too long (uri_too_long)",
    431: "request headers too large (request_header_fields_too_large)",
}
_BODY_LAYER = {
    408: "the body did not arrive in time (request_timeout)",
    413: "the body is too large (payload_too_large)",
}


def _error_reply(description: str, html: bool) -> Schema:
    content: Schema = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    if html:
        content["text/html"] = {"schema": {"type": "string"}}
    return {"description": description, "content": content}


def _operation_id(method: str, path: str) -> str:
    """``get_api_v1_sessions_session_id`` for ``GET /api/v1/sessions/{session_id}``."""
    name = path.strip("/").replace("/", "_").replace(".", "_")
    name = name.replace("{", "").replace("}", "").replace("-", "_")
    return f"{method.lower()}_{name}"


def _operation(op: Operation, method: str, path: str) -> Schema:
    out: Schema = {
        "operationId": _operation_id(method, path),
        "summary": op.summary,
        "description": (op.description + f"\n\nClause: {op.clause}").strip(),
        "tags": [op.tag],
        "x-clause": op.clause,
    }
    if op.parameters:
        out["parameters"] = list(op.parameters)
    if op.security is not None:
        out["security"] = [dict(s) for s in op.security]
    errors = dict(_HTTP_LAYER)
    if op.body is not None:
        errors |= _BODY_LAYER
        if op.body.media_type == "application/json":
            errors[415] = "the body is not application/json (unsupported_media_type)"
        content: Schema = {"schema": op.body.schema}
        out["requestBody"] = {
            "required": op.body.required,
            "description": op.body.description,
            "content": {op.body.media_type: content},
        }
    if op.security == CONTROL_SECURITY:
        errors[403] = (
            "off loopback, or from a web page (a Host not a loopback name, an Origin of "
            "another site), without the admin token (forbidden, S-6)"
        )
    errors |= op.errors
    responses: Schema = {}
    for status, reply in sorted(op.replies.items()):
        entry: Schema = {"description": reply.description}
        if reply.schema is not None:
            entry["content"] = {reply.media_type: {"schema": reply.schema}}
        if reply.headers:
            entry["headers"] = {
                name: {"schema": schema, "required": True} for name, schema in reply.headers.items()
            }
        responses[str(status)] = entry
    for status, why in sorted(errors.items()):
        html = op.html_errors and status not in (414, 431)
        responses[str(status)] = _error_reply(why, html)
    out["responses"] = responses
    return out


def build_spec(
    routes: Iterable[BaseRoute],
    table: Mapping[tuple[str, str], Operation],
    *,
    title: str,
    description: str,
    version: str,
    server: str,
    security_schemes: Mapping[str, Schema],
) -> Schema:
    """The OpenAPI document of ``routes``; every route must be in ``table`` and vice versa."""
    paths: dict[str, Schema] = {}
    seen: set[tuple[str, str]] = set()
    for route in routes:
        if not isinstance(route, Route):
            continue
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            key = (method, route.path)
            op = table.get(key)
            if op is None:
                raise LookupError(
                    f"{method} {route.path} has no OpenAPI description; add it "
                    "to the provider's api_docs table"
                )
            seen.add(key)
            shown = route.path_format  # "{client_id}" for "{client_id:path}"
            paths.setdefault(shown, {})[method.lower()] = _operation(op, method, shown)
    unused = sorted(set(table) - seen)
    if unused:
        raise LookupError(f"OpenAPI descriptions without a route: {unused}")
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version, "description": description},
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "securitySchemes": dict(security_schemes),
        },
    }


DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'"
"""The page loads nothing: no script, no stylesheet, font or image from anywhere."""
DOCS_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/openapi.json"): Operation(
        "This OpenAPI document",
        "A-1",
        "documentation",
        {200: Reply("the OpenAPI 3.1 document", obj({"openapi": string()}, ["openapi"]))},
    ),
    ("GET", "/docs"): Operation(
        "This document as an HTML page (self-contained, works offline)",
        "A-1",
        "documentation",
        {200: Reply("the HTML page", string(), "text/html")},
    ),
}


def docs_routes(
    routes: Sequence[BaseRoute], build: Callable[[Sequence[BaseRoute]], Schema]
) -> list[BaseRoute]:
    """``GET /openapi.json`` and ``GET /docs`` for ``routes`` (plus these two); the document is
    built on first use with ``build(all_routes)``."""
    cache: list[Schema] = []
    own: list[BaseRoute] = []

    def spec() -> Schema:
        if not cache:
            cache.append(build([*routes, *own]))
        return cache[0]

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(spec())

    async def docs(request: Request) -> Response:
        return HTMLResponse(render_html(spec()), headers={"Content-Security-Policy": DOCS_CSP})

    own.extend(
        [
            Route("/openapi.json", openapi_json, methods=["GET"]),
            Route("/docs", docs, methods=["GET"]),
        ]
    )
    return own


# -- the HTML page ------------------------------------------------------------------------
_CSS = (
    "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}"
    "main{max-width:980px;margin:0 auto;padding:16px}h1{margin-bottom:4px}"
    "section.op{background:#fff;border:1px solid #ddd;border-radius:6px;margin:12px 0;"
    "padding:8px 14px}.m{display:inline-block;min-width:64px;font-weight:700;color:#fff;"
    "border-radius:4px;padding:2px 6px;text-align:center}.GET{background:#1565c0}"
    ".POST{background:#2e7d32}.DELETE{background:#c62828}code,pre{font-size:.85rem}"
    "pre{background:#f4f4f4;padding:8px;overflow:auto;max-height:320px}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;"
    "text-align:left;padding:4px;vertical-align:top}nav a{margin-right:10px}"
)


def _resolve(spec: Schema, schema: Any) -> Any:
    if isinstance(schema, dict) and "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return spec["components"]["schemas"].get(name, schema)
    return schema


def _json_block(value: Any) -> str:
    return f"<pre>{escape(json.dumps(value, ensure_ascii=False, indent=2))}</pre>"


def _render_op(spec: Schema, method: str, path: str, op: Schema) -> str:
    anchor = escape(op["operationId"])
    parts = [
        f'<section class="op" id="{anchor}"><h3><span class="m {escape(method)}">'
        f"{escape(method)}</span> <code>{escape(path)}</code></h3>",
        f"<p>{escape(op['summary'])} <small>({escape(op['x-clause'])})</small></p>",
    ]
    if op.get("security"):
        parts.append(f"<p>Security: <code>{escape(json.dumps(op['security']))}</code></p>")
    if op.get("parameters"):
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td>"
            f"<td><code>{escape(json.dumps(p['schema'], ensure_ascii=False))}</code></td>"
            f"<td>{escape(p.get('description', ''))}</td></tr>"
            for p in op["parameters"]
        )
        parts.append(
            "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th>"
            f"<th>schema</th><th>what</th></tr>{rows}</table>"
        )
    if "requestBody" in op:
        for media, content in op["requestBody"]["content"].items():
            parts.append(
                f"<h4>Request body <code>{escape(media)}</code></h4>"
                + _json_block(content["schema"])
            )
    replies = []
    for status, reply in op["responses"].items():
        media = ", ".join(reply.get("content", {})) or "—"
        replies.append(
            f"<tr><td>{escape(status)}</td><td>{escape(reply['description'])}</td>"
            f"<td><code>{escape(media)}</code></td></tr>"
        )
    parts.append(
        "<h4>Responses</h4><table><tr><th>status</th><th>when</th><th>body</th></tr>"
        + "".join(replies)
        + "</table>"
    )
    ok = next((r for s, r in op["responses"].items() if s.startswith("2")), None)
    if ok is not None:
        for media, content in ok.get("content", {}).items():
            parts.append(
                f"<details><summary>Success body <code>{escape(media)}</code>"
                f"</summary>{_json_block(_resolve(spec, content['schema']))}</details>"
            )
    parts.append("</section>")
    return "".join(parts)


def render_html(spec: Schema) -> str:
    """The OpenAPI document as one HTML page: operations by tag, then the error schema."""
    by_tag: dict[str, list[str]] = {}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            by_tag.setdefault(op["tags"][0], []).append(_render_op(spec, method.upper(), path, op))
    info = spec["info"]
    nav = "".join(f'<a href="#tag-{escape(tag)}">{escape(tag)}</a>' for tag in by_tag)
    body = "".join(
        f'<h2 id="tag-{escape(tag)}">{escape(tag)}</h2>' + "".join(ops)
        for tag, ops in by_tag.items()
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(info['title'])}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{escape(info['title'])}</h1><p>version {escape(info['version'])} · server "
        f"<code>{escape(spec['servers'][0]['url'])}</code> · "
        '<a href="openapi.json">openapi.json</a></p>'
        f"<p>{escape(info['description'])}</p><nav>{nav}</nav>{body}"
        "<h2>Error body (PROTOCOL.md §8)</h2>"
        f"{_json_block(spec['components']['schemas']['Error'])}"
        "</main></body></html>\n"
    )


ADMIN_TOKEN_SCHEME: dict[str, Any] = {
    "type": "apiKey",
    "in": "header",
    "name": "X-Harness-Admin-Token",
    "description": "S-6: the admin token (needed off loopback, and by everyone when one is "
    "configured)",
}
"""The ``adminToken`` security scheme both providers' control APIs declare."""
CLOCK_SCHEMA = obj({"offset_seconds": number(), "now": number()}, ["offset_seconds", "now"])
"""What ``POST /_harness/clock`` answers on both providers (§11)."""
