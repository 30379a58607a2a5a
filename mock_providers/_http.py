"""HTTP plumbing shared by both mock providers (Starlette).

- every refusal is the §8 error JSON with the catalog's status, never a 500 or a hang;
- bodies are read with a size cap and a time limit; JSON must be a UTF-8 object without
  duplicate keys, lone surrogates, ``NaN``/``Infinity`` or deep nesting, its media type
  matched without regard to case; forms must be form-encoded;
- request heads are bounded (:class:`ProviderMiddleware`: 431 when too large, 400 when a
  header that must be single is repeated);
- app API calls are version-gated (V-3, V-4, V-5) through :func:`check_app_version`;
- every exchange is recorded in a bounded :class:`RequestLog`, secrets redacted (S-5);
- the test-control API is guarded by :func:`require_control_access` (S-6).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.protocol import (
    AppId,
    Clock,
    Profile,
    ProtocolError,
    VersionError,
    parse_version,
    strict_json,
)
from harness.protocol.hosts import is_loopback
from harness.protocol.json_names import json_kind
from harness.protocol.links import parse_query
from harness.protocol.redaction import (
    redact_path,
    redact_secret_shapes,
)
from harness.protocol.strict_json import DuplicateKey, json_error_text
from mock_providers._routing import (
    DirectRoute,
    ExceptionHandler,
    call_direct,
    direct_routes,
    handled_exceptions,
    whole_body,
)
from mock_providers.request_log import (
    RECORDED_BODY_BYTES,
    RecordedExchange,
    RequestLog,
    _pack_headers,
    _Unread,
)

if TYPE_CHECKING:
    from mock_providers.state import StateFile

__all__ = [
    "BODY_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_TARGET_BYTES",
    "RECORDED_BODY_BYTES",
    "IN_PROCESS_CLIENTS",
    "MalformedBearer",
    "MissingCredentials",
    "SINGLE_HEADERS",
    "FastJSONResponse",
    "ProviderMiddleware",
    "RequestLog",
    "RecordedExchange",
    "bearer_token",
    "check_app_version",
    "error_response",
    "exception_handlers",
    "head_problem",
    "header",
    "mark_bodies_in_memory",
    "persisting",
    "provider_app",
    "read_form",
    "read_form_text",
    "read_json_object",
    "require_control_access",
    "require_str",
]

T = TypeVar("T")

log = logging.getLogger("mock_providers")

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class FastJSONResponse(JSONResponse):
    """Starlette's ``JSONResponse``, byte for byte, rendered by one shared encoder: its own
    ``json.dumps`` with non-default options builds a new encoder for every response."""

    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content).encode("utf-8")


MAX_BODY_BYTES = 64 * 1024
"""The largest request body any endpoint reads (413 ``payload_too_large`` beyond)."""
BODY_TIMEOUT = 30.0
"""Seconds allowed to receive a whole body (408 ``request_timeout`` beyond): a client that
declares a body and never sends it does not hold a handler forever."""
MAX_HEADER_BYTES = 16 * 1024
"""The largest request head (names, values and separators of all headers; 431 beyond)."""
MAX_JSON_DEPTH = 32
"""The deepest JSON nesting a body may have (no endpoint needs more than 4)."""
SINGLE_HEADERS = frozenset({
    "authorization", "content-type", "content-length", "host", "x-harness-admin-token",
    "x-vneid-app-version", "x-vssid-app-version", "x-device-platform",
})
"""Headers a request may carry once: two ``Authorization`` or two version headers are an
ambiguity a proxy and this server could read differently (RFC 9110 §5.3)."""
IN_PROCESS_CLIENTS = frozenset({"testclient"})
"""Callers that are this process (Starlette's TestClient names itself so; a server reports an
address): loopback for the control API (S-6), beside :func:`harness.protocol.hosts.is_loopback`."""
PLATFORM_HEADER = "X-Device-Platform"
_VERSION_HEADERS = {"vneid": "X-VNeID-App-Version", "vssid": "X-VssID-App-Version"}
_PLATFORM_KEY = PLATFORM_HEADER.lower().encode("latin-1")
_VERSION_KEYS = {app: name.lower().encode("latin-1") for app, name in _VERSION_HEADERS.items()}
"""The names as :func:`header` looks them up (ASGI gives names in lower case)."""
_HEADERS_KEY = "mock_providers.headers"
"""Where a request's scope keeps its headers by name (:func:`header`)."""


def _by_name(raw: list[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    return dict(reversed(raw))  # of a repeated name, the first wins (as in Starlette's Headers)


def header(request: Request, name: bytes) -> str | None:
    """The value of the request's header ``name`` (lower case, as ASGI gives names), or
    ``None``: what ``request.headers.get`` answers, from a dict made once per request (the
    middleware makes it while it checks the head) instead of a scan per lookup."""
    scope = request.scope
    by_name = scope.get(_HEADERS_KEY)
    if by_name is None:
        by_name = scope[_HEADERS_KEY] = _by_name(scope["headers"])
    value = by_name.get(name)
    return None if value is None else value.decode("latin-1")


def error_response(err: ProtocolError,
                   headers: Mapping[str, str] | None = None) -> FastJSONResponse:
    """The §8 error JSON ``{error, error_description, clause, message}`` with its status. The
    description keeps nothing shaped like a secret (S-5: an issuer or ``jwks_uri`` quoted
    with its ``user:password@`` or a ``?code=`` in it; the caller may be anyone)."""
    hdrs = {"Cache-Control": "no-store", **(headers or {})}
    if err.status in _CLOSING_STATUSES:  # the rest of the body is not read: the connection
        hdrs.setdefault("Connection", "close")  # cannot carry another request (RFC 9110)
    if (err.status == 401 or isinstance(err, MalformedBearer)) and "WWW-Authenticate" not in hdrs:
        hdrs["WWW-Authenticate"] = _challenge(err)
    body = err.to_body()
    for name, value in body.items():  # the description, and what the extra fields quote
        if isinstance(value, str) and name != "error":  # (a provider's own description)
            body[name] = redact_secret_shapes(value)
    return FastJSONResponse(body, status_code=err.status, headers=hdrs)


_CLOSING_STATUSES = frozenset({408, 413})
"""Answers after which the server closes the connection: a body that came too slowly
(RFC 9110 §15.5.9: "the server SHOULD send the close connection option") or too large (its
remainder is never read; §15.5.14 lets the server close), so a client cannot hold the
connection open by trickling the body on."""

CREDENTIALS_CHALLENGE = 'Form realm="VNeID"'
"""The challenge of a 401 for a citizen's wrong passcode (the app API's sessions, the web
login page): RFC 9110 §15.5.2 wants one on every 401, and these credentials go in the request
body, not in a scheme a browser would answer with a prompt of its own."""


LOGIN_CHALLENGE = 'VNeID realm="VssID"'
"""The challenge of VssID ``complete``'s 401 ``id_token_invalid``: the request carried no
token of its own (the refused ID token came from the issuer), so no Bearer challenge, whose
error codes (RFC 6750 §3.1) do not include it; the way on is a new login with VNeID."""


class MissingCredentials(ProtocolError):
    """A 401 for a request that sent no credentials at all: its challenge names no error
    (RFC 6750 §3.1: "the resource server SHOULD NOT include an error code")."""


class MalformedBearer(ProtocolError):
    """A 400 for an ``Authorization: Bearer`` header without exactly one token: RFC 6750 §3
    has every answer to a request without a usable token carry a challenge, here
    ``Bearer error="invalid_request"``."""


def _challenge(err: ProtocolError) -> str:
    """RFC 9110 §15.5.2: a 401 carries a challenge. ``invalid_client`` (the token endpoint)
    asks for Basic with its required realm (RFC 7617 §2); the rest for Bearer (RFC 6750 §3)."""
    if err.code == "invalid_client":
        return 'Basic realm="VNeID token endpoint", charset="UTF-8"'
    if err.code == "invalid_credentials":  # a citizen's passcode in the body, not a token
        return CREDENTIALS_CHALLENGE
    if err.code == "id_token_invalid":
        return LOGIN_CHALLENGE
    if isinstance(err, MissingCredentials):
        return "Bearer"
    return f'Bearer error="{err.code}"'



_PATH_CLAUSES = {
    # VNeID: its app API (§4) and OpenID endpoints (§5)
    "/api/app/v1/sessions": "A-4", "/api/app/v1/authorizations": "A-5", "/authorize": "A-2",
    "/token": "T-1", "/userinfo": "T-5", "/jwks": "T-4", "/.well-known/openid-configuration":
    "T-4",
    # VssID: its app API (§4)
    "/api/v1/auth/vneid/start": "A-1", "/api/v1/auth/vneid/complete": "A-6", "/api/v1/me": "A-6",
}
"""The clause of each endpoint, which a refusal of a request there for its form cites (a 405,
a body too large; the two mocks' paths differ)."""


def _path_clause(path: str) -> str:
    """The clause a refusal of the request itself cites (a 404, 405, 408, 413, 414, 431 or
    500: §8 has every error body name one): the endpoint's own
    (:data:`_PATH_CLAUSES`), the test-control API's S-6 under ``/_harness/``, the VNeID app
    API's A-4 under ``/api/app/``, else A-1 (the app's first call: a path no endpoint has)."""
    if path in _PATH_CLAUSES:
        return _PATH_CLAUSES[path]
    if path.startswith("/_harness/"):
        return "S-6"
    return "A-4" if path.startswith("/api/app/") else "A-1"


async def _on_protocol_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProtocolError)
    return error_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = ", ".join(allowed)
        err = ProtocolError(f"{request.method} is not allowed on {request.url.path}; "
                            f"allowed: {headers.get('Allow', 'none')}",
                            code="method_not_allowed", clause=_path_clause(request.url.path))
    elif exc.status_code == 404:
        err = ProtocolError(f"no endpoint at {request.url.path}; see PROTOCOL.md §4, §5, §11",
                            code="not_found", clause=_path_clause(request.url.path))
    else:
        err = ProtocolError(str(exc.detail), code="invalid_request", status=exc.status_code)
    return error_response(err, headers)


def _route_methods(scope: Scope) -> set[str]:
    """Every method the routes of the app in ``scope`` take on its path."""
    router = getattr(scope.get("app"), "router", None)
    methods: set[str] = set()
    for route in getattr(router, "routes", ()):
        match, _ = route.matches({**scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if match is not Match.NONE and route_methods:
            methods |= set(route_methods)
    return methods


def _allowed_methods(request: Request) -> list[str]:
    """RFC 9110 §15.5.6: a 405 lists every method of the resource, also when the methods sit
    on separate routes of one path (Starlette's own Allow names only the first route's)."""
    return sorted(_route_methods(request.scope))


async def _on_disconnect(request: Request, exc: Exception) -> Response:
    """A client that went away before its body arrived: an ordinary event, logged as such
    (no traceback, not a harness bug); the answer has nobody to reach."""
    log.info("client disconnected during %s %s", request.method,
             redact_path(request.scope["path"]))
    return Response(status_code=400, headers={"Connection": "close"})


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    # S-5: the decoded path may hold ``?code=…`` (sent as ``%3F``), the exception's text what
    # the request carried; the traceback is logged redacted, never as ``exc_info``
    log.error("unexpected error on %s %s\n%s", request.method, redact_path(request.scope["path"]),
              redact_secret_shapes("".join(traceback.format_exception(exc))).rstrip())
    err = ProtocolError(
        f"the mock provider failed unexpectedly ({type(exc).__name__}); this is a harness bug, "
        "please report it with the request log",
        code="server_error", clause=_path_clause(request.scope["path"]),
    )
    return error_response(err)


def exception_handlers() -> dict[Any, Callable[[Request, Exception], Awaitable[Response]]]:
    """Starlette ``exception_handlers`` mapping every failure to the §8 error JSON."""
    return {
        ProtocolError: _on_protocol_error,
        HTTPException: _on_http_exception,
        ClientDisconnect: _on_disconnect,
        Exception: _on_unexpected,
    }


def provider_app(routes: Sequence[BaseRoute], *, log: RequestLog, clock: Clock) -> Starlette:
    """A mock provider's Starlette app: its ``routes`` behind :class:`ProviderMiddleware`,
    every failure the §8 error JSON. A path with a trailing slash the routes do not have
    (``POST /token/``) is 404 ``not_found``: Starlette's default answered it 307 to the same
    path without the slash, on the origin of the request's ``Host`` header, which makes a
    client send its POST body (a client secret, a passcode) there again."""
    app = Starlette(routes=list(routes), exception_handlers=exception_handlers(),
                    middleware=[Middleware(ProviderMiddleware, log=log, clock=clock)])
    app.router.redirect_slashes = False
    return app


def mark_bodies_in_memory(app: Any) -> None:
    """Mark a provider's Starlette ``app`` as reached only through an in-process transport
    that hands each request over with its whole body already in memory (the embedded
    providers, :mod:`harness.embedded`): reading a body there cannot wait on a slow client,
    so it runs without the :data:`BODY_TIMEOUT` timer (about 4 µs a request saved)."""
    app.bodies_in_memory = True  # read per request: a plain attribute, not app.state's lookup


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = header(request, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(f"the body is {declared} bytes; at most {limit}",
                            code="payload_too_large", clause=_path_clause(request.scope["path"]))
    chunks: list[bytes] = []
    if getattr(request.scope.get("app"), "bodies_in_memory", False):
        return await _read_chunks(request, limit, chunks)
    try:
        async with asyncio.timeout(BODY_TIMEOUT):
            return await _read_chunks(request, limit, chunks)
    except TimeoutError:
        size = sum(map(len, chunks))
        raise ProtocolError(f"the body did not arrive within {BODY_TIMEOUT:g} s "
                            f"({size} bytes received)", code="request_timeout",
                            clause=_path_clause(request.scope["path"])) from None


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
                    raise ProtocolError(f"the body exceeds {limit} bytes",
                                        code="payload_too_large",
                                        clause=_path_clause(request.scope["path"]))
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
                raise ProtocolError(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels",
                                    clause=clause)
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ProtocolError("the JSON holds a lone surrogate escape (such as \\ud800), "
                                    "which is not Unicode text (RFC 8259 §8.2)",
                                    clause=clause) from None


async def read_json_object(
    request: Request, *, clause: str, optional: bool = False, limit: int = MAX_BODY_BYTES
) -> dict[str, Any]:
    """The request body as a JSON object; ``{}`` when ``optional`` and the body is empty."""
    raw = await _read_capped(request, limit)
    if not raw.strip(JSON_WHITESPACE):
        if optional:
            return {}
        raise ProtocolError("the body is empty; send a JSON object", clause=clause)
    ctype = (header(request, b"content-type") or "application/json").split(";")[0].strip()
    lowered = ctype.lower()  # type and subtype are case-insensitive (RFC 9110 §8.3.1)
    if lowered and lowered != "application/json" and not lowered.endswith("+json"):
        raise ProtocolError(f"content type {ctype!r} is not JSON; send application/json",
                            code="unsupported_media_type", clause=clause)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"the body is not UTF-8 (RFC 8259 §8.1): {exc}",
                            clause=clause) from None
    try:
        value = strict_json.loads(text)
    except DuplicateKey as dup:
        raise ProtocolError(f"key {dup.key[:40]!r} appears more than once in a JSON object",
                            clause=clause) from None
    except (ValueError, RecursionError) as exc:
        said = ("it starts with a byte order mark (U+FEFF), which RFC 8259 §8.1 keeps out of "
                "JSON sent over a network; send it without" if text.startswith("\ufeff")
                else json_error_text(exc))
        raise ProtocolError(f"the body is not valid JSON: {said}", clause=clause) from None
    if b"\\u" in raw or raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        # only an escape can make a lone surrogate (the text is valid UTF-8), and only that
        # many brackets can nest too deep: otherwise there is nothing to walk for
        _check_json_value(value, clause)
    if not isinstance(value, dict):
        raise ProtocolError(f"the body must be a JSON object, got {json_kind(value)}",
                            clause=clause)
    return value


async def read_form_text(request: Request, *, clause: str,
                         limit: int = MAX_BODY_BYTES) -> str:
    """A form-encoded body as its text (``a=1&b=2``), for a caller that parses it as a query
    (the authorization endpoint's POST, OpenID Connect Core §3.1.2.1)."""
    ctype = (header(request, b"content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise ProtocolError(
            f"content type {ctype or 'none'!r}: this endpoint takes "
            "application/x-www-form-urlencoded (RFC 6749 §4.1.3, §3.2)", clause=clause,
        )
    raw = await _read_capped(request, limit)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"the form body cannot be decoded: {exc}", clause=clause) from None


async def read_form(request: Request, *, clause: str,
                    limit: int = MAX_BODY_BYTES) -> dict[str, str]:
    """A form-encoded body (RFC 6749 §3.2); a parameter given twice is refused."""
    text = await read_form_text(request, clause=clause, limit=limit)
    try:
        pairs = parse_query(text, max_fields=100)
    except ValueError as exc:
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
        raise ProtocolError(f"{key!r} must be a string, got {json_kind(value)}",
                            clause=clause, code=code)
    if len(value) > max_len:
        raise ProtocolError(f"{key!r} is {len(value)} characters; at most {max_len}",
                            clause=clause, code=code)
    return value


_AUTH_SCHEMES = frozenset({
    "basic", "bearer", "concealed", "digest", "dpop", "gnap", "hoba", "mutual", "negotiate",
    "oauth", "privatetoken", "scram-sha-1", "scram-sha-256", "vapid", "aws4-hmac-sha256",
})
"""Authentication scheme names (IANA's registry and a few in wide use) that a refusal may
name; anything else in their place may be a token sent without one."""


def bearer_token(request: Request, *, clause: str, code: str = "invalid_token") -> str:
    """The Bearer token of ``Authorization`` (RFC 6750 §2.1). RFC 6750 §3.1: no credentials,
    or another scheme (``Basic``), is a 401 whose challenge carries no error code; a Bearer
    header without exactly one token is a malformed request, 400 ``invalid_request``."""
    value = header(request, b"authorization")
    scheme, _, token = (value or "").partition(" ")
    if not value or scheme.lower() != "bearer":
        said = ("missing Authorization" if not value else
                f"the Authorization scheme {scheme!r} is not accepted"
                if scheme.lower() in _AUTH_SCHEMES else
                # not echoed: a bare token, no scheme, would be shown here (S-5)
                "the Authorization header is not a scheme and credentials")
        raise MissingCredentials(f"{said}; send 'Authorization: Bearer <token>'", code=code,
                                 clause=clause)
    token = token.strip(" ")
    if not token or len(token) > 4096 or " " in token:
        raise MalformedBearer("Authorization: Bearer must carry exactly one token (RFC 6750 "
                              "§2.1): send 'Authorization: Bearer <token>'",
                              code="invalid_request", clause=clause)
    return token


def check_app_version(request: Request, app: AppId, profile: Profile) -> str | None:
    """Gate an app API call on its version header (V-3, V-4, V-5).

    Returns the caller's platform. A missing or malformed version is ``app_version_invalid``
    (400); one below the profile's minimum is ``app_update_required`` (426) with the
    ``store_url`` for the caller's platform.
    """
    name = _VERSION_HEADERS[app]
    clause = "V-5" if app == "vneid" else "V-4"
    platform = header(request, _PLATFORM_KEY)
    platform = platform.lower() if platform else None
    try:
        version = parse_version(header(request, _VERSION_KEYS[app]))
    except VersionError as exc:
        raise VersionError(f"{name}: {exc.description}", clause="V-3") from None
    minimum = profile.min_version(app)
    if version < minimum:
        store = profile.store_link(app, platform)
        said = ("" if store is not None else
                f"; no store_url for {'no platform' if platform is None else 'that platform'}"
                " (X-Device-Platform: ios or android), store_urls lists each")
        raise ProtocolError(
            f"{name} {version} is below the minimum {minimum}; update the app{said}",
            code="app_update_required", clause=clause,
            extra={"minimum_version": str(minimum), "store_url": store,
                   "store_urls": dict(profile.store_links.get(app, {}))},
        )
    return platform


def require_control_access(request: Request, admin_token: str | None) -> None:
    """S-6: the control API answers loopback callers, or anyone with the admin token."""
    if admin_token is not None:
        given = header(request, b"x-harness-admin-token")
        if given is None:
            auth = header(request, b"authorization") or ""
            given = auth[7:] if auth.lower().startswith("bearer ") else None
        if given is not None and hmac.compare_digest(given.encode(), admin_token.encode()):
            return
        raise ProtocolError(
            "the test-control API needs the admin token (X-Harness-Admin-Token)"
            if given is None else "the admin token given (X-Harness-Admin-Token) is not this "
            "provider's: give the one it was served with", code="forbidden", clause="S-6")
    client = request.client.host if request.client else None
    if not is_loopback(client) and client not in IN_PROCESS_CLIENTS:
        raise ProtocolError(
            f"the test-control API is served only to loopback callers, not {client}; "
            "configure an admin token to reach it from elsewhere", code="forbidden",
            clause="S-6",
        )


class Persistent(Protocol):
    """A provider whose stored data may be kept in a state file (``serve --state``)."""

    @property
    def state_file(self) -> StateFile | None: ...


async def persisting(provider: Persistent, change: Callable[..., T], *args: Any,
                     **kwargs: Any) -> T:
    """``change(*args, **kwargs)``, a change of what a provider stores, made here on the event
    loop (so handlers never race each other over it); with a state file attached, its
    whole-file write and fsync then run on a worker thread (with tens of thousands of
    personas, half a second the shared event loop would otherwise stand still for). The
    handler answers once the file is written, so a write that fails is still its 503."""
    state = provider.state_file
    if state is None:
        return change(*args, **kwargs)
    with state.writing_later():
        result = change(*args, **kwargs)
    await run_in_threadpool(state.flush)
    return result


class _Exchange:
    """One request on its way through :class:`ProviderMiddleware`: the ``receive`` and
    ``send`` the application gets, keeping what the request log needs."""

    __slots__ = (
        "_receive",
        "_send",
        "at",
        "body",
        "body_size",
        "log",
        "recorded",
        "response",
        "response_size",
        "response_type",
        "scope",
        "status",
    )

    def __init__(self, scope: Scope, receive: Receive, send: Send, log: RequestLog,
                 at: float) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.log = log
        self.at = at
        self.body: list[bytes] = []
        self.body_size = 0
        self.response: list[bytes] = []
        self.response_size = 0
        self.response_type = ""
        self.status = 0
        self.recorded = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request" and self.body_size <= RECORDED_BODY_BYTES:
            chunk = message.get("body", b"")
            self.body.append(chunk)
            self.body_size += len(chunk)
        return message

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            self._took(message.get("body", b""))
            if not message.get("more_body"):
                self.record()  # before the last byte leaves: a caller that got the answer finds it
        elif kind == "http.response.start":
            self._started(message["status"], message.get("headers", ()))
        await self._send(message)

    def answered(self, response: Response) -> None:
        """Keep what :meth:`send` would keep of a response that sends exactly its ``body``,
        and record the exchange (before the answer leaves, as :meth:`send` does)."""
        self._started(response.status_code, response.raw_headers)
        self._took(bytes(response.body))  # the same object when it is bytes, as it is here
        self.record()

    def _started(self, status: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        self.status = status
        for k, v in headers:
            if k.lower() == b"content-type":
                self.response_type = v.decode("latin-1")

    def _took(self, chunk: bytes) -> None:
        if self.response_size <= RECORDED_BODY_BYTES:
            self.response.append(chunk)
            self.response_size += len(chunk)

    def record(self) -> None:
        if self.recorded:
            return
        self.recorded = True
        scope = self.scope
        self.log.append(_Unread(
            at=self.at, method=scope["method"], path=scope["path"],
            query=scope.get("query_string", b""), headers=_pack_headers(scope["headers"]),
            body=b"".join(self.body), status=self.status, response_type=self.response_type,
            response=b"".join(self.response),
        ))


class ProviderMiddleware:
    """The one ASGI middleware of both providers (one layer: each request passes it once).

    First it refuses oversized or ambiguous request heads (see :func:`head_problem`) before
    anything else reads them; such requests are not recorded. Then it records each HTTP
    exchange into the :class:`RequestLog`, except calls to the log's own
    ``/_harness/requests``. A plain route (a fixed path, an async endpoint) it calls itself,
    past Starlette's routing layers; the rest goes through the app
    (:mod:`mock_providers._routing`).
    """

    def __init__(self, app: ASGIApp, log: RequestLog, clock: Clock,
                 max_header_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.log = log
        self.clock = clock
        self.max_header_bytes = max_header_bytes
        self._direct: dict[tuple[str, str], DirectRoute] | None = None
        self._handlers: dict[type[Exception], ExceptionHandler] = {}

    def _direct_routes(self, scope: Scope) -> dict[tuple[str, str], DirectRoute]:
        """The app's plain routes, called without Starlette's routing layers
        (:mod:`mock_providers._routing`); read from the app on its first request."""
        app = scope.get("app")
        if getattr(app, "router", None) is None or not hasattr(app, "exception_handlers"):
            self._direct = {}
        else:
            self._handlers = handled_exceptions(app)
            self._direct = direct_routes(app)
        return self._direct

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = head_problem(scope, self.max_header_bytes)
        # a too-long target with a method the path does not take: the router's 405 first
        if problem is not None and (problem.code != "uri_too_long"
                                    or scope["method"] in _route_methods(scope)):
            await error_response(problem, {"Connection": "close"})(scope, receive, send)
            return
        if scope["path"].startswith("/_harness/requests"):
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(scope, receive, send, self.log, self.clock.now())
        table = self._direct if self._direct is not None else self._direct_routes(scope)
        direct = None if scope.get("root_path") else table.get((scope["method"], scope["path"]))
        try:
            if direct is None:
                await self.app(scope, exchange.receive, exchange.send)
                return
            response = await call_direct(direct, self._handlers, scope, exchange.receive, send)
            if whole_body(response):
                exchange.answered(response)  # recorded before the answer leaves, as below
                await response(scope, receive, send)
            else:
                await response(scope, exchange.receive, exchange.send)
        finally:
            exchange.record()


MAX_TARGET_BYTES = 12 * 1024
"""The longest request target (path and query) the application reads (414 beyond): an
authorize link is at most 8192 characters (``harness.protocol.links.MAX_LINK_LENGTH``)."""


def head_problem(scope: Scope, max_header_bytes: int = MAX_HEADER_BYTES) -> ProtocolError | None:
    """What is wrong with a request head, if anything: too long a target (414), too large
    headers (431), or a header that must be single given twice (400). Keeps the headers by
    name in the scope for :func:`header`."""
    target = len(scope.get("raw_path") or scope["path"].encode("utf-8", "replace")) \
        + len(scope.get("query_string", b""))
    if target > MAX_TARGET_BYTES:
        return ProtocolError(f"the request target is {target} bytes; at most "
                             f"{MAX_TARGET_BYTES}", code="uri_too_long",
                             clause=_path_clause(scope["path"]))
    raw = scope["headers"]
    by_name = scope[_HEADERS_KEY] = _by_name(raw)
    # a repeated name, or one not in lower case (which ASGI servers give): look closer
    if len(by_name) != len(raw) or not b"".join(by_name).islower():
        seen: set[bytes] = set()
        for name, _ in raw:
            lowered = name.lower()
            if lowered in _SINGLE_HEADER_BYTES:
                if lowered in seen:
                    said = (f"header {lowered.decode('latin-1')!r} appears more than once; "
                            "send it once")
                    if lowered in _VERSION_KEY_SET:  # V-3: two versions are no version
                        return ProtocolError(said, code="app_version_invalid", clause="V-3")
                    clause = _path_clause(scope["path"])  # the endpoint's own (§8)
                    if lowered == b"authorization" and any(
                            value[:7].lower() == b"bearer " for key, value in raw
                            if key.lower() == lowered):
                        # two Bearer tokens are no token: RFC 6750 §3.1's invalid_request,
                        # with its challenge, as for one malformed Bearer header
                        return MalformedBearer(said, code="invalid_request", clause=clause)
                    return ProtocolError(said, clause=clause)
                seen.add(lowered)
    size = sum(map(len, chain.from_iterable(raw))) + 4 * len(raw)
    if size > max_header_bytes:
        return ProtocolError(f"the request headers are {size} bytes; at most "
                             f"{max_header_bytes}", code="request_header_fields_too_large",
                             clause=_path_clause(scope["path"]))
    coding = by_name.get(b"transfer-encoding")
    if coding is not None:
        if b"content-length" in by_name:
            return ProtocolError("the request has both Transfer-Encoding and Content-Length: "
                                 "where its body ends is ambiguous (RFC 9112 §6.1); send one "
                                 "of them", clause=_path_clause(scope["path"]))
        if coding.strip().lower() != b"chunked":  # httptools read "gzip, chunked" as chunked
            return ProtocolError(f"Transfer-Encoding {coding.decode('latin-1')[:40]!r} is not "
                                 "decoded here (RFC 9112 §6.1); send the body chunked, or "
                                 "with a Content-Length", clause=_path_clause(scope["path"]))
    if b"host" not in by_name and scope.get("http_version") == "1.1":
        return ProtocolError("an HTTP/1.1 request without Host (RFC 9112 §3.2); send Host",
                             clause=_path_clause(scope["path"]))
    return None


_SINGLE_HEADER_BYTES = frozenset(h.encode("latin-1") for h in SINGLE_HEADERS)
_VERSION_KEY_SET = frozenset(_VERSION_KEYS.values())
