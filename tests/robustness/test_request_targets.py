"""Request lines: targets in absolute-form (``GET http://host/path HTTP/1.1``) on both HTTP stacks.

RFC 9112 §3.2.2: a server "MUST accept the absolute-form in requests". httptools read the
path of such a target itself but failed on one without a path (400 "User callback error");
h11 passed the whole URI on, and every such request was 404 ``no endpoint at http://…``
(a review of the served providers). And a request line without a version (HTTP/0.9) is
400 on both stacks: httptools served it. So is CONNECT, with a word on why."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from harness.serve import ServedInThread, ServedProviders, build_served
from mock_providers._served import HTTP_STACKS, origin_form
from tests.robustness.test_slow_heads import connect, error_of, read_all


@pytest.fixture(params=HTTP_STACKS)
def served(request: pytest.FixtureRequest) -> Iterator[ServedProviders]:
    with ServedInThread(build_served(0, 0), http=request.param) as pair:
        yield pair


@pytest.mark.parametrize(
    ("target", "origin"),
    [
        (b"http://127.0.0.1:8801/token", b"/token"),
        (b"HTTPS://host/a/b?c=d", b"/a/b?c=d"),
        (b"http://host", b"/"),
        (b"http://host?x=1", b"/?x=1"),
        (b"http://user:pw@host:1/jwks#part", b"/jwks"),
        (b"http://host#part", b"/"),
    ],
)
def test_origin_form_of_an_absolute_target(target: bytes, origin: bytes) -> None:
    assert origin_form(target) == origin


@pytest.mark.parametrize(
    "target", [b"/token", b"*", b"host:443", b"ftp://host/x", b"/a?u=http://b"]
)
def test_other_forms_are_left_alone(target: bytes) -> None:
    assert origin_form(target) is None


def _get(served: ServedProviders, target: str) -> tuple[int, dict[str, object]]:
    with connect(served) as sock:
        sock.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        answer = read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_an_absolute_form_target_is_served_as_its_path(served: ServedProviders) -> None:
    status, body = _get(served, f"{served.vneid_url}/.well-known/openid-configuration")
    assert status == 200
    assert body["issuer"] == served.vneid_url
    status, body = _get(served, "HTTP://elsewhere:1/_harness/health?x=1")
    assert (status, body["status"]) == (200, "ok")


def test_an_absolute_form_target_without_a_path_is_the_root(served: ServedProviders) -> None:
    """Not a 400 from the parser: the root has no endpoint, so the §8 404 names "/"."""
    status, body = _get(served, "http://host")
    assert (status, body["error"]) == (404, "not_found")
    assert "no endpoint at /;" in str(body["error_description"])


def test_a_request_line_without_a_version_is_400(served: ServedProviders) -> None:
    with connect(served) as sock:
        sock.sendall(b"GET /jwks\r\n\r\n")
        status, body = error_of(read_all(sock))
    assert (status, body["error"]) == (400, "invalid_request")


def test_connect_is_400_saying_these_are_no_proxy(served: ServedProviders) -> None:
    """httptools answered "User callback error", h11 404 "no endpoint at example.com:443"."""
    with connect(served) as sock:
        sock.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        status, body = error_of(read_all(sock))
    assert (status, body["error"]) == (400, "invalid_request")
    assert body["error_description"] == (
        "the request is not valid HTTP/1.1 (CONNECT asks a proxy for a tunnel; these are the "
        "providers themselves: send GET or POST to a path)"
    )
