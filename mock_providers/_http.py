"""HTTP plumbing shared by both mock providers (Starlette): the app and its one middleware.

- :func:`provider_app` builds a provider's app: its routes behind :class:`ProviderMiddleware`,
  every failure the §8 error JSON with the catalog's status, never a 500 or a hang
  (:mod:`mock_providers._refusals`);
- request heads are bounded (:func:`head_problem`: 431 when too large, 400 when a header
  that must be single is repeated; :mod:`mock_providers._headers`);
- every exchange is recorded in a bounded :class:`RequestLog`, secrets redacted (S-5);
- a change of what a provider stores is written to its state file off the event loop
  (:func:`persisting`).

What the handlers call lives beside it and is importable from here too: bodies read with a
size cap and a time limit, JSON strictly (:mod:`mock_providers._bodies`); the Bearer token,
the app-version gate (V-3, V-4, V-5) and the test-control API's guard (S-6)
(:mod:`mock_providers._request_checks`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.protocol import (
    Clock,
    ProtocolError,
    paths,
)
from mock_providers._bodies import (
    BODY_TIMEOUT,
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    read_form,
    read_form_text,
    read_json_object,
    require_str,
)
from mock_providers._headers import (
    HEADERS_KEY,
    SINGLE_HEADERS,
    VERSION_KEYS,
    header,
    headers_by_name,
)
from mock_providers._refusals import (
    FastJSONResponse,
    MalformedBearer,
    MissingCredentials,
    error_response,
    exception_handlers,
    path_clause,
    route_methods,
)
from mock_providers._request_checks import (
    IN_PROCESS_CLIENTS,
    bearer_token,
    check_app_version,
    require_control_access,
)
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

MAX_HEADER_BYTES = 16 * 1024
"""The largest request head (names, values and separators of all headers; 431 beyond)."""


def provider_app(routes: Sequence[BaseRoute], *, log: RequestLog, clock: Clock) -> Starlette:
    """A mock provider's Starlette app: its ``routes`` behind :class:`ProviderMiddleware`,
    every failure the §8 error JSON. A path with a trailing slash the routes do not have
    (``POST /token/``) is 404 ``not_found``: Starlette's default answered it 307 to the same
    path without the slash, on the origin of the request's ``Host`` header, which makes a
    client send its POST body (a client secret, a passcode) there again."""
    app = Starlette(
        routes=list(routes),
        exception_handlers=exception_handlers(),
        middleware=[Middleware(ProviderMiddleware, log=log, clock=clock)],
    )
    app.router.redirect_slashes = False
    return app


def mark_bodies_in_memory(app: Any) -> None:
    """Mark a provider's Starlette ``app`` as reached only through an in-process transport
    that hands each request over with its whole body already in memory (the embedded
    providers, :mod:`harness.embedded`): reading a body there cannot wait on a slow client,
    so it runs without the :data:`BODY_TIMEOUT` timer (about 4 µs a request saved)."""
    app.bodies_in_memory = True  # read per request: a plain attribute, not app.state's lookup


class Persistent(Protocol):
    """A provider whose stored data may be kept in a state file (``serve --state``)."""

    @property
    def state_file(self) -> StateFile | None: ...


async def persisting(
    provider: Persistent, change: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
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

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, log: RequestLog, at: float
    ) -> None:
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
        self.log.append(
            _Unread(
                at=self.at,
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b""),
                headers=_pack_headers(scope["headers"]),
                body=b"".join(self.body),
                status=self.status,
                response_type=self.response_type,
                response=b"".join(self.response),
            )
        )


class ProviderMiddleware:
    """The one ASGI middleware of both providers (one layer: each request passes it once).

    First it refuses oversized or ambiguous request heads (see :func:`head_problem`) before
    anything else reads them; such requests are not recorded. Then it records each HTTP
    exchange into the :class:`RequestLog`, except calls to the log's own
    ``/_harness/requests`` and to the lease (``/_harness/lease``: its ids only its holder
    may know, and a run's renewals would land amid its tests' requests). A plain route (a
    fixed path, an async endpoint) it calls itself, past Starlette's routing layers; the
    rest goes through the app (:mod:`mock_providers._routing`).
    """

    def __init__(
        self, app: ASGIApp, log: RequestLog, clock: Clock, max_header_bytes: int = MAX_HEADER_BYTES
    ) -> None:
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
        if problem is not None and (
            problem.code != "uri_too_long" or scope["method"] in route_methods(scope)
        ):
            await error_response(problem, {"Connection": "close"})(scope, receive, send)
            return
        if scope["path"].startswith((paths.REQUESTS, paths.LEASE)):  # the lease: its ids,
            # and a run's renewals every 20 s amid its tests' requests
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
    headers (431), a header that must be single given twice, a Content-Length that is not
    digits, or an ambiguous body framing (400). Keeps the headers by name in the scope for
    :func:`header`."""
    target = len(scope.get("raw_path") or scope["path"].encode("utf-8", "replace")) + len(
        scope.get("query_string", b"")
    )
    if target > MAX_TARGET_BYTES:
        return ProtocolError(
            f"the request target is {target} bytes; at most {MAX_TARGET_BYTES}",
            code="uri_too_long",
            clause=path_clause(scope["path"]),
        )
    query = scope.get("query_string")
    if query and not query.isascii():  # served, h11 and httptools refuse it before this
        # RFC 9112 §3.2, RFC 3986 §2: a request target is ASCII (Starlette decodes the query
        # as UTF-8 and raised UnicodeDecodeError out of the app for a byte such as 0xff)
        return ProtocolError(
            "the query holds bytes outside ASCII (RFC 3986 §2.1): percent-encode the "
            "UTF-8 bytes of the text",
            clause=path_clause(scope["path"]),
        )
    raw = scope["headers"]
    by_name = scope[HEADERS_KEY] = headers_by_name(raw)
    # a repeated name, or one not in lower case (which ASGI servers give): look closer
    if len(by_name) != len(raw) or not b"".join(by_name).islower():
        seen: set[bytes] = set()
        for name, _ in raw:
            lowered = name.lower()
            if lowered in _SINGLE_HEADER_BYTES:
                if lowered in seen:
                    said = (
                        f"header {lowered.decode('latin-1')!r} appears more than once; send it once"
                    )
                    if lowered in _VERSION_KEY_SET:  # V-3: two versions are no version
                        return ProtocolError(said, code="app_version_invalid", clause="V-3")
                    clause = path_clause(scope["path"])  # the endpoint's own (§8)
                    if lowered == b"authorization" and any(
                        value[:7].lower() == b"bearer "
                        for key, value in raw
                        if key.lower() == lowered
                    ):
                        # two Bearer tokens are no token: RFC 6750 §3.1's invalid_request,
                        # with its challenge, as for one malformed Bearer header
                        return MalformedBearer(said, code="invalid_request", clause=clause)
                    return ProtocolError(said, clause=clause)
                seen.add(lowered)
    size = sum(map(len, chain.from_iterable(raw))) + 4 * len(raw)
    if size > max_header_bytes:
        return ProtocolError(
            f"the request headers are {size} bytes; at most {max_header_bytes}",
            code="request_header_fields_too_large",
            clause=path_clause(scope["path"]),
        )
    length = by_name.get(b"content-length")
    # bytes' isdigit is ASCII digits only; the space around a value is no part of it (RFC 9110
    # §5.5: a server's parser drops it, an in-process caller's may not)
    if length is not None and not length.strip(b" \t").isdigit():
        return ProtocolError(
            f"Content-Length {length.decode('latin-1')[:40]!r} is not a length: RFC 9110 "
            "§8.6 allows decimal digits only (no sign, space or other script's digits); "
            "send the body's size in bytes, or no Content-Length",
            clause=path_clause(scope["path"]),
        )
    coding = by_name.get(b"transfer-encoding")
    if coding is not None:
        if b"content-length" in by_name:
            return ProtocolError(
                "the request has both Transfer-Encoding and Content-Length: "
                "where its body ends is ambiguous (RFC 9112 §6.1); send one "
                "of them",
                clause=path_clause(scope["path"]),
            )
        if coding.strip().lower() != b"chunked":  # httptools read "gzip, chunked" as chunked
            return ProtocolError(
                f"Transfer-Encoding {coding.decode('latin-1')[:40]!r} is not "
                "decoded here (RFC 9112 §6.1); send the body chunked, or "
                "with a Content-Length",
                clause=path_clause(scope["path"]),
            )
    if b"host" not in by_name and scope.get("http_version") == "1.1":
        return ProtocolError(
            "an HTTP/1.1 request without Host (RFC 9112 §3.2); send Host",
            clause=path_clause(scope["path"]),
        )
    return None


_SINGLE_HEADER_BYTES = frozenset(h.encode("latin-1") for h in SINGLE_HEADERS)
_VERSION_KEY_SET = frozenset(VERSION_KEYS.values())
