"""Regression tests for what the fuzzing of issue 8 found (docs/robustness.md, "Findings"),
in-process: each used to be a 500, a silent acceptance or a missing header."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.embedded import SyncASGITransport
from mock_providers._http import MAX_TARGET_BYTES, head_problem
from mock_providers.vneid import VNeIDProvider
from mock_providers.vssid import VssIDProvider
from mock_providers.vssid.responses import Discovery
from tests.mock_providers.vssid_fixtures import ISSUER

VNEID_APP = {"X-VNeID-App-Version": "2.1.0", "Content-Type": "application/json"}
VSSID_APP = {"X-VssID-App-Version": "1.6.7", "Content-Type": "application/json"}


@pytest.fixture
def vneid() -> Iterator[httpx.Client]:
    provider = VNeIDProvider()
    with httpx.Client(
        transport=SyncASGITransport(provider.app), base_url=provider.issuer
    ) as client:
        yield client


@pytest.fixture
def vssid() -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=SyncASGITransport(VssIDProvider().app), base_url="http://api.vssid.test"
    ) as client:
        yield client


def _error(r: httpx.Response) -> tuple[int, str, str]:
    body: dict[str, Any] = r.json()
    return r.status_code, body["error"], body["clause"]


@pytest.mark.parametrize(
    "content",
    [
        b'{"personal_id": "001099012345", "passcode": "\\ud800"}',  # was a 500 at hmac
        b'{"personal_id": "001099012345", "passcode": "a\\udfffb"}',
        b'{"\\ud800": 1}',
    ],
)
def test_lone_surrogates_are_invalid_request_not_500(vneid: httpx.Client, content: bytes) -> None:
    r = vneid.post("/api/app/v1/sessions", content=content, headers=VNEID_APP)
    assert _error(r) == (400, "invalid_request", "A-4")
    assert "lone surrogate" in r.json()["error_description"]


def test_duplicate_json_keys_are_refused(vneid: httpx.Client) -> None:
    r = vneid.post(
        "/_harness/clock", content=b'{"offset_seconds": 1, "offset_seconds": 9}', headers=VNEID_APP
    )
    assert _error(r) == (400, "invalid_request", "T-2")
    assert "'offset_seconds' appears more than once" in r.json()["error_description"]


@pytest.mark.parametrize(
    "content", ["{}".encode("utf-16"), "{}".encode("utf-32"), b"\x0b", b"\x0c", b"{}\x0b"]
)
def test_only_utf8_json_and_json_whitespace(vssid: httpx.Client, content: bytes) -> None:
    r = vssid.post("/api/v1/auth/vneid/start", content=content, headers=VSSID_APP)
    assert _error(r) == (400, "invalid_request", "A-1")


def test_json_whitespace_still_counts_as_an_empty_body(vssid: httpx.Client) -> None:
    r = vssid.post("/api/v1/auth/vneid/start", content=b" \t\r\n", headers=VSSID_APP)
    assert r.status_code == 200, r.text


def test_405_carries_every_allowed_method(vneid: httpx.Client, vssid: httpx.Client) -> None:
    r = vneid.request("PATCH", "/_harness/faults")
    assert _error(r)[:2] == (405, "method_not_allowed")
    assert r.headers["allow"] == "DELETE, GET, HEAD, POST"
    assert vssid.request("PUT", "/_harness/config").headers["allow"] == "GET, HEAD, POST"


@pytest.mark.parametrize("issuer", ["http://[", "https://[::1"])
def test_a_malformed_issuer_url_is_invalid_request_not_500(
    vssid: httpx.Client, issuer: str
) -> None:
    r = vssid.post("/_harness/config", json={"issuer": issuer})
    assert _error(r) == (400, "invalid_request", "R-2")
    assert "is not a URL" in r.json()["error_description"]


def test_a_discovery_document_with_a_malformed_url_is_refused_not_500() -> None:
    from harness.protocol import ProtocolError

    document = {
        "issuer": ISSUER,
        "authorization_endpoint": "http://[",
        "token_endpoint": "http://[",
        "jwks_uri": "http://[",
        "userinfo_endpoint": "http://[",
    }
    with pytest.raises(ProtocolError) as refused:
        Discovery.from_json(document, expected_issuer=ISSUER, need_userinfo=True)
    assert refused.value.code == "provider_unavailable"


def test_single_headers_given_twice_are_refused(vssid: httpx.Client) -> None:
    r = vssid.get(
        "/api/v1/me",
        headers=[
            ("X-VssID-App-Version", "1.6.7"),
            ("Authorization", "Bearer a"),
            ("Authorization", "Bearer b"),
        ],
    )
    assert _error(r) == (400, "invalid_request", "A-6")


def test_too_long_a_target_is_414_but_a_wrong_method_405_first(vneid: httpx.Client) -> None:
    long_query = {"q": "a" * MAX_TARGET_BYTES}
    assert _error(vneid.get("/jwks", params=long_query))[:2] == (414, "uri_too_long")
    assert _error(vneid.request("TRACE", "/jwks", params=long_query))[:2] == (
        405,
        "method_not_allowed",
    )


@pytest.mark.parametrize(
    ("path", "headers", "clause"),
    [
        (
            "/token",
            [(b"host", b"x"), (b"content-length", b"5"), (b"transfer-encoding", b"chunked")],
            "T-1",
        ),
        ("/token", [(b"host", b"x"), (b"transfer-encoding", b"gzip")], "T-1"),
        ("/jwks", [], "T-4"),  # HTTP/1.1 without Host
        (
            "/api/v1/me",
            [(b"host", b"x"), (b"authorization", b"Basic a"), (b"authorization", b"Basic b")],
            "A-6",
        ),
        ("/nothing", [(b"host", b"x"), (b"content-type", b"a"), (b"content-type", b"b")], "A-1"),
    ],
)
def test_a_bad_request_head_cites_the_endpoints_clause(
    path: str, headers: list[Any], clause: str
) -> None:
    """§8: every error body names a clause; a head the application refuses (a served
    stack's own parser refuses some first, before any endpoint, under A-1) names the
    endpoint's, not the VssID start's A-1 for every path."""
    problem = head_problem(
        {
            "type": "http",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": headers,
            "http_version": "1.1",
        }
    )
    assert problem is not None
    assert (problem.code, problem.clause) == ("invalid_request", clause)


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    "length",
    # '¹²' passed str.isdigit() and int() raised out of the app; the rest were read as 5 or
    # 10 by int() (a sign, a space inside, an underscore) where RFC 9110 §8.6 has digits only
    [b"\xb9\xb2", b"\xb2", b"+5", b"-1", b"1_0", b"5 5", b"0x5", b""],
)
def test_a_content_length_that_is_not_digits_is_invalid_request(
    vneid: httpx.Client, length: bytes
) -> None:
    r = vneid.post("/token", content=b"grant_type=x", headers={**_FORM, "Content-Length": length})
    assert _error(r) == (400, "invalid_request", "T-1")
    assert "Content-Length" in r.json()["error_description"]


@pytest.mark.parametrize("length", [b" 12", b"12\t", b"0012"])
def test_a_content_length_of_digits_is_read_as_a_server_reads_it(
    vneid: httpx.Client, length: bytes
) -> None:
    """The space around a field's value is no part of it (RFC 9110 §5.5), leading zeros are
    digits: the request goes on to the endpoint (which wants client authentication)."""
    r = vneid.post("/token", content=b"grant_type=x", headers={**_FORM, "Content-Length": length})
    assert _error(r) == (401, "invalid_client", "T-1")


def test_a_content_length_of_thousands_of_digits_is_too_large_not_500(
    vneid: httpx.Client,
) -> None:
    """int() refuses more than 4,300 digits (it raised out of the app)."""
    r = vneid.post(
        "/token", content=b"grant_type=x", headers={**_FORM, "Content-Length": b"9" * 5000}
    )
    assert _error(r) == (413, "payload_too_large", "T-1")
    assert len(r.json()["error_description"]) < 100
