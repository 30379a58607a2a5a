"""Request bodies read with a size cap and a time limit: JSON must be a UTF-8 object without
duplicate keys, lone surrogates, ``NaN``/``Infinity`` or deep nesting, its media type
matched without regard to case; forms must be form-encoded, each parameter once."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from starlette.requests import ClientDisconnect, Request

from harness.protocol import (
    ProtocolError,
    strict_json,
)
from harness.protocol.json_names import json_kind
from harness.protocol.links import parse_query
from harness.protocol.strict_json import DuplicateKey, json_error_text
from mock_providers._headers import header
from mock_providers._refusals import path_clause

MAX_BODY_BYTES = 64 * 1024
"""The largest request body any endpoint reads (413 ``payload_too_large`` beyond)."""


BODY_TIMEOUT = 30.0
"""Seconds allowed to receive a whole body (408 ``request_timeout`` beyond): a client that
declares a body and never sends it does not hold a handler forever."""


MAX_JSON_DEPTH = 32
"""The deepest JSON nesting a body may have (no endpoint needs more than 4)."""


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = header(request, b"content-length")
    declared = None if declared is None else declared.strip(" \t")
    # ASCII digits (the head guard refuses others; '²'.isdigit() but int('²') raises), and
    # no int() of thousands of digits (Python refuses more than 4,300)
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and (len(declared) > 18 or int(declared) > limit)
    ):
        raise ProtocolError(
            f"the body is {declared if len(declared) <= 18 else 'over 10^18'} bytes; "
            f"at most {limit}",
            code="payload_too_large",
            clause=path_clause(request.scope["path"]),
        )
    chunks: list[bytes] = []
    if getattr(request.scope.get("app"), "bodies_in_memory", False):
        return await _read_chunks(request, limit, chunks)
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            return await _read_chunks(request, limit, chunks)
    except TimeoutError:
        size = sum(map(len, chunks))
        raise ProtocolError(
            f"the body did not arrive within {BODY_TIMEOUT:g} s ({size} bytes received)",
            code="request_timeout",
            clause=path_clause(request.scope["path"]),
        ) from None


async def _read_chunks(request: Request, limit: int, chunks: list[bytes]) -> bytes:
    """The body's messages read from ``receive`` as ``Request.stream()`` reads them (a
    disconnect is ``ClientDisconnect``), without its async generator: each one costs the
    event loop's bookkeeping of a new generator, per request. The body is read once."""
    receive = request.receive
    size = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise ProtocolError(
                        f"the body exceeds {limit} bytes",
                        code="payload_too_large",
                        clause=path_clause(request.scope["path"]),
                    )
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        elif kind == "http.disconnect":
            raise ClientDisconnect()


JSON_WHITESPACE = b" \t\n\r"
"""RFC 8259 §2: the only whitespace JSON has (``bytes.strip()`` would also take \\x0b, \\x0c)."""


def _check_json_value(value: Any, clause: str) -> None:
    """Depth at most :data:`MAX_JSON_DEPTH`; every string (key or value) valid Unicode."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ProtocolError(
                    f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels", clause=clause
                )
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ProtocolError(
                    "the JSON holds a lone surrogate escape (such as \\ud800), "
                    "which is not Unicode text (RFC 8259 §8.2)",
                    clause=clause,
                ) from None


async def read_json_object(
    request: Request, *, clause: str, optional: bool = False, limit: int = MAX_BODY_BYTES
) -> dict[str, Any]:
    """The request body as a JSON object; ``{}`` when ``optional`` and the body is empty."""
    raw = await _read_capped(request, limit)
    if not raw.strip(JSON_WHITESPACE):
        if optional:
            return {}
        raise ProtocolError("the body is empty; send a JSON object", clause=clause)
    # OWS is SP and HTAB (RFC 9110 §5.6.3): str.strip() also took NBSP and NEL
    ctype = (header(request, b"content-type") or "application/json").split(";")[0].strip(" \t")
    lowered = ctype.lower()  # type and subtype are case-insensitive (RFC 9110 §8.3.1)
    if lowered and lowered != "application/json" and not lowered.endswith("+json"):
        raise ProtocolError(
            f"content type {ctype!r} is not JSON; send application/json",
            code="unsupported_media_type",
            clause=clause,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(
            f"the body is not UTF-8 (RFC 8259 §8.1): {exc}", clause=clause
        ) from None
    try:
        value = strict_json.loads(text)
    except DuplicateKey as dup:
        raise ProtocolError(
            f"key {dup.key[:40]!r} appears more than once in a JSON object", clause=clause
        ) from None
    except (ValueError, RecursionError) as exc:
        said = (
            "it starts with a byte order mark (U+FEFF), which RFC 8259 §8.1 keeps out of "
            "JSON sent over a network; send it without"
            if text.startswith("\ufeff")
            else json_error_text(exc)
        )
        raise ProtocolError(f"the body is not valid JSON: {said}", clause=clause) from None
    if b"\\u" in raw or raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        # only an escape can make a lone surrogate (the text is valid UTF-8), and only that
        # many brackets can nest too deep: otherwise there is nothing to walk for
        _check_json_value(value, clause)
    if not isinstance(value, dict):
        raise ProtocolError(
            f"the body must be a JSON object, got {json_kind(value)}", clause=clause
        )
    return value


async def read_form_text(request: Request, *, clause: str, limit: int = MAX_BODY_BYTES) -> str:
    """A form-encoded body as its text (``a=1&b=2``), for a caller that parses it as a query
    (the authorization endpoint's POST, OpenID Connect Core §3.1.2.1)."""
    ctype = (header(request, b"content-type") or "").split(";")[0].strip(" \t").lower()
    if ctype != "application/x-www-form-urlencoded":
        raise ProtocolError(
            f"content type {ctype or 'none'!r}: this endpoint takes "
            "application/x-www-form-urlencoded (RFC 6749 §4.1.3, §3.2)",
            clause=clause,
        )
    raw = await _read_capped(request, limit)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"the form body cannot be decoded: {exc}", clause=clause) from None


async def read_form(
    request: Request, *, clause: str, limit: int = MAX_BODY_BYTES
) -> dict[str, str]:
    """A form-encoded body (RFC 6749 §3.2); a parameter given twice is refused."""
    text = await read_form_text(request, clause=clause, limit=limit)
    try:
        pairs = parse_query(text, max_fields=100)
    except ValueError as exc:
        raise ProtocolError(f"the form body cannot be decoded: {exc}", clause=clause) from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise ProtocolError(
                f"parameter {key!r} appears more than once (RFC 6749 §3.1)", clause=clause
            )
        form[key] = value
    return form


def require_str(
    body: Mapping[str, Any],
    key: str,
    *,
    clause: str,
    max_len: int = 4096,
    code: str = "invalid_request",
) -> str:
    """A required non-empty string field, with a message naming the field."""
    value = body.get(key)
    if value is None or value == "":
        raise ProtocolError(f"{key!r} is required", clause=clause, code=code)
    if not isinstance(value, str):
        raise ProtocolError(
            f"{key!r} must be a string, got {json_kind(value)}", clause=clause, code=code
        )
    if len(value) > max_len:
        raise ProtocolError(
            f"{key!r} is {len(value)} characters; at most {max_len}", clause=clause, code=code
        )
    return value
