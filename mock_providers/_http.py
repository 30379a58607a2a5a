"""HTTP plumbing shared by both mock providers (Starlette).

- every refusal is the §8 error JSON with the catalog's status, never a 500 or a hang;
- bodies are read with a size cap, JSON must be an object, forms must be form-encoded;
- app API calls are version-gated (V-3, V-4, V-5) through :func:`check_app_version`;
- every exchange is recorded in a bounded :class:`RequestLog`, secrets redacted (S-5);
- the test-control API is guarded by :func:`require_control_access` (S-6).
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.protocol import (
    AppId,
    Clock,
    Profile,
    ProtocolError,
    VersionError,
    parse_version,
)
from harness.protocol.redaction import redact_body, redact_headers, redact_url

__all__ = [
    "MAX_BODY_BYTES",
    "LOOPBACK_HOSTS",
    "RecordingMiddleware",
    "RequestLog",
    "RecordedExchange",
    "bearer_token",
    "check_app_version",
    "error_response",
    "exception_handlers",
    "optional_str",
    "read_form",
    "read_json_object",
    "require_control_access",
    "require_str",
]

log = logging.getLogger("mock_providers")

MAX_BODY_BYTES = 64 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})
PLATFORM_HEADER = "X-Device-Platform"


def error_response(err: ProtocolError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The §8 error JSON ``{error, error_description, clause, message}`` with its status."""
    hdrs = {"Cache-Control": "no-store", **(headers or {})}
    if err.status == 401 and "WWW-Authenticate" not in hdrs:
        scheme = "Basic" if err.code == "invalid_client" else "Bearer"
        hdrs["WWW-Authenticate"] = f'{scheme} error="{err.code}"'
    return JSONResponse(err.to_body(), status_code=err.status, headers=hdrs)


async def _on_protocol_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProtocolError)
    return error_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        err = ProtocolError(f"{request.method} is not allowed on {request.url.path}",
                            code="method_not_allowed")
    elif exc.status_code == 404:
        err = ProtocolError(f"no endpoint at {request.url.path}; see PROTOCOL.md §4, §5, §11",
                            code="not_found")
    else:
        err = ProtocolError(str(exc.detail), code="invalid_request", status=exc.status_code)
    return error_response(err)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    err = ProtocolError(
        f"the mock provider failed unexpectedly ({type(exc).__name__}); this is a harness bug, "
        "please report it with the request log",
        code="server_error",
    )
    return error_response(err)


def exception_handlers() -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    """Starlette ``exception_handlers`` mapping every failure to the §8 error JSON."""
    return {
        ProtocolError: _on_protocol_error,
        HTTPException: _on_http_exception,
        Exception: _on_unexpected,
    }


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(f"the body is {declared} bytes; at most {limit}",
                            code="payload_too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(f"the body exceeds {limit} bytes", code="payload_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(
    request: Request, *, clause: str, optional: bool = False, limit: int = MAX_BODY_BYTES
) -> dict[str, Any]:
    """The request body as a JSON object; ``{}`` when ``optional`` and the body is empty."""
    raw = await _read_capped(request, limit)
    if not raw.strip():
        if optional:
            return {}
        raise ProtocolError("the body is empty; send a JSON object", clause=clause)
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise ProtocolError(f"content type {ctype!r} is not JSON; send application/json",
                            code="unsupported_media_type", clause=clause)
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"the body is not valid JSON: {exc}", clause=clause) from None
    if not isinstance(value, dict):
        raise ProtocolError(f"the body must be a JSON object, got {type(value).__name__}",
                            clause=clause)
    return value


async def read_form(request: Request, *, clause: str,
                    limit: int = MAX_BODY_BYTES) -> dict[str, str]:
    """A form-encoded body (RFC 6749 §3.2); a parameter given twice is refused."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise ProtocolError(
            f"content type {ctype or 'none'!r}: the token endpoint takes "
            "application/x-www-form-urlencoded (RFC 6749 §4.1.3)", clause=clause,
        )
    raw = await _read_capped(request, limit)
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"the form body cannot be decoded: {exc}", clause=clause) from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise ProtocolError(f"parameter {key!r} appears more than once (RFC 6749 §3.1)",
                                clause=clause)
        form[key] = value
    return form


def require_str(body: Mapping[str, Any], key: str, *, clause: str, max_len: int = 4096,
                code: str = "invalid_request") -> str:
    """A required non-empty string field, with a message naming the field."""
    value = body.get(key)
    if value is None or value == "":
        raise ProtocolError(f"{key!r} is required", clause=clause, code=code)
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r} must be a string, got {type(value).__name__}",
                            clause=clause, code=code)
    if len(value) > max_len:
        raise ProtocolError(f"{key!r} is {len(value)} characters; at most {max_len}",
                            clause=clause, code=code)
    return value


def optional_str(body: Mapping[str, Any], key: str, *, clause: str,
                 max_len: int = 4096) -> str | None:
    if body.get(key) is None:
        return None
    return require_str(body, key, clause=clause, max_len=max_len)


def bearer_token(request: Request, *, clause: str, code: str = "invalid_token") -> str:
    """The Bearer token of ``Authorization`` (RFC 6750 §2.1), or a 401 naming what is wrong."""
    header = request.headers.get("authorization")
    if not header:
        raise ProtocolError("missing Authorization: Bearer <token>", code=code, clause=clause)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 4096:
        raise ProtocolError("Authorization must be 'Bearer <token>'", code=code, clause=clause)
    return token.strip()


def check_app_version(request: Request, app: AppId, profile: Profile) -> str | None:
    """Gate an app API call on its version header (V-3, V-4, V-5).

    Returns the caller's platform. A missing or malformed version is ``app_version_invalid``
    (400); one below the profile's minimum is ``app_update_required`` (426) with the
    ``store_url`` for the caller's platform.
    """
    header = "X-VNeID-App-Version" if app == "vneid" else "X-VssID-App-Version"
    clause = "V-5" if app == "vneid" else "V-4"
    platform = request.headers.get(PLATFORM_HEADER)
    platform = platform.lower() if platform else None
    try:
        version = parse_version(request.headers.get(header))
    except VersionError as exc:
        raise VersionError(f"{header}: {exc.description}", clause="V-3") from None
    minimum = profile.min_version(app)
    if version < minimum:
        store = profile.store_link(app, platform)
        raise ProtocolError(
            f"{header} {version} is below the minimum {minimum}; update the app",
            code="app_update_required", clause=clause,
            extra={"minimum_version": str(minimum), "store_url": store,
                   "store_urls": dict(profile.store_links.get(app, {}))},
        )
    return platform


def require_control_access(request: Request, admin_token: str | None) -> None:
    """S-6: the control API answers loopback callers, or anyone with the admin token."""
    if admin_token is not None:
        given = request.headers.get("x-harness-admin-token")
        if given is None:
            auth = request.headers.get("authorization", "")
            given = auth[7:] if auth.lower().startswith("bearer ") else None
        import hmac

        if given is not None and hmac.compare_digest(given.encode(), admin_token.encode()):
            return
        raise ProtocolError("the test-control API needs the admin token "
                            "(X-Harness-Admin-Token)", code="forbidden", clause="S-6")
    client = request.client.host if request.client else None
    if client not in LOOPBACK_HOSTS:
        raise ProtocolError(
            f"the test-control API is served only to loopback callers, not {client}; "
            "configure an admin token to reach it from elsewhere", code="forbidden",
            clause="S-6",
        )


@dataclass(frozen=True, slots=True)
class RecordedExchange:
    """One request a provider received and what it answered, secrets redacted (S-5)."""

    at: float
    method: str
    path: str
    url: str
    headers: Mapping[str, str]
    body: Any
    status: int
    response: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at, "method": self.method, "path": self.path, "url": self.url,
            "headers": dict(self.headers), "body": self.body, "status": self.status,
            "response": self.response,
        }


@dataclass
class RequestLog:
    """The newest ``maxlen`` exchanges, oldest first (§11 ``GET /_harness/requests``)."""

    maxlen: int = 1000
    _items: deque[RecordedExchange] = field(init=False)

    def __post_init__(self) -> None:
        self._items = deque(maxlen=self.maxlen)

    def append(self, item: RecordedExchange) -> None:
        self._items.append(item)

    def clear(self) -> None:
        self._items.clear()

    def all(self) -> list[RecordedExchange]:
        return list(self._items)

    def calls_to(self, path: str, method: str | None = None) -> list[RecordedExchange]:
        """The recorded exchanges on ``path`` (and ``method``), oldest first."""
        return [e for e in self._items
                if e.path == path and (method is None or e.method == method)]


def _decode_body(raw: bytes, content_type: str) -> Any:
    return redact_body(raw, content_type, limit=MAX_BODY_BYTES)


class RecordingMiddleware:
    """ASGI middleware that records each HTTP exchange into a :class:`RequestLog`.

    Requests to the control API's own ``/_harness/requests`` are not recorded.
    """

    def __init__(self, app: ASGIApp, log: RequestLog, clock: Clock) -> None:
        self.app = app
        self.log = log
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_harness/requests"):
            await self.app(scope, receive, send)
            return
        request_chunks: list[bytes] = []
        response_chunks: list[bytes] = []
        status_holder: list[int] = [0]
        response_ctype: list[str] = [""]
        at = self.clock.now()

        async def recv() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                if sum(map(len, request_chunks)) < MAX_BODY_BYTES:
                    request_chunks.append(body)
            return message

        async def snd(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                for k, v in message.get("headers", []):
                    if k.lower() == b"content-type":
                        response_ctype[0] = v.decode("latin-1")
            elif (message["type"] == "http.response.body"
                  and sum(map(len, response_chunks)) < MAX_BODY_BYTES):
                response_chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, recv, snd)
        finally:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            query = scope.get("query_string", b"").decode("latin-1")
            url = scope["path"] + (f"?{query}" if query else "")
            self.log.append(RecordedExchange(
                at=at,
                method=scope["method"],
                path=scope["path"],
                url=redact_url(url),
                headers=redact_headers(headers),
                body=_decode_body(b"".join(request_chunks), headers.get("content-type", "")),
                status=status_holder[0],
                response=_decode_body(b"".join(response_chunks), response_ctype[0]),
            ))
