"""The served providers bound the time and size of a request head on both HTTP stacks
(``serve --http h11|httptools``): uvicorn itself waits forever for a head that never ends and,
on httptools, buffers a head of any size. A head not complete ``HEAD_TIMEOUT_SECONDS`` after
it began (or after the connection opened) is 408 ``request_timeout``; a head larger than
``MAX_HEAD_BYTES`` is 431 (414 for a long request line); an unparseable one 400; each with
the §8 error JSON, and the connection closed."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator

import pytest

from harness.serve import ServedInThread, ServedProviders, build_served
from mock_providers import _served
from mock_providers._served import HTTP_STACKS, MAX_HEAD_BYTES

HEALTH = b"GET /_harness/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture(params=HTTP_STACKS)
def served(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ServedProviders]:
    monkeypatch.setattr(_served, "HEAD_TIMEOUT_SECONDS", 0.4)
    with ServedInThread(build_served(0, 0), http=request.param) as pair:
        yield pair


def connect(served: ServedProviders) -> socket.socket:
    host, port = served.vneid_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (5 s at most)."""
    data = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
    return data


def error_of(answer: bytes) -> tuple[int, dict[str, str]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower(), head
    assert b"content-type: application/json" in head.lower(), head
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_a_connection_that_sends_nothing_is_408_and_closed(served: ServedProviders) -> None:
    with connect(served) as sock:
        status, body = error_of(read_all(sock))
    assert status == 408
    assert body["error"] == "request_timeout"
    assert "within 0.4 s" in body["error_description"]


def test_a_head_trickled_byte_by_byte_is_408_however_busy(served: ServedProviders) -> None:
    """The clock runs from the head's first byte: more bytes do not restart it."""
    with connect(served) as sock:
        sock.sendall(b"GET /_harness/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        for _ in range(6):  # past the 0.4 s, a byte every 0.1 s
            time.sleep(0.1)
            try:
                sock.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
        status, body = error_of(read_all(sock))
    assert status == 408, body
    assert body["error"] == "request_timeout"
    assert time.monotonic() - started < 3


def test_a_head_sent_in_pieces_in_time_is_served(served: ServedProviders) -> None:
    with connect(served) as sock:
        sock.sendall(HEALTH[:20])
        time.sleep(0.1)
        sock.sendall(HEALTH[20:])
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200"), answer


def test_the_next_head_on_a_kept_alive_connection_has_the_same_limit(
    served: ServedProviders,
) -> None:
    with connect(served) as sock:
        sock.sendall(HEALTH)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        time.sleep(0.6)  # idle longer than the head limit: keep-alive's 5 s govern
        sock.sendall(b"GET /_harness/health HTTP/1.1\r\n")
        status, body = error_of(read_all(sock))
    assert status == 408, body


@pytest.mark.parametrize(
    ("request_bytes", "status", "error"),
    [
        (
            b"GET /_harness/health?a="
            + b"a" * MAX_HEAD_BYTES
            + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            414,
            "uri_too_long",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: " + b"b" * MAX_HEAD_BYTES + b"\r\n\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * (MAX_HEAD_BYTES // 8 + 10) + b"\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", 400, "invalid_request"),
    ],
)
def test_oversized_and_unparseable_heads_get_the_error_json(
    served: ServedProviders, request_bytes: bytes, status: int, error: str
) -> None:
    with connect(served) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request_bytes)  # may be answered and closed before the rest is sent
        got, body = error_of(read_all(sock))
    assert (got, body["error"]) == (status, error), body


def test_a_pipelined_head_after_a_large_body_is_not_taken_for_a_huge_head(
    served: ServedProviders,
) -> None:
    """One write holds a request with a 65,000-byte body and the start of the next head:
    both requests are answered (the body's bytes never count towards the next head)."""
    body = b"a=" + b"x" * 65_000
    first = (
        b"POST /token HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    with connect(served) as sock:
        sock.sendall(
            first + b"GET /_harness/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"p" * 600
        )
        time.sleep(0.1)
        sock.sendall(b"\r\n\r\n")
        answers = b""
        while answers.count(b"HTTP/1.1 ") < 2:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answers += chunk
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", answers) == [b"401", b"200"], answers[-500:]


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
        b"GET /jwks HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
    ],
)
def test_an_unparseable_head_is_named(served: ServedProviders, request_bytes: bytes) -> None:
    """On httptools every parse error said only "Invalid HTTP request received."; the parser's
    own message (as h11's) says what is wrong."""
    with connect(served) as sock:
        sock.sendall(request_bytes)
        status, body = error_of(read_all(sock))
    assert (status, body["error"]) == (400, "invalid_request")
    assert "Invalid HTTP request received" not in body["error_description"]
    assert body["error_description"].startswith("the request is not valid HTTP/1.1 (")
