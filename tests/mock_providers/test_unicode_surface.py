"""Input that Python's text methods read otherwise than the ASCII grammars of the RFCs:
non-ASCII bytes in a request target, Unicode digits and whitespace in headers. Each used to
be a 500 or an acceptance the grammar forbids."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from harness.embedded import SyncASGITransport
from harness.protocol import ProtocolError
from mock_providers._request_checks import require_control_access
from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET
from mock_providers.vneid import VNeIDProvider
from mock_providers.vssid import VssIDProvider

_AUTHORIZE = (
    b"client_id=vssid&redirect_uri=vssid%3A%2F%2Fauth%2Fvneid%2Fcallback&response_type=code"
    b"&scope=openid&code_challenge=" + b"a" * 43 + b"&code_challenge_method=S256"
)


def _asgi_get(app: Any, path: str, query: bytes) -> tuple[int, bytes]:
    """``GET path?query`` straight into the ASGI app, the query's bytes as given (``httpx``
    would percent-encode them; an ASGI server may not)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("in-process", 0),
        "server": ("127.0.0.1", 80),
        "root_path": "",
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.mark.parametrize(
    ("provider", "path", "query", "clause"),
    [
        ("vneid", "/authorize", _AUTHORIZE + b"&state=\xff", "A-2"),  # was UnicodeDecodeError
        ("vneid", "/authorize", _AUTHORIZE + b"&state=\xc3\xa9", "A-2"),  # raw UTF-8: not ASCII
        ("vneid", "/nothing", b"\xff", "A-1"),  # the 404 read request.url: a 500 too
        ("vssid", "/api/v1/me", b"x=\x80", "A-6"),
    ],
)
def test_a_query_with_bytes_outside_ascii_is_400_not_500(
    provider: str, path: str, query: bytes, clause: str
) -> None:
    """RFC 9112 §3.2 / RFC 3986 §2: a request target is ASCII; both served stacks refuse such
    a target before the app, and the app itself now does so too (it raised out of Starlette's
    ``request.url``, which decodes the query as UTF-8)."""
    app = VNeIDProvider().app if provider == "vneid" else VssIDProvider().app
    status, raw = _asgi_get(app, path, query)
    body = json.loads(raw)
    assert (status, body["error"], body["clause"]) == (400, "invalid_request", clause)
    assert "percent-encode" in body["error_description"]


def test_a_percent_encoded_query_is_still_served() -> None:
    status, _ = _asgi_get(VNeIDProvider().app, "/authorize", _AUTHORIZE + b"&state=%C3%A9")
    assert status == 200


@pytest.mark.parametrize("padding", [b"\xa0", b"\x85", b"\x1f"])
def test_basic_credentials_padded_with_what_is_no_http_whitespace_are_refused(
    padding: bytes,
) -> None:
    """T-1: ``str.strip()`` took NBSP, NEL and the C0 separators around the Basic token68;
    RFC 9110's OWS is SP and HTAB only, so such a header authenticated no one now."""
    provider = VNeIDProvider()
    pair = base64.b64encode(f"vssid:{DEFAULT_VSSID_CLIENT_SECRET}".encode())
    form = {
        "grant_type": "authorization_code",
        "code": "c",
        "redirect_uri": "vssid://auth/vneid/callback",
        "code_verifier": "v" * 43,
    }
    with httpx.Client(
        transport=SyncASGITransport(provider.app), base_url=provider.issuer
    ) as client:
        good = client.post("/token", data=form, headers=[(b"authorization", b"Basic " + pair)])
        padded = client.post(
            "/token", data=form, headers=[(b"authorization", b"Basic " + padding + pair)]
        )
    assert good.json()["error"] == "invalid_grant"  # authenticated: the code is unknown
    assert padded.status_code == 401
    assert (padded.json()["error"], padded.json()["clause"]) == ("invalid_client", "T-1")


def _control_request(host: bytes) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/_harness/personas",
            "headers": [(b"host", host)],
            "client": ("127.0.0.1", 50000),
        }
    )


@pytest.mark.parametrize("port", [b"\xb9\xb2", b"8\xb3"])  # '¹²', '8³': str.isdigit() says yes
def test_a_host_port_of_unicode_digits_is_no_loopback_name(port: bytes) -> None:
    """S-6: the control API's Host check read ``localhost:¹²`` as a loopback name (the
    served stacks pass such bytes on); a port is ASCII digits (RFC 3986 §3.2.3)."""
    require_control_access(_control_request(b"localhost:8080"), None)
    for host in (b"localhost:" + port, b"[::1]:" + port):
        with pytest.raises(ProtocolError) as refused:
            require_control_access(_control_request(host), None)
        assert (refused.value.code, refused.value.clause) == ("forbidden", "S-6")


@pytest.mark.parametrize("padding", [b"\xa0", b"\x85"])
def test_a_media_type_padded_with_what_is_no_http_whitespace_is_refused(padding: bytes) -> None:
    """``str.strip()`` took NBSP and NEL around the media type, so ``application/json\\xa0``
    was JSON; RFC 9110's OWS is SP and HTAB only (both are still taken)."""
    with httpx.Client(
        transport=SyncASGITransport(VssIDProvider().app), base_url="http://api.vssid.test"
    ) as client:

        def start(ctype: bytes) -> httpx.Response:
            return client.post(
                "/api/v1/auth/vneid/start",
                content=b"{}",
                headers=[(b"x-vssid-app-version", b"1.6.7"), (b"content-type", ctype)],
            )

        assert start(b" application/json\t").status_code == 200
        refused = start(b"application/json" + padding)
    assert refused.status_code == 415
    assert (refused.json()["error"], refused.json()["clause"]) == ("unsupported_media_type", "A-1")


@pytest.mark.parametrize("padding", [b"\xa0", b"\x85"])
def test_a_form_media_type_padded_with_what_is_no_http_whitespace_is_refused(
    padding: bytes,
) -> None:
    """The authorization endpoint's POST form (OpenID Connect Core §3.1.2.1): the same."""
    with httpx.Client(
        transport=SyncASGITransport(VNeIDProvider().app), base_url="http://vneid.test"
    ) as client:

        def post(ctype: bytes) -> httpx.Response:
            return client.post("/authorize", content=_AUTHORIZE, headers=[(b"content-type", ctype)])

        assert post(b"application/x-www-form-urlencoded ").status_code == 200
        refused = post(b"application/x-www-form-urlencoded" + padding)
    assert refused.status_code == 400  # the error screen, naming the media type taken
    assert "application/x-www-form-urlencoded" in refused.text
