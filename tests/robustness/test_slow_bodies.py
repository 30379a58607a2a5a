"""Request bodies on both HTTP stacks: one that comes too slowly is 408 and one declared too
large is 413, each closing the connection (a client trickling a body on could otherwise hold
it open for hours); a client that leaves mid-body is an ordinary event, not a harness bug
with a traceback in the server's log (a robustness review)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from harness.serve import ServedInThread, ServedProviders, build_served
from mock_providers import _http
from mock_providers._served import HTTP_STACKS
from tests.robustness.test_slow_heads import connect, error_of, read_all


@pytest.fixture(params=HTTP_STACKS)
def served(request: pytest.FixtureRequest,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[ServedProviders]:
    monkeypatch.setattr(_http, "BODY_TIMEOUT", 0.4)
    with ServedInThread(build_served(0, 0), http=request.param) as pair:
        yield pair


def _post_head(length: int) -> bytes:
    return (b"POST /token HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(length).encode() + b"\r\n\r\n")


def test_a_slow_body_is_408_and_the_connection_closed(served: ServedProviders) -> None:
    with connect(served) as sock:
        sock.sendall(_post_head(65536) + b"grant_type=")
        time.sleep(0.6)
        status, body = error_of(read_all(sock))  # error_of: "connection: close" in the head
    assert (status, body["error"]) == (408, "request_timeout")


def test_a_body_declared_too_large_is_413_and_the_connection_closed(
        served: ServedProviders) -> None:
    with connect(served) as sock:
        sock.sendall(_post_head(10_000_000) + b"x" * 1000)
        status, body = error_of(read_all(sock))
    assert (status, body["error"]) == (413, "payload_too_large")


def test_a_client_leaving_mid_body_is_no_server_error(served: ServedProviders,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for path in ("/token", "/api/app/v1/sessions"):
        with connect(served) as sock:
            sock.sendall(_post_head(100).replace(b"/token", path.encode()) + b"grant_type=a")
            time.sleep(0.1)
        time.sleep(0.2)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert any("client disconnected" in r.getMessage() for r in caplog.records)
    with connect(served) as again:  # still serving
        again.sendall(b"GET /_harness/health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert again.recv(100).startswith(b"HTTP/1.1 200")
