"""Serving a mock provider over real HTTP (uvicorn, h11) with the limits of :mod:`._http`.

uvicorn answers a request it cannot parse itself, before the application sees it, with a
plain-text 400, whatever went wrong. :class:`GuardedH11Protocol` keeps the §8 error JSON
there too and honours h11's own diagnosis: a request head longer than
:data:`MAX_HEAD_BYTES` is 431 ``request_header_fields_too_large`` (414 ``uri_too_long`` when
the request line alone is that long); anything else that is not HTTP/1.1 is 400
``invalid_request``. Smaller heads reach the application, whose
:class:`~mock_providers._http.ProviderMiddleware` applies the tighter limits.
:class:`GuardedHttpToolsProtocol` does the same on the httptools stack, which itself buffers a
head of any size.

Both also bound the time a request head may take (uvicorn has no such limit, so a client
could hold a connection open forever by never finishing its head, or by sending nothing at
all): a head not complete :data:`HEAD_TIMEOUT_SECONDS` after its first byte (or after the
connection opened) is answered 408 ``request_timeout`` and the connection closed. An idle
keep-alive connection is closed after :data:`KEEP_ALIVE_SECONDS`, and a body that does not
arrive is the application's 408 (``BODY_TIMEOUT``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import unquote

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from harness.protocol import ProtocolError
from harness.protocol.redaction import (
    REDACTED,
    SECRET_HEADERS,
    redact_form,
    redact_path,
    redact_secret_shapes,
)

__all__ = [
    "HEAD_TIMEOUT_SECONDS",
    "HTTP_STACKS",
    "KEEP_ALIVE_SECONDS",
    "MAX_HEAD_BYTES",
    "GuardedH11Protocol",
    "GuardedHttpToolsProtocol",
    "RedactingLogFilter",
    "run_loop",
    "uvicorn_config",
]

MAX_HEAD_BYTES = 64 * 1024
"""The most h11 buffers of one request head; the application's own limits are tighter."""
KEEP_ALIVE_SECONDS = 5
"""An idle keep-alive connection is closed after this many seconds."""
SHUTDOWN_GRACE_SECONDS = 5
"""On SIGTERM or Ctrl-C, requests still running get this long to finish, then are cancelled:
a client that stopped reading a large answer, or sends its body a byte at a time, no longer
keeps a stopped server alive."""
HEAD_TIMEOUT_SECONDS = 10.0
"""A request head must be complete this many seconds after its first byte, or after the
connection opened (read when the clock starts, so tests may lower it)."""


def _error_response(err: ProtocolError) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The headers and body of the answer carrying ``err`` as the §8 error JSON, closing the
    connection (both stacks send it)."""
    body = json.dumps(err.to_body(), ensure_ascii=False).encode("utf-8")
    return [
        (b"content-type", b"application/json"),
        (b"cache-control", b"no-store"),
        (b"connection", b"close"),
        (b"content-length", str(len(body)).encode()),
    ], body


def _error_bytes(err: ProtocolError) -> bytes:
    """:func:`_error_response` as a whole HTTP/1.1 response, for a stack without a writer."""
    headers, body = _error_response(err)
    return b"".join(
        [
            f"HTTP/1.1 {err.status} {HTTPStatus(err.status).phrase}\r\n".encode("ascii"),
            *(name + b": " + value + b"\r\n" for name, value in headers),
            b"\r\n",
            body,
        ]
    )


def _head_timeout() -> ProtocolError:
    return ProtocolError(
        f"the request head did not arrive within {HEAD_TIMEOUT_SECONDS:g} s; "
        "send the whole request line and headers at once",
        code="request_timeout",
    )


class _HeadDeadline:
    """The clock of one connection's unfinished request head: started when a head is
    awaited (the connection opened, or bytes of a new head came), stopped once it is
    complete; ``expire`` is called when it runs out."""

    def __init__(self, loop: asyncio.AbstractEventLoop, expire: Callable[[], None]) -> None:
        self._loop = loop
        self._expire = expire
        self._timer: asyncio.TimerHandle | None = None

    def awaiting(self, head_pending: bool) -> None:
        """Start the clock if a head is pending and it is not running; stop it if not."""
        if not head_pending:
            self.stop()
        elif self._timer is None:
            self._timer = self._loop.call_later(HEAD_TIMEOUT_SECONDS, self._fire)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        self._expire()


_CONNECT_REFUSED = (
    "CONNECT asks a proxy for a tunnel; these are the providers "
    "themselves: send GET or POST to a path"
)


def origin_form(target: bytes) -> bytes | None:
    """The path and query of an absolute-form request target (``http://host/path?q``), or
    ``None`` for a target in another form. RFC 9112 §3.2.2: a server "MUST accept the
    absolute-form in requests"; httptools reads such a target's path itself, h11 passes the
    whole URI on (the router then found no endpoint at ``http://host/path``). The authority,
    user information included, is dropped, as httptools drops it."""
    scheme, sep, rest = target.partition(b"://")
    if not sep or scheme.lower() not in (b"http", b"https"):
        return None
    end = min(
        (i for i in (rest.find(b"/"), rest.find(b"?"), rest.find(b"#")) if i != -1),
        default=len(rest),
    )
    tail = rest[end:].partition(b"#")[0]
    return tail if tail.startswith(b"/") else b"/" + tail


class _Connection(h11.Connection):
    """An h11 connection that remembers the protocol error it raised last, and hands on a
    request whose target is in absolute-form with the target's origin-form
    (:func:`origin_form`)."""

    last_error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            self.last_error = exc
            raise
        if type(event) is h11.Request:
            if event.method == b"CONNECT":
                self.last_error = h11.RemoteProtocolError(_CONNECT_REFUSED)
                raise self.last_error
            origin = origin_form(event.target)
            if origin is not None:
                return h11.Request(
                    method=event.method,
                    target=origin,
                    headers=event.headers,
                    http_version=event.http_version,
                )
        return event


def _too_large(line_bytes: int) -> ProtocolError:
    """431, or 414 when the request line (``line_bytes``, -1 when it is unfinished) alone
    takes half of :data:`MAX_HEAD_BYTES`."""
    if line_bytes == -1 or line_bytes >= MAX_HEAD_BYTES // 2:
        return ProtocolError(
            f"the request line is longer than {MAX_HEAD_BYTES // 2} bytes; "
            "send long values in a POST body",
            code="uri_too_long",
        )
    return ProtocolError(
        f"the request head is larger than {MAX_HEAD_BYTES} bytes",
        code="request_header_fields_too_large",
    )


def _head_error(conn: _Connection) -> ProtocolError:
    err = conn.last_error
    if err is not None and err.error_status_hint == 431:
        data, _ = conn.trailing_data
        return _too_large(data.find(b"\r\n"))
    return not_http11(str(err) if err is not None else "unparseable request")


def not_http11(reason: str) -> ProtocolError:
    """400 ``invalid_request``: the request is not HTTP/1.1 either stack serves, and why (the
    same words on both stacks)."""
    return ProtocolError(
        f"the request is not valid HTTP/1.1 ({reason[:200]})", code="invalid_request", clause="A-1"
    )


class _DeadlineHooks(asyncio.Protocol):
    """The head deadline's start and end with the connection, for both stacks' protocols
    (listed before uvicorn's protocol class, whose methods ``super()`` reaches)."""

    _deadline: _HeadDeadline

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._deadline.awaiting(True)

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline.stop()
        super().connection_lost(exc)


class GuardedH11Protocol(_DeadlineHooks, H11Protocol):
    """uvicorn's h11 protocol answering unparseable requests with the §8 error JSON."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(h11.SERVER, MAX_HEAD_BYTES)
        self._deadline = _HeadDeadline(self.loop, self._head_timed_out)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._deadline.awaiting(self._head_pending())

    def _head_pending(self) -> bool:
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def _head_timed_out(self) -> None:
        if self._head_pending():
            self._send_error(_head_timeout())

    def send_400_response(self, msg: str) -> None:
        conn = self.conn
        assert isinstance(conn, _Connection)
        self._send_error(_head_error(conn))

    def _send_error(self, err: ProtocolError) -> None:
        self._deadline.stop()
        headers, body = _error_response(err)
        try:
            for event in (
                h11.Response(
                    status_code=err.status,
                    headers=headers,
                    reason=HTTPStatus(err.status).phrase.encode(),
                ),
                h11.Data(data=body),
                h11.EndOfMessage(),
            ):
                output = self.conn.send(event)
                if output:
                    self.transport.write(output)
        except h11.LocalProtocolError:  # a response was already under way: just close
            pass
        self.transport.close()


class _HeadRefused(Exception):
    """Raised in a parser callback to stop parsing a head refused for its size or its version
    (httptools turns it into its parser error, answered by ``send_400_response``)."""


class _ParserNamingErrors:
    """httptools' parser, keeping the message of the error it raised: uvicorn answers every
    parse error with one fixed text, where the parser's says what is wrong ("Invalid header
    value char", "Content-Length can't be present with Transfer-Encoding")."""

    __slots__ = ("_parser", "error")

    def __init__(self, parser: Any) -> None:
        self._parser = parser
        self.error = ""

    def feed_data(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except Exception as exc:  # httptools.HttpParserError and its kin, re-raised as it is
            self.error = str(exc)
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


class GuardedHttpToolsProtocol(_DeadlineHooks, HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of the h11 one: the §8 error JSON for an
    unparseable request (not a plain-text 400), a request head of at most
    :data:`MAX_HEAD_BYTES` (431; 414 when the request target alone takes half of that;
    httptools itself buffers a head of any size), and :data:`HEAD_TIMEOUT_SECONDS`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parser = cast(Any, _ParserNamingErrors(self.parser))
        self._deadline = _HeadDeadline(self.loop, self._head_timed_out)
        self._in_head = True
        self._head_bytes = 0
        self._heads_read = 0
        """Heads completed on this connection: a chunk in which one completed is not
        counted towards the next (its bytes are mostly the request before)."""
        self._error: ProtocolError | None = None

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._heads_read += 1
        if len(self.url) >= MAX_HEAD_BYTES // 2:  # httptools refuses a URL over 64 KiB as 400
            self._error = _too_large(len(self.url))
            raise _HeadRefused
        if self.parser.get_method() == b"CONNECT":  # httptools cannot parse its target
            self._error = not_http11(_CONNECT_REFUSED)
            raise _HeadRefused
        if self.parser.get_http_version() == "0.9":  # llhttp's reading of "GET /path"
            self._error = not_http11("a request line without a version: HTTP/0.9 is not served")
            raise _HeadRefused
        origin = origin_form(self.url)  # httptools fails on "http://host" without a path
        if origin is not None:
            self.url = origin
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        was_in_head, heads_read = self._in_head, self._heads_read
        super().data_received(data)
        if self.transport.is_closing():
            self._deadline.stop()
            return
        if self._in_head and was_in_head and self._heads_read == heads_read:
            # Bytes of a head still unfinished (a head that began inside this chunk, after
            # the end of the request before it, is counted from the next chunk on: at most
            # one read more than the head itself gets in). A chunk that began in one head
            # and ended in the next (a small request, its body and the next head's start,
            # one 64 KiB read under load) was counted whole: the next head got a 431.
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES and not self._answering():
                self._send_error(_too_large(len(getattr(self, "url", b""))))
                return
        self._deadline.awaiting(self._in_head)

    def _answering(self) -> bool:
        """Whether a response is under way (a pipelined head arrived during it): an error
        written now would cut into it, so it waits for the next bytes or the timer."""
        cycle = self.cycle
        return cycle is not None and not cycle.response_complete

    def _head_timed_out(self) -> None:
        if not self._in_head or self.transport.is_closing():
            return
        if self._answering():
            self._deadline.awaiting(True)  # the running response first; look again later
            return
        self._send_error(_head_timeout())

    def send_400_response(self, msg: str) -> None:
        said = getattr(self.parser, "error", "") or msg
        self._send_error(self._error or not_http11(said))

    def _send_error(self, err: ProtocolError) -> None:
        self._deadline.stop()
        self.transport.write(_error_bytes(err))
        self.transport.close()


HTTP_STACKS = ("h11", "httptools")
"""``h11``: uvicorn's pure-Python parser, answering even an unparseable request head with
the §8 error JSON (:class:`GuardedH11Protocol`). ``httptools``: uvicorn with httptools and
uvloop (``uvicorn[standard]``), several times faster, with the same limits and error bodies
(:class:`GuardedHttpToolsProtocol`; everything the application sees is the same)."""


def _redact_scope(value: Any) -> Any:
    """A logged ASGI scope (uvicorn's ``message_with_placeholders``) with its query string,
    its paths and its secret headers redacted; any other argument as it is."""
    if not isinstance(value, dict) or ("query_string" not in value and "path" not in value):
        return value
    clean = dict(value)
    query = clean.get("query_string")
    if isinstance(query, bytes) and query:
        clean["query_string"] = redact_form(query.decode("latin-1")).encode("latin-1")
    path = clean.get("path")
    if isinstance(path, str):
        clean["path"] = redact_path(path)
    raw_path = clean.get("raw_path")
    if isinstance(raw_path, bytes) and b"%" in raw_path:
        decoded = unquote(raw_path.decode("latin-1"))
        if redact_path(decoded) != decoded:
            clean["raw_path"] = redact_path(decoded).encode("utf-8")
    headers = clean.get("headers")
    if isinstance(headers, list):
        clean["headers"] = [_redact_header(h) for h in headers]
    return clean


def _redact_header(header: Any) -> Any:
    if (
        isinstance(header, tuple)
        and len(header) == 2
        and isinstance(header[0], bytes)
        and header[0].decode("latin-1").lower() in SECRET_HEADERS
    ):
        return header[0], REDACTED.encode()
    return header


class RedactingLogFilter(logging.Filter):
    """S-5 for uvicorn's own logs: ``--log-level trace`` logs every request's scope (its
    query string, paths and headers) through ``uvicorn.asgi``. Each record leaves with the
    scope's secret query parameters, a secret in a decoded path and secret headers redacted,
    then whatever in its text and in its traceback is shaped like a secret. The mock
    providers' own logger (``mock_providers``) goes through it too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(_NO_WEBSOCKETS):
            return False  # WebSockets are off on purpose: no advice to install a library
        try:
            if isinstance(record.args, tuple):
                record.args = tuple(_redact_scope(a) for a in record.args)
            text = record.getMessage()
        except Exception:  # a record that cannot be formatted is let through as it is
            return True
        clean = redact_secret_shapes(text)
        if clean != text:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # uvicorn's "Exception in ASGI application" carries the app's traceback, whose
            # last line is the exception's text: what a request sent, perhaps
            record.exc_text = redact_secret_shapes(
                logging.Formatter().formatException(record.exc_info)
            )
        return True


_NO_WEBSOCKETS = "No supported WebSocket library detected"
"""uvicorn's advice after "Unsupported upgrade request." when WebSockets are off (``ws="none"``,
so an upgrade request is answered as the plain HTTP request it also is)."""
_LOG_FILTER = RedactingLogFilter()


def _redact_uvicorn_logs() -> None:
    for name in ("uvicorn.asgi", "uvicorn.error", "uvicorn.access", "mock_providers"):
        logger = logging.getLogger(name)
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)


def uvicorn_config(app: Any, *, log_level: str = "warning", http: str = "h11") -> uvicorn.Config:
    """The uvicorn configuration every served provider uses, on the ``http`` stack of
    :data:`HTTP_STACKS`, its logs redacted (:class:`RedactingLogFilter`)."""
    if http not in HTTP_STACKS:
        raise ValueError(f"http stack {http!r}; choose one of {', '.join(HTTP_STACKS)}")
    _redact_uvicorn_logs()
    if http == "httptools":
        return uvicorn.Config(
            app,
            http=GuardedHttpToolsProtocol,
            loop="uvloop",
            log_level=log_level,
            lifespan="off",
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            server_header=False,
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
            ws="none",
        )
    return uvicorn.Config(
        app,
        http=GuardedH11Protocol,
        log_level=log_level,
        lifespan="off",
        access_log=False,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        server_header=False,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        ws="none",
    )


def run_loop(main: Coroutine[Any, Any, None], http: str = "h11") -> None:
    """``asyncio.run(main)``, on uvloop for the ``httptools`` stack."""
    if http == "httptools":
        import uvloop

        uvloop.run(main)
    else:
        asyncio.run(main)
