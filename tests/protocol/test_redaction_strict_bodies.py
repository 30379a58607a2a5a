"""S-5 and the request log: :func:`redact_body` always gives a value that serialises as
strict JSON, and finds secrets in a JSON body sent as a form and in callback URLs of every
form (a fragment response, a custom scheme without ``//``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.protocol.redaction import REDACTED, redact_body, redact_form, redact_json
from tests.strict_json import strict

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b'{"offset_seconds": NaN}', '{"offset_seconds": NaN}'),
        (b'{"offset_seconds": Infinity}', '{"offset_seconds": Infinity}'),
        (b"[-Infinity]", "[-Infinity]"),
        (b'{"offset_seconds": 1e999}', '{"offset_seconds": Infinity}'),
        (b'{"offset_seconds": -1e999}', '{"offset_seconds": -Infinity}'),
    ],
)
def test_a_json_body_with_a_non_finite_number_is_kept_as_text(raw: bytes, shown: str) -> None:
    body = redact_body(raw, JSON)
    assert body == shown
    strict(body)


def test_a_non_finite_body_is_still_redacted() -> None:
    body = redact_body(
        b'{"passcode": "S3CRET", "n": NaN, "cb": "vssid://cb?code=C0DE&state=s"}', JSON
    )
    assert "S3CRET" not in strict(body)
    assert "C0DE" not in strict(body)
    assert body == (
        '{"passcode": "[REDACTED]", "n": NaN, "cb": "vssid://cb?code=[REDACTED]&state=s"}'
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b'{"x": "\\ud800"}', {"x": "\\ud800"}),
        (b'{"\\udfff": 1}', {"\\udfff": 1}),
        (b'["a\\ud800b", {"k": ["\\udc00", "\\u00e9"]}]', ["a\\ud800b", {"k": ["\\udc00", "é"]}]),
    ],
)
def test_a_lone_surrogate_is_kept_as_its_escape_text(raw: bytes, shown: Any) -> None:
    body = redact_body(raw, JSON)
    assert body == shown
    strict(body)


def test_a_url_with_a_lone_surrogate_is_redacted() -> None:
    body = redact_body(b'{"cb": "vssid://cb?code=C0DE\\ud800&state=\\udfff%"}', JSON)
    assert body == {"cb": "vssid://cb?code=[REDACTED]&state=\\udfff%"}  # escape text, as it came
    strict(body)


def test_strict_json_bodies_are_values_as_before() -> None:
    assert redact_body(b'{"a": 1.5, "b": "\\u00e9", "code": "x"}', JSON) == {
        "a": 1.5,
        "b": "é",
        "code": REDACTED,
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from([JSON, FORM]))
def test_every_recorded_body_serialises_strictly(value: Any, content_type: str) -> None:
    raw = json.dumps(value, ensure_ascii=True).encode()  # NaN, Infinity, "\ud800" included
    strict(redact_body(raw, content_type))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([JSON, FORM, "text/plain", ""]))
def test_any_bytes_give_a_strictly_serialisable_body(raw: bytes, content_type: str) -> None:
    strict(redact_body(raw, content_type))


# -- a JSON body sent as a form (curl -d '{...}') --------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"personal_id":"001090000001","passcode":"S3CRET"}',
        b' \n{"client_secret": "S3CRET", "client_id": "vssid"}',
        b'[{"passcode": "S3CRET"}]',
        b'{"personal_id":"001","passcode":"S3CRET","n":NaN}',
        b'{"personal_id":"001","passcode":"S3C\\"RET',  # cut short: not JSON
        b'{"personal_id":"001",  "Passcode" : "S3CRET"}}',  # not JSON either
        b"{'passcode': 'S3CRET'}",
        b"%7B%22passcode%22%3A%22S3CRET%22%7D",  # percent-encoded JSON
        b"a note, passcode=S3CRET; done",
        b"client_secret: S3CRET",
    ],
)
def test_a_json_or_text_body_sent_as_a_form_is_redacted(raw: bytes) -> None:
    body = redact_body(raw, FORM)
    assert "S3CRET" not in strict(body)
    assert "RET" not in strict(body)
    assert REDACTED in strict(body)


def test_a_json_body_sent_as_a_form_is_shown_as_json() -> None:
    assert redact_body(b'{"personal_id":"001","passcode":"S3CRET"}', FORM) == {
        "personal_id": "001",
        "passcode": REDACTED,
    }


@pytest.mark.parametrize(
    "encoded",
    [
        "grant_type=authorization_code&code=C0DE&redirect_uri=vssid%3A%2F%2Fcb&code_verifier=V",
        "client%5Fsecret=S&client_id=vssid",
        "scope=openid+profile&state=%7Bs%7D&x&&y=",
        "a[]=1&b.c~d-e=2",
        "",
    ],
)
def test_real_forms_are_redacted_as_forms(encoded: str) -> None:
    assert redact_body(encoded.encode(), FORM) == (redact_form(encoded) if encoded else None)


def test_names_that_only_end_like_a_secret_are_left_in_free_text() -> None:
    body = redact_body(b"{oops} personal_id=001 mycode=1 passcode_hint=2", FORM)
    assert body == "{oops} personal_id=001 mycode=1 passcode_hint=2"


# -- callback URLs in JSON -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (
            "vssid://auth/vneid/callback#code=C0DE&state=x&iss=y",
            "vssid://auth/vneid/callback#code=[REDACTED]&state=x&iss=y",
        ),
        (
            "vssid:auth/vneid/callback?code=C0DE&state=x",
            "vssid:auth/vneid/callback?code=[REDACTED]&state=x",
        ),
        (
            "vssid:auth/vneid/callback#code=C0DE&state=x",
            "vssid:auth/vneid/callback#code=[REDACTED]&state=x",
        ),
        ("/auth/vneid/callback?code=C0DE&state=x", "/auth/vneid/callback?code=[REDACTED]&state=x"),
        ("?code=C0DE&state=x", "?code=[REDACTED]&state=x"),
        (
            "https://vssid.test/cb?state=x&code=C0DE",
            "https://vssid.test/cb?state=x&code=[REDACTED]",
        ),
    ],
)
def test_callback_urls_of_every_form_are_redacted(url: str, redacted: str) -> None:
    assert redact_json({"callback_url": url}) == {"callback_url": redacted}
    assert redact_body(json.dumps({"callback_url": url}).encode(), JSON) == {
        "callback_url": redacted
    }


@pytest.mark.parametrize(
    "text",
    [
        "vssid://auth/vneid/callback",
        "vssid:auth/vneid/callback#top",
        "a=b, really?",
        "x=1",
        "what? a = b",
        "Vui lòng cập nhật ứng dụng",
    ],
)
def test_strings_without_url_parameters_are_left_alone(text: str) -> None:
    assert redact_json([text]) == [text]
