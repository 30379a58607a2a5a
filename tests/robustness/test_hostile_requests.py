"""Hostile HTTP input against the served providers, over real HTTP (uvicorn, h11): each case
gets a specific 4xx with the §8 error body (error, error_description, clause, message), never
a 500, a hang or a reflected header. The list, with the answers, is in docs/robustness.md."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from harness.serve import ServedProviders
from mock_providers import _bodies, _http
from tests.robustness.served_pair import VNEID_APP, VSSID_APP

JSON = {"Content-Type": "application/json"}


def assert_error(response: httpx.Response, status: int, code: str, clause: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["error"] == code, body
    assert body["clause"] == clause, body
    assert body["error_description"]
    assert body["message"]
    return body


def raw(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (what httpx would refuse to send) and read the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + int(
            dict(_headers(data)).get("content-length", "0")
        ):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, dict(_headers(data)), body


def _headers(data: bytes) -> list[tuple[str, str]]:
    lines = data.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]
    return [
        (k.strip().lower().decode(), v.strip().decode("latin-1"))
        for k, _, v in (line.partition(b":") for line in lines)
    ]


@pytest.fixture(params=["vneid", "vssid"])
def base(request: pytest.FixtureRequest, served: ServedProviders) -> str:
    return served.vneid_url if request.param == "vneid" else served.vssid_url


# -- sizes --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "clause"),
    [("/api/app/v1/sessions", "A-4"), ("/_harness/personas", "S-6"), ("/token", "T-1")],
)
def test_oversized_body_is_413(served: ServedProviders, path: str, clause: str) -> None:
    """Citing the endpoint's clause (A-1, the VssID app's first call, on every path before)."""
    ctype = "application/x-www-form-urlencoded" if path == "/token" else "application/json"
    r = httpx.post(
        f"{served.vneid_url}{path}",
        content=b"x" * (_http.MAX_BODY_BYTES + 1),
        headers={**VNEID_APP, "Content-Type": ctype},
        timeout=10,
    )
    assert_error(r, 413, "payload_too_large", clause)


def test_oversized_chunked_body_is_413(served: ServedProviders) -> None:
    """No Content-Length to trust: the cap counts what arrives."""
    chunks = (b"x" * 8192 for _ in range(_http.MAX_BODY_BYTES // 8192 + 2))
    r = httpx.post(
        f"{served.vssid_url}/api/v1/auth/vneid/complete",
        content=chunks,
        headers={**VSSID_APP, **JSON},
        timeout=10,
    )
    assert_error(r, 413, "payload_too_large", "A-6")


def test_oversized_headers_are_431_from_the_app(base: str) -> None:
    r = httpx.get(f"{base}/_harness/health", headers={"X-Padding": "a" * 20_000}, timeout=10)
    body = assert_error(r, 431, "request_header_fields_too_large", "S-6")
    assert str(_http.MAX_HEADER_BYTES) in body["error_description"]


def test_a_huge_head_is_431_from_the_http_layer(base: str) -> None:
    """Beyond what h11 buffers (uvicorn would answer a plain-text 400): still 431 and §8."""
    status, headers, body = raw(
        base,
        b"GET /_harness/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
        + b"a" * 200_000
        + b"\r\n\r\n",
    )
    assert status == 431
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"] == "request_header_fields_too_large"


def test_a_long_url_is_414(base: str) -> None:
    r = httpx.get(f"{base}/_harness/health", params={"q": "a" * 20_000}, timeout=10)
    assert_error(r, 414, "uri_too_long", "S-6")
    status, _, body = raw(base, b"GET /?" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, json.loads(body)["error"]) == (414, "uri_too_long")


def test_a_body_that_never_arrives_is_408(
    served: ServedProviders, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_bodies, "BODY_TIMEOUT", 0.3)  # the providers run in this process
    status, _, body = raw(
        served.vneid_url,
        b"POST /_harness/personas HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    assert status == 408
    assert json.loads(body)["error"] == "request_timeout"


# -- JSON ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"[" * 60_000, "not valid JSON"),  # recursion
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nested deeper than 32"),  # depth
        (b'{"personal_id": "\xff\xfe"}', "not UTF-8"),  # invalid UTF-8
        ('{"a": 1}'.encode("utf-16"), "not UTF-8"),  # another encoding
        (b'{"passcode": "\\ud800"}', "lone surrogate"),  # was a 500
        (b'{"personal_id": "1", "personal_id": "2"}', "appears more than once"),  # duplicate key
        (b'\xef\xbb\xbf{"personal_id": "1"}', "starts with a byte order mark"),  # "line 1 column 1"
    ],
)
def test_hostile_json_is_invalid_request(
    served: ServedProviders, content: bytes, says: str
) -> None:
    r = httpx.post(
        f"{served.vneid_url}/api/app/v1/sessions",
        content=content,
        headers={**VNEID_APP, **JSON},
        timeout=10,
    )
    body = assert_error(r, 400, "invalid_request", "A-4")
    assert says in body["error_description"]


def test_lone_surrogates_never_reach_a_record(served: ServedProviders) -> None:
    content = b'{"bhxh_code": "0123456789", "personal_id": "001099012345", "full_name": "\\udfff"}'
    r = httpx.post(
        f"{served.vssid_url}/_harness/accounts", content=content, headers=JSON, timeout=10
    )
    assert_error(r, 400, "invalid_request", "P-1")
    assert httpx.get(f"{served.vssid_url}/_harness/accounts", timeout=10).status_code == 200


# -- duplicate parameters and headers -----------------------------------------------------
def test_a_form_parameter_given_twice_is_refused(served: ServedProviders) -> None:
    r = httpx.post(
        f"{served.vneid_url}/token",
        content=b"code=a&code=b&grant_type=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    body = assert_error(r, 400, "invalid_request", "T-1")
    assert "'code' appears more than once" in body["error_description"]


def test_a_query_parameter_given_twice_is_refused_without_redirect(served: ServedProviders) -> None:
    r = httpx.get(
        f"{served.vneid_url}/authorize?client_id=vssid&client_id=evil"
        "&redirect_uri=vssid%3A%2F%2Fauth%2Fvneid%2Fcallback",
        timeout=10,
    )
    assert r.status_code == 400
    assert "location" not in r.headers
    assert 'data-error="invalid_request"' in r.text or "invalid_request" in r.text


@pytest.mark.parametrize(
    ("name", "code", "clause"),
    [
        ("Authorization", "invalid_request", "A-6"),  # the endpoint's clause (§8), not A-1's
        ("X-VssID-App-Version", "app_version_invalid", "V-3"),  # two versions are no version
        ("Content-Type", "invalid_request", "A-6"),
    ],
)
def test_a_single_header_given_twice_is_refused(
    served: ServedProviders, name: str, code: str, clause: str
) -> None:
    headers = [(k, v) for k, v in {**VSSID_APP, **JSON, "Authorization": "Bearer a"}.items()]
    headers.append((name, "Bearer b" if name == "Authorization" else "1.6.7"))
    r = httpx.get(f"{served.vssid_url}/api/v1/me", headers=headers, timeout=10)
    body = assert_error(r, 400, code, clause)
    assert f"{name.lower()!r} appears more than once" in body["error_description"]
    # two Bearer tokens are no token: RFC 6750 §3.1's challenge, as for one malformed header
    assert (r.headers.get("www-authenticate") == 'Bearer error="invalid_request"') == (
        name == "Authorization"
    ), r.headers


def test_two_authorization_headers_cite_the_endpoint_and_its_scheme(
    served: ServedProviders,
) -> None:
    """At /userinfo two Bearer headers are RFC 6750's invalid_request with its challenge,
    under T-5; at /token two Basic headers are RFC 6749's invalid_request under T-1, with no
    Bearer challenge (the token endpoint takes no Bearer token)."""
    r = httpx.get(
        f"{served.vneid_url}/userinfo",
        headers=[("Authorization", "Bearer a"), ("Authorization", "Bearer b")],
        timeout=10,
    )
    assert_error(r, 400, "invalid_request", "T-5")
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_request"'
    r = httpx.post(
        f"{served.vneid_url}/token",
        content=b"grant_type=authorization_code",
        headers=[
            ("Authorization", "Basic YTpi"),
            ("Authorization", "Basic YTpj"),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        timeout=10,
    )
    assert_error(r, 400, "invalid_request", "T-1")
    assert "www-authenticate" not in r.headers


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        (b"2.1.0\xff", "'2.1.0<U+00FF>'"),  # latin-1 y with diaeresis, not "2.1.0y"
        ("\uff12.1.0".encode(), "'<U+00EF><U+00BC>"),  # a full-width 2 (UTF-8), not "2.1.0"
        (b"2.1\t.0", "'2.1<U+0009>.0'"),
    ],
)
def test_an_echoed_header_is_described_as_it_was_sent(
    served: ServedProviders, sent: bytes, shown: str
) -> None:
    """error_description keeps to RFC 6749's characters; a character of the request outside
    them is written as its code point, never as a look-alike of another value."""
    request = (
        b"POST /api/app/v1/sessions HTTP/1.1\r\nHost: x\r\nX-Device-Platform: android"
        b"\r\nX-VNeID-App-Version: " + sent + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    status, _, body = raw(served.vneid_url, request)
    assert status == 400
    error = json.loads(body)
    assert error["error"] == "app_version_invalid"
    assert shown in error["error_description"], error


def test_a_malformed_request_line_is_400_json(base: str) -> None:
    status, headers, body = raw(base, b"GET /_harness/health\r\nSet-Cookie: x HTTP/1.1\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"] == "invalid_request"


def test_a_websocket_upgrade_is_answered_as_plain_http(base: str) -> None:
    """The providers speak no WebSocket: an upgrade request got uvicorn's bare 403, no §8
    body and no entry in the request log. It is now the plain HTTP request it also is."""
    upgrade = (
        b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    )
    status, headers, body = raw(base, b"GET /nope HTTP/1.1\r\nHost: x\r\n" + upgrade + b"\r\n")
    assert status == 404
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"] == "not_found"
    status, _, body = raw(
        base, b"GET /_harness/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + upgrade + b"\r\n"
    )
    assert (status, json.loads(body)["status"]) == (200, "ok")
    logged = httpx.get(f"{base}/_harness/requests", timeout=10).json()["requests"]
    assert "/nope" in [entry["path"] for entry in logged]


# -- header injection ---------------------------------------------------------------------
INJECTION = "\r\nSet-Cookie: stolen=1\r\nX-Injected: 1"


def test_injected_redirect_uri_is_never_redirected_to(served: ServedProviders) -> None:
    r = httpx.get(
        f"{served.vneid_url}/authorize",
        params={
            "client_id": "vssid",
            "redirect_uri": "vssid://auth/vneid/callback" + INJECTION,
            "response_type": "code",
        },
        timeout=10,
    )
    assert r.status_code == 400
    assert "location" not in r.headers
    assert "set-cookie" not in r.headers
    assert 'data-error="invalid_redirect_uri"' in r.text or "invalid_redirect_uri" in r.text


def test_injected_state_is_echoed_encoded_never_as_a_header(served: ServedProviders) -> None:
    """The protocol echoes state exactly (A-7), so the answer is the error redirect, with the
    state percent-encoded in Location: no raw CR or LF reaches a header."""
    r = httpx.get(
        f"{served.vneid_url}/authorize",
        params={
            "client_id": "vssid",
            "redirect_uri": "vssid://auth/vneid/callback",
            "response_type": "token",
            "state": "s" + INJECTION,
        },
        timeout=10,
    )
    assert r.status_code == 302
    assert "set-cookie" not in r.headers
    assert "x-injected" not in r.headers
    location = r.headers["location"]
    assert "\r" not in location
    assert "\n" not in location
    assert f"state={quote('s' + INJECTION, safe='')}" in location.replace("+", "%20")
    assert "error=unsupported_response_type" in location


@pytest.mark.parametrize(
    ("where", "body", "clause"),
    [
        (
            "vneid",
            {
                "client_id": "x",
                "client_secret": "s",
                "redirect_uris": ["https://rp.example.test/cb" + INJECTION],
            },
            "S-2",
        ),
        ("vssid", {"redirect_uri": "vssid://auth/vneid/callback" + INJECTION}, "R-4"),
    ],
)
def test_injected_redirect_uris_cannot_be_registered(
    served: ServedProviders, where: str, body: dict[str, Any], clause: str
) -> None:
    url = (
        f"{served.vneid_url}/_harness/clients"
        if where == "vneid"
        else f"{served.vssid_url}/_harness/config"
    )
    assert_error(httpx.post(url, json=body, timeout=10), 400, "invalid_request", clause)


def test_raw_crlf_in_a_header_value_is_refused_by_the_http_layer(base: str) -> None:
    status, headers, _ = raw(
        base, b"GET /_harness/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\rSet-Cookie: b\r\n\r\n"
    )
    assert status == 400
    assert "set-cookie" not in headers


# -- methods ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "allowed", "clause"),
    [
        ("/_harness/personas", "GET, HEAD, POST", "S-6"),
        ("/_harness/faults", "DELETE, GET, HEAD, POST", "S-6"),
        ("/api/app/v1/sessions", "POST", "A-4"),
        ("/userinfo", "GET, HEAD, POST", "T-5"),
        ("/token", "POST", "T-1"),
        ("/.well-known/openid-configuration", "GET, HEAD", "T-4"),
    ],
)
def test_405_lists_every_method_of_the_resource(
    served: ServedProviders, path: str, allowed: str, clause: str
) -> None:
    """The clause: the endpoint's own, or the test-control API's (S-6)."""
    r = httpx.request("PUT", f"{served.vneid_url}{path}", timeout=10)
    assert_error(r, 405, "method_not_allowed", clause)
    assert r.headers["allow"] == allowed


@pytest.mark.parametrize(
    ("path", "clause"),
    [("/_harness/nothing", "S-6"), ("/api/app/v1/nothing", "A-4"), ("/nothing", "A-1")],
)
def test_404_cites_the_clause_of_the_api_asked(base: str, path: str, clause: str) -> None:
    assert_error(httpx.get(f"{base}{path}", timeout=10), 404, "not_found", clause)
