"""S-5 and the phone's trace: what the trace stores always serialises as strict UTF-8 JSON
(reports write it), and a body is redacted as the providers' request log redacts it: NaN,
Infinity, ``1e999`` and lone surrogates kept as the request log keeps them, callback URLs of
every form, JSON and free text sent as a form, a code in an app route's fragment."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from harness.protocol.redaction import REDACTED, redact_body
from harness.trace import HttpExchange, LinkOpened, Trace, http_event_hooks
from tests.strict_json import strict

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def hooked(
    request_raw: bytes, request_type: str, response_raw: bytes = b"{}", response_type: str = JSON
) -> tuple[Trace, HttpExchange]:
    """A trace holding one exchange recorded by the httpx hook, as every app call is."""
    trace = Trace()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=response_raw, headers={"content-type": response_type})

    with httpx.Client(
        transport=httpx.MockTransport(handler),
        event_hooks=http_event_hooks(trace, "vssid", "backend"),
    ) as client:
        client.post(
            "http://api.vssid.test/x", content=request_raw, headers={"content-type": request_type}
        )
    [exchange] = trace.http()
    return trace, exchange


def recorded(request_body: Any, response_body: Any = None) -> tuple[Trace, HttpExchange]:
    """A trace holding one exchange handed to ``Trace.record``."""
    trace = Trace()
    exchange = trace.record(
        HttpExchange(
            actor="vssid",
            target="backend",
            method="POST",
            url="http://api.vssid.test/x",
            request_headers={},
            request_body=request_body,
            status=200,
            response_body=response_body,
            duration_ms=1.0,
        )
    )
    return trace, exchange


# -- 1. bodies JSON has no strict text for ------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"offset_seconds": NaN, "passcode": "S3CRET"}',
        b'{"offset_seconds": Infinity}',
        b"[-Infinity]",
        b'{"offset_seconds": 1e999}',
        b"1e999",
        b'{"x": "\\ud800", "code": "S3CRET"}',
        b'{"\\udfff": ["a\\ud800b"]}',
        b'{"cb": "vssid://cb?code=S3CRET&state=\\udfff", "n": NaN}',
    ],
)
def test_a_json_body_is_stored_strictly_as_the_request_log_stores_it(raw: bytes) -> None:
    trace, exchange = hooked(raw, JSON, raw, JSON)
    assert exchange.request_body == redact_body(raw, JSON)
    assert exchange.response_body == redact_body(raw, JSON)
    dumped = strict(trace.to_json())
    assert "S3CRET" not in dumped


def test_a_body_handed_to_record_is_stored_strictly() -> None:
    trace, exchange = recorded(
        {"n": float("nan"), "passcode": "S3CRET"}, ["\ud800", {"code": "S3CRET", "x": float("inf")}]
    )
    assert exchange.request_body == '{"n": NaN, "passcode": "[REDACTED]"}'
    assert exchange.response_body == '["\\\\ud800", {"code": "[REDACTED]", "x": Infinity}]'
    assert "S3CRET" not in strict(trace.to_json())
    _, exchange = recorded({"x": "a\udfffb"}, "vssid://cb?state=\ud800&code=S3CRET")
    assert exchange.request_body == {"x": "a\\udfffb"}
    assert exchange.response_body == "vssid://cb?state=\\ud800&code=[REDACTED]"


def test_strict_bodies_handed_to_record_are_kept_as_they_are() -> None:
    body = {"a": 1.5, "b": [True, None, "é"], "c": {"d2": -0.0}}
    _, exchange = recorded(body, [1, "x"])
    assert exchange.request_body == body
    assert exchange.response_body == [1, "x"]
    odd = {(1, 2): "no JSON key"}  # kept as before (to_json writes the key as text)
    trace, exchange = recorded(odd)
    assert exchange.request_body == odd
    assert trace.to_json()[0]["request_body"] == {"(1, 2)": "no JSON key"}
    odd = {(1, 2): float("nan")}  # nothing JSON can read back either: kept, no error
    assert recorded(odd)[1].request_body is not None


def test_a_link_with_a_lone_surrogate_is_recorded_strictly() -> None:
    trace = Trace()
    link = trace.record(
        LinkOpened(
            source="vneid",
            target="vssid",
            form="custom",
            url="vssid://cb?code=S3CRET&state=\ud800x&iss=\u00e9",
        )
    )
    assert link.url == "vssid://cb?code=[REDACTED]&state=\\ud800x&iss=é"  # as it came
    assert "S3CRET" not in strict(trace.to_json())


# -- 2. string bodies: callback URLs of every form, JSON and free text -----------------------

SECRET_STRINGS = [
    "vssid:auth/vneid/callback?code=S3CRET&state=x",
    "vssid://auth/vneid/callback#code=S3CRET&state=x",
    "vssid:auth/vneid/callback#code=S3CRET&state=x",
    "/auth/vneid/callback?code=S3CRET&state=x",
    "https://app.test/#/route?code=S3CRET&state=x",
    '{"personal_id": "001", "passcode": "S3CRET"}',
    '[{"callback_url": "vssid:cb?state=x&code=S3CRET"}]',
    "passcode: S3CRET",
    "a note, passcode=S3CRET; done",
    "passcode=S3CRET&redirect_uri=vssid://cb",
    "redirect_uri=vssid://cb?x=1&code=S3CRET",
    "code=S3CRET&redirect_uri=vssid://cb?x=1",
    "callback_url=vssid%3A%2F%2Fcb%3Fcode%3DS3CRET%26state%3Dx",
    "callback_url=vssid%253A%252F%252Fcb%253Fcode%253DS3CRET",
    '{"callback_url": "vssid%3A%2F%2Fcb%3Fcode%3DS3CRET"}',
]


@pytest.mark.parametrize("text", SECRET_STRINGS)
def test_a_string_body_handed_to_record_is_redacted(text: str) -> None:
    trace, exchange = recorded(text, text)
    dumped = strict(trace.to_json())
    assert "S3CRET" not in dumped
    assert REDACTED in dumped
    assert exchange.request_body == redact_body(text.encode(), FORM)


@pytest.mark.parametrize("text", SECRET_STRINGS)
def test_a_json_string_body_is_redacted_as_the_same_text(text: str) -> None:
    """A JSON body that is a string (``"vssid:cb?code=…"``), recorded by the hook."""
    raw = json.dumps(text).encode()
    trace, exchange = hooked(raw, JSON, raw, JSON)
    assert "S3CRET" not in strict(trace.to_json())
    _, by_record = recorded(text)
    assert exchange.request_body == by_record.request_body


@pytest.mark.parametrize(
    "url",
    [
        "vssid:auth/vneid/callback?code=S3CRET&state=x",
        "vssid://auth/vneid/callback#code=S3CRET&state=x&iss=y",
        "https://app.test/#/route?code=S3CRET&state=x",
    ],
)
def test_a_callback_url_inside_a_json_body_is_redacted(url: str) -> None:
    raw = json.dumps({"transaction_id": "t1", "callback_url": url}).encode()
    trace, exchange = hooked(raw, JSON)
    assert exchange.request_body == redact_body(raw, JSON)
    assert "S3CRET" not in strict(trace.to_json())
    trace, _ = recorded(json.loads(raw), [url])
    assert "S3CRET" not in strict(trace.to_json())


def test_a_url_string_body_is_kept_readable() -> None:
    """Not re-encoded as if it were a form (``vssid%3Aauth%2F…``), through either path."""
    url = "vssid:auth/vneid/callback?code=S3CRET&state=x"
    expected = "vssid:auth/vneid/callback?code=[REDACTED]&state=x"
    assert recorded(url)[1].request_body == expected
    assert hooked(json.dumps(url).encode(), JSON)[1].request_body == expected


# -- a JSON or free-text body sent as a form -----------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"personal_id":"001090000001","passcode":"S3CRET"}',
        b'[{"passcode": "S3CRET"}]',
        b'{"passcode":"S3CRET","n":NaN,"cb":"vssid://cb?code=S3CRET&state=s"}',
        b'{"personal_id":"001","passcode":"S3C\\"RET',
        b"{'passcode': 'S3CRET'}",
        b"a note, passcode=S3CRET; done",
        b"client_secret: S3CRET",
        b"a=vssid://cb?code=S3CRET&state=x",
        b"grant_type=authorization_code&code=S3CRET&redirect_uri=vssid%3A%2F%2Fcb",
    ],
)
def test_a_body_sent_as_a_form_is_stored_as_the_request_log_stores_it(raw: bytes) -> None:
    trace, exchange = hooked(raw, FORM)
    assert exchange.request_body == redact_body(raw, FORM)
    dumped = strict(trace.to_json())
    assert "S3CRET" not in dumped
    assert "RET" not in dumped


def test_percent_encoded_json_sent_as_a_form_is_stored_as_json() -> None:
    """The request log shows it decoded, as text; the trace reads that text as JSON."""
    raw = b"%7B%22passcode%22%3A%22S3CRET%22%7D"
    assert redact_body(raw, FORM) == '{"passcode":"[REDACTED]"}'
    trace, exchange = hooked(raw, FORM)
    assert exchange.request_body == {"passcode": REDACTED}
    assert "S3CRET" not in strict(trace.to_json())


@pytest.mark.parametrize(
    "text",
    [
        "Infinity",
        "NaN",
        "[1, 2]",
        "plain words",
        "[text/plain, 2 bytes]",
        "a+b",
        "Xin chào",
    ],
)
def test_text_that_names_no_value_is_stored_as_it_is(text: str) -> None:
    assert recorded(text)[1].request_body == text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"personal_id":"001090000001","passcode":"S3CRET-0123"}',
        b' [{"client_secret": "S3CRET-0123"}]',
        b'{"passcode":"S3CRET-0123","n":NaN}',
    ],
)
def test_scrub_knows_the_secrets_of_a_json_body_sent_as_a_form(raw: bytes) -> None:
    trace, _ = hooked(raw, FORM)
    assert trace.scrub("failed after sending S3CRET-0123") == f"failed after sending {REDACTED}"
