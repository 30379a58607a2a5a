"""Serving a mock provider over real HTTP (uvicorn, h11) with the limits of :mod:`._http`.

uvicorn answers a request it cannot parse itself, before the application sees it, with a
plain-text 400, whatever went wrong. :class:`GuardedH11Protocol` keeps the §8 error JSON
there too and honours h11's own diagnosis: a request head longer than
:data:`MAX_HEAD_BYTES` is 431 ``request_header_fields_too_large`` (414 ``uri_too_long`` when
the request line alone is that long); anything else that is not HTTP/1.1 is 400
``invalid_request``. Smaller heads reach the application, whose
:class:`~mock_providers._http.ProviderMiddleware` applies the tighter limits.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from http import HTTPStatus
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from harness.protocol import ProtocolError

__all__ = ["HTTP_STACKS", "KEEP_ALIVE_SECONDS", "MAX_HEAD_BYTES", "GuardedH11Protocol",
           "run_loop", "uvicorn_config"]

MAX_HEAD_BYTES = 64 * 1024
"""The most h11 buffers of one request head; the application's own limits are tighter."""
KEEP_ALIVE_SECONDS = 5
"""An idle keep-alive connection is closed after this many seconds."""


class _Connection(h11.Connection):
    """An h11 connection that remembers the protocol error it raised last."""

    last_error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.last_error = exc
            raise


def _head_error(conn: _Connection) -> ProtocolError:
    err = conn.last_error
    if err is not None and err.error_status_hint == 431:
        data, _ = conn.trailing_data
        line_end = data.find(b"\r\n")
        if line_end == -1 or line_end >= MAX_HEAD_BYTES // 2:
            return ProtocolError(f"the request line is longer than {MAX_HEAD_BYTES // 2} bytes; "
                                 "send long values in a POST body", code="uri_too_long")
        return ProtocolError(f"the request head is larger than {MAX_HEAD_BYTES} bytes",
                             code="request_header_fields_too_large")
    reason = str(err) if err is not None else "unparseable request"
    return ProtocolError(f"the request is not valid HTTP/1.1 ({reason[:200]})",
                         code="invalid_request", clause="A-1")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol answering unparseable requests with the §8 error JSON."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(h11.SERVER, MAX_HEAD_BYTES)

    def send_400_response(self, msg: str) -> None:
        conn = self.conn
        assert isinstance(conn, _Connection)
        err = _head_error(conn)
        body = json.dumps(err.to_body(), ensure_ascii=False).encode("utf-8")
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                   (b"connection", b"close"), (b"content-length", str(len(body)).encode())]
        try:
            for event in (h11.Response(status_code=err.status, headers=headers,
                                       reason=HTTPStatus(err.status).phrase.encode()),
                          h11.Data(data=body), h11.EndOfMessage()):
                output = conn.send(event)
                if output:
                    self.transport.write(output)
        except h11.LocalProtocolError:  # a response was already under way: just close
            pass
        self.transport.close()


HTTP_STACKS = ("h11", "httptools")
"""``h11``: uvicorn's pure-Python parser, answering even an unparseable request head with
the §8 error JSON (:class:`GuardedH11Protocol`). ``httptools``: uvicorn with httptools and
uvloop (``uvicorn[standard]``), several times faster; a request head it cannot parse gets
its plain-text 400 instead (everything the application sees is the same)."""


def uvicorn_config(app: Any, *, log_level: str = "warning", http: str = "h11") -> uvicorn.Config:
    """The uvicorn configuration every served provider uses, on the ``http`` stack of
    :data:`HTTP_STACKS`."""
    if http not in HTTP_STACKS:
        raise ValueError(f"http stack {http!r}; choose one of {', '.join(HTTP_STACKS)}")
    if http == "httptools":
        return uvicorn.Config(
            app, http="httptools", loop="uvloop", log_level=log_level, lifespan="off",
            access_log=False, timeout_keep_alive=KEEP_ALIVE_SECONDS, server_header=False,
        )
    return uvicorn.Config(
        app, http=GuardedH11Protocol, log_level=log_level, lifespan="off", access_log=False,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES, timeout_keep_alive=KEEP_ALIVE_SECONDS,
        server_header=False,
    )


def run_loop(main: Coroutine[Any, Any, None], http: str = "h11") -> None:
    """``asyncio.run(main)``, on uvloop for the ``httptools`` stack."""
    if http == "httptools":
        import uvloop

        uvloop.run(main)
    else:
        asyncio.run(main)
