"""The request log of both providers (§11 ``GET /_harness/requests``) stays readable and
redacted (S-5) whatever a client sends: bodies with ``NaN``, ``1e999`` or lone surrogates
are refused as invalid JSON and never break the log; JSON sent as a form, callback URLs in
the fragment or without ``//`` and a mistyped ``client_secret`` never reach it in clear;
and JSON media types are matched without regard to case (RFC 9110 §8.3.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.embedded import SyncASGITransport
from mock_providers.vssid import VssIDProvider

VNEID_APP = {"X-VNeID-App-Version": "2.1.0", "X-Device-Platform": "android"}
VSSID_APP = {"X-VssID-App-Version": "1.6.7", "X-Device-Platform": "android"}
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def vneid(vneid_http: httpx.Client) -> httpx.Client:
    """The VNeID provider of the shared fixtures (``conftest.py``)."""
    return vneid_http


@pytest.fixture
def vssid() -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=SyncASGITransport(VssIDProvider().app), base_url="http://api.vssid.test"
    ) as client:
        yield client


def recorded(client: httpx.Client) -> str:
    """``GET /_harness/requests``, which must answer 200 with strict UTF-8 JSON."""
    r = client.get("/_harness/requests")
    assert r.status_code == 200, r.text
    json.loads(r.content.decode("utf-8"), parse_constant=_no_constant)
    return r.text


def _no_constant(name: str) -> Any:
    raise AssertionError(f"the log holds {name}")


def _error(r: httpx.Response) -> tuple[int, str, str, str]:
    body: dict[str, Any] = r.json()
    return r.status_code, body["error"], body["clause"], body["error_description"]


@pytest.mark.clause("T-2")
@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'{"offset_seconds": NaN}', "NaN is not a JSON number"),
        (b'{"offset_seconds": Infinity}', "Infinity is not a JSON number"),
        (b'{"offset_seconds": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"offset_seconds": 1e999}', "the number 1e999 is too large"),
        (b'{"offset_seconds": -1.5E+400}', "the number -1.5E+400 is too large"),
        (b'{"offset_seconds": 5, "x": [1, NaN]}', "NaN is not a JSON number"),
    ],
)
def test_non_finite_numbers_are_invalid_json(
    vneid: httpx.Client, content: bytes, said: str
) -> None:
    status, code, clause, description = _error(
        vneid.post("/_harness/clock", content=content, headers=JSON)
    )
    assert (status, code, clause) == (400, "invalid_request", "T-2")
    assert description.startswith("the body is not valid JSON: ")
    assert said in description
    assert "RFC 8259" in description
    recorded(vneid)


@pytest.mark.parametrize(
    "content",
    [
        b'{"offset_seconds": NaN}',
        b'{"offset_seconds": 1e999}',
        b'{"x": "\\ud800"}',
        b'[NaN, {"\\udfff": Infinity}]',
    ],
)
@pytest.mark.parametrize("headers", [JSON, FORM, {"Content-Type": "text/plain"}])
def test_a_refused_body_never_breaks_the_vneid_request_log(
    vneid: httpx.Client, content: bytes, headers: dict[str, str]
) -> None:
    r = vneid.post("/_harness/clock", content=content, headers=headers)
    assert r.status_code in (400, 415), r.text
    log = recorded(vneid)
    assert '"path":"/_harness/clock"' in log


@pytest.mark.parametrize(
    "content",
    [
        b'{"transaction_id": NaN, "callback_url": "vssid://cb?code=C0DE"}',
        b'{"transaction_id": "t", "callback_url": "vssid://cb?code=\\ud800"}',
    ],
)
def test_a_refused_body_never_breaks_the_vssid_request_log(
    vssid: httpx.Client, content: bytes
) -> None:
    r = vssid.post("/api/v1/auth/vneid/complete", content=content, headers={**VSSID_APP, **JSON})
    assert r.status_code == 400, r.text
    log = recorded(vssid)
    assert "/api/v1/auth/vneid/complete" in log
    assert "C0DE" not in log


# -- S-5 ---------------------------------------------------------------------------------------


@pytest.mark.clause("S-5")
def test_json_sent_as_a_form_is_redacted_in_the_log(
    vneid: httpx.Client, vssid: httpx.Client
) -> None:
    """``curl -d '{...}'`` sends JSON as a form: refused 415, and logged redacted."""
    r = vneid.post(
        "/api/app/v1/sessions",
        headers={**VNEID_APP, **FORM},
        content=b'{"personal_id":"001090000001","passcode":"S3CRET-PASSCODE"}',
    )
    assert r.status_code == 415, r.text
    r = vssid.post("/_harness/config", headers=FORM, content=b'{"client_secret":"S3CRET-CLIENT"}')
    assert r.status_code == 415, r.text
    assert "S3CRET" not in recorded(vneid)
    assert "S3CRET" not in recorded(vssid)
    body = [e["body"] for e in vneid.get("/_harness/requests").json()["requests"]]
    assert body == [{"personal_id": "001090000001", "passcode": "[REDACTED]"}]


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    "callback_url",
    [
        "vssid://auth/vneid/callback#code=S3CRET-CODE&state=x&iss=y",
        "vssid:auth/vneid/callback?code=S3CRET-CODE&state=x",
        "https://rp.test/next?to=vssid%3A%2F%2Fauth%2Fvneid%2Fcallback%3Fcode%3DS3CRET-CODE",
    ],
)
def test_callback_codes_of_every_form_are_redacted_in_the_log(
    vssid: httpx.Client, callback_url: str
) -> None:
    start = vssid.post("/api/v1/auth/vneid/start", headers=VSSID_APP)
    assert start.status_code == 200, start.text
    vssid.post(
        "/api/v1/auth/vneid/complete",
        headers=VSSID_APP,
        json={"transaction_id": start.json()["transaction_id"], "callback_url": callback_url},
    )
    log = recorded(vssid)
    assert "S3CRET" not in log
    assert "code=[REDACTED]" in log or "code%3D[REDACTED]" in log


@pytest.mark.clause("S-5")
@pytest.mark.parametrize(
    "content",
    [
        b"transaction_id=t&callback_url=vssid%3A%2F%2Fauth%2Fvneid%2Fcallback%3Fcode%3DS3CRET",
        b"callback_url=vssid%253A%252F%252Fcb%253Fstate%253Dx%2526code%253DS3CRET",
        b"callback_url=vssid%3A%2F%2Fcb%23code%3DS3CRET%26state%3Dx",
    ],
)
def test_a_callback_url_encoded_in_a_form_value_is_redacted_in_the_log(
    vssid: httpx.Client, content: bytes
) -> None:
    """A form sent where JSON is expected (refused 415) whose field holds the callback URL
    percent-encoded, once or twice: the code in it is redacted in the log."""
    r = vssid.post("/api/v1/auth/vneid/complete", headers={**VSSID_APP, **FORM}, content=content)
    assert r.status_code == 415, r.text
    log = recorded(vssid)
    assert "S3CRET" not in log
    assert "[REDACTED]" in log


@pytest.mark.clause("S-5")
def test_a_code_quoted_in_an_error_description_is_redacted_in_the_log(vssid: httpx.Client) -> None:
    """A callback without its scheme is refused quoting the link; the log keeps neither
    the code in the request nor the one in the quoted link."""
    start = vssid.post("/api/v1/auth/vneid/start", headers=VSSID_APP)
    r = vssid.post(
        "/api/v1/auth/vneid/complete",
        headers=VSSID_APP,
        json={
            "transaction_id": start.json()["transaction_id"],
            "callback_url": "auth/vneid/callback?code=S3CRET-CODE&state=x",
        },
    )
    assert r.status_code == 400, r.text
    log = recorded(vssid)
    assert "S3CRET" not in log
    assert log.count("code=[REDACTED]") >= 2


@pytest.mark.clause("S-5")
def test_a_secret_in_the_decoded_path_is_redacted_in_the_log(vneid: httpx.Client) -> None:
    """``/authorize%3Fcode%3D…`` is the path ``/authorize?code=…`` once decoded."""
    r = vneid.get("/authorize%3Fcode%3DS3CRET-CODE")
    assert r.status_code == 404, r.text
    entry = vneid.get("/_harness/requests").json()["requests"][-1]
    assert "S3CRET" not in json.dumps(entry)
    assert entry["path"] == "/authorize?code=[REDACTED]"


@pytest.mark.clause("S-5", "T-1")
@pytest.mark.parametrize(
    ("secret", "said"),
    [
        (12345678, "got a number"),
        (["S3CRET"], "got an array"),
        ({"s": "S3CRET"}, "got an object"),
        (True, "got true"),
        ("", "got an empty string"),
    ],
)
def test_a_mistyped_client_secret_is_not_echoed(
    vssid: httpx.Client, secret: object, said: str
) -> None:
    status, code, clause, description = _error(
        vssid.post("/_harness/config", json={"client_secret": secret})
    )
    assert (status, code, clause) == (400, "invalid_request", "T-1")
    assert description == f"'client_secret' must be a non-empty string, {said}"
    log = recorded(vssid)
    assert "12345678" not in log
    assert "S3CRET" not in log


@pytest.mark.clause("A-2")
def test_a_mistyped_public_field_is_still_echoed(vssid: httpx.Client) -> None:
    _, _, _, description = _error(vssid.post("/_harness/config", json={"client_id": 42}))
    assert description == "'client_id' must be a non-empty string, got 42"


# -- RFC 9110 §8.3.1 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "Application/JSON",
        "APPLICATION/JSON; charset=utf-8",
        "application/Problem+JSON",
    ],
)
def test_json_media_types_are_case_insensitive(
    vneid: httpx.Client, vssid: httpx.Client, content_type: str
) -> None:
    r = vssid.post(
        "/_harness/accounts",
        headers={"Content-Type": content_type},
        content=b'{"bhxh_code":"1234567890","personal_id":"001090000001","full_name":"A"}',
    )
    assert r.status_code == 200, r.text
    r = vneid.post(
        "/api/app/v1/sessions",
        headers={**VNEID_APP, "Content-Type": content_type},
        content=b'{"personal_id":"001090000001","passcode":"1"}',
    )
    assert r.json()["error"] == "invalid_credentials"


def test_other_media_types_are_still_refused(vssid: httpx.Client) -> None:
    r = vssid.post(
        "/_harness/accounts",
        headers={"Content-Type": "Text/Plain"},
        content=b'{"bhxh_code":"1234567890"}',
    )
    status, code, _, description = _error(r)
    assert (status, code) == (415, "unsupported_media_type")
    assert "'Text/Plain' is not JSON" in description


@pytest.mark.clause("S-5")
def test_the_log_keeps_each_clients_own_encoding(vneid: httpx.Client) -> None:
    """A vendor chasing a ``redirect_uri`` mismatch needs the bytes its client sent: the log
    showed ``redirect_uri=vssid://cb`` and ``redirect_uri=vssid%3A%2F%2Fcb`` alike, ``%20``
    as ``+`` and ``%41`` as ``A``. Only a parameter with a secret is rewritten."""
    sent = [
        "redirect_uri=vssid://auth/vneid/callback&scope=openid%20profile&x",
        "redirect_uri=vssid%3A%2F%2Fauth%2Fvneid%2Fcallback&scope=openid+profile&state=%41",
        "code=S3CRET&next=vssid://cb?code=S3CRET2&state=%41",
    ]
    for query in sent:
        vneid.get(f"/authorize?{query}", headers=VNEID_APP)
    urls = [
        entry["url"]
        for entry in json.loads(recorded(vneid))["requests"]
        if entry["path"] == "/authorize"
    ]
    assert urls == [
        "/authorize?" + sent[0],
        "/authorize?" + sent[1],
        "/authorize?code=[REDACTED]&next=vssid://cb?code=[REDACTED]&state=%41",
    ]


@pytest.mark.clause("S-5")
def test_a_query_of_urls_nested_hundreds_deep_leaves_the_log_readable(
    vneid: httpx.Client, vssid: httpx.Client
) -> None:
    """``?a=?a=?a=…`` (a 9 KB query, under the 12 KiB limit): each ``a`` held a URL whose
    ``a`` held another, and their redaction recursed once per level, so ``RecursionError``
    made every later read of the log a 500. The URL nested past the limit is redacted whole."""
    target = "/nope?a=" + "?a=" * 3000
    for client in (vneid, vssid):
        assert client.get(target).status_code == 404
        assert "?a=?a=[REDACTED]" in recorded(client)
