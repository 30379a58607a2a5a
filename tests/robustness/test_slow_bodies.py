"""Request bodies on both HTTP stacks: one that comes too slowly is 408 and one declared too
large is 413, each closing the connection (a client trickling a body on could otherwise hold
it open for hours); a client that leaves mid-body is an ordinary event, not a harness bug
with a traceback in the server's log (a robustness review)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

import pytest

from harness.serve import ServedInThread, ServedProviders, build_served
from mock_providers import _bodies
from mock_providers._served import HTTP_STACKS
from tests.robustness.test_slow_heads import connect, error_of, read_all


@pytest.fixture(params=HTTP_STACKS)
def served(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServedProviders]:
    monkeypatch.setattr(_bodies, "BODY_TIMEOUT", 0.4)
    with ServedInThread(build_served(0, 0), http=request.param) as pair:
        yield pair


def _post_head(length: int) -> bytes:
    return (
        b"POST /token HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(length).encode() + b"\r\n\r\n"
    )


def test_a_slow_body_is_408_and_the_connection_closed(served: ServedProviders) -> None:
    with connect(served) as sock:
        sock.sendall(_post_head(65536) + b"grant_type=")
        time.sleep(0.6)
        status, body = error_of(read_all(sock))  # error_of: "connection: close" in the head
    assert (status, body["error"]) == (408, "request_timeout")


def test_a_body_declared_too_large_is_413_and_the_connection_closed(
    served: ServedProviders,
) -> None:
    with connect(served) as sock:
        sock.sendall(_post_head(10_000_000) + b"x" * 1000)
        status, body = error_of(read_all(sock))
    assert (status, body["error"]) == (413, "payload_too_large")


def test_a_client_leaving_mid_body_is_no_server_error(
    served: ServedProviders, caplog: pytest.LogCaptureFixture
) -> None:
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
        again.sendall(b"GET /_harness/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert again.recv(100).startswith(b"HTTP/1.1 200")


def test_transfer_encoding_with_content_length_is_refused_and_closed(
    served: ServedProviders,
) -> None:
    """RFC 9112 §6.1: such a message is ambiguous (request smuggling), and the server "MUST
    close the connection after responding"; h11 answered it and the GET pipelined behind."""
    with connect(served) as sock:
        sock.sendall(
            b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
            b"0\r\n\r\nGET /jwks HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        answer = read_all(sock)
    head, _, rest = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head)[1])  # type: ignore[index]
    assert rest[length:] == b"", "nothing after the 400: the pipelined GET is not answered"
    status, _ = error_of(answer)
    assert status == 400


@pytest.mark.parametrize("coding", [b"gzip, chunked", b"gzip", b"identity"])
def test_a_transfer_coding_not_decoded_here_is_refused(
    served: ServedProviders, coding: bytes
) -> None:
    """RFC 9112 §6.1: a coding the server does not understand is refused. httptools read
    ``gzip, chunked`` as plain chunks (h11 refused it): both stacks now answer 400."""
    with connect(served) as sock:
        sock.sendall(
            b"POST /token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
            + coding
            + b"\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
            b"0\r\n\r\n"
        )
        status, body = error_of(read_all(sock))
    assert (status, body["error"]) == (400, "invalid_request")


def test_an_http11_request_without_host_is_400(served: ServedProviders) -> None:
    """RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any
    HTTP/1.1 request message that lacks a Host header field"."""
    with connect(served) as sock:
        sock.sendall(b"GET /jwks HTTP/1.1\r\n\r\n")
        status, body = error_of(read_all(sock))
    assert status == 400
    said = body["error_description"]
    assert "without Host" in said or "Missing mandatory Host" in said  # ours, or h11's own
