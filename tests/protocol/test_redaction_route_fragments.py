"""S-5: :func:`redact_url` finds a code in a single-page app's route (``#/route?code=…``) as
well as in a fragment response (``#code=…&state=…``), which it redacts as before; and a URL
inside a body sent as a form is redacted as :func:`redact_json` redacts one."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.protocol.redaction import (
    redact_body,
    redact_json,
    redact_url,
)
from tests.protocol.test_redaction_fast_path import reference

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (
            "https://app.test/#/route?code=C0DE&state=x",
            "https://app.test/#/route?code=[REDACTED]&state=x",
        ),
        (
            "https://app.test/#!/login/cb?state=x&code=C0DE&iss=y",
            "https://app.test/#!/login/cb?state=x&code=[REDACTED]&iss=y",
        ),
        (
            "vssid://auth/vneid/callback#/done?code=C0DE",
            "vssid://auth/vneid/callback#/done?code=[REDACTED]",
        ),
        (
            "https://app.test/#/route?client%5Fsecret=S&x=a+b",
            "https://app.test/#/route?client%5Fsecret=[REDACTED]&x=a+b",
        ),
        ("https://app.test/#/route??code=C0DE", "https://app.test/#/route??code=[REDACTED]"),
        (
            "https://app.test/#/a?b=1?code=C0?DE&state=x",
            "https://app.test/#/a?b=1?code=[REDACTED]&state=x",
        ),
        ("https://app.test/#code?code=C0DE", "https://app.test/#code?code=[REDACTED]"),
        ("https://app.test/#state=x?code=C0DE", "https://app.test/#state=x?code=[REDACTED]"),
        ("https://app.test/#/r=1?code=C0DE", "https://app.test/#/r=1?code=[REDACTED]"),
    ],
)
def test_a_code_in_an_app_route_is_redacted(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted
    assert redact_json({"callback_url": url}) == {"callback_url": redacted}
    assert redact_body(json.dumps({"callback_url": url}).encode(), "application/json") == {
        "callback_url": redacted
    }


@pytest.mark.parametrize(
    "url",
    [
        "https://app.test/#/route?tab=2",
        "https://app.test/#/a/b?x=1&y=2",
        "vssid://cb#/r?x=a/b",
    ],
)
def test_a_route_without_a_secret_is_kept_as_it_is(url: str) -> None:
    """Not re-encoded as one pair (``#%2Froute%3Ftab=2``)."""
    assert redact_url(url) == url


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("vssid://cb#code=C0DE&state=x&iss=y", "vssid://cb#code=[REDACTED]&state=x&iss=y"),
        ("vssid://cb#state=x&code=C0DE", "vssid://cb#state=x&code=[REDACTED]"),
        ("vssid://cb#code=C0?DE&state=x", "vssid://cb#code=[REDACTED]&state=x"),
        ("vssid://cb#state=x&code=C0?DE", "vssid://cb#state=x&code=[REDACTED]"),
        ("vssid://cb#code=C0?code=DE", "vssid://cb#code=[REDACTED]"),
        ("https://app.test/#top", "https://app.test/#top"),
        ("https://app.test/#/route", "https://app.test/#/route"),
    ],
)
def test_ordinary_fragments_are_redacted_as_before(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


pairs_redacted = reference  # pair by pair, as for forms (the slow path)


PIECES = st.sampled_from(
    [
        "a",
        "C",
        "0",
        "_",
        "-",
        ".",
        "~",
        "/",
        "!",
        "%",
        "+",
        "=",
        "&",
        ";",
        " ",
        ":",
        "é",
        "code",
        "state",
        "passcode",
        "%2",
        "%3D",
        "%26",
        "%3F",
        "client%5Fsecret",
        "[",
        "]",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(PIECES, max_size=25).map("".join))
def test_a_fragment_without_a_question_mark_is_redacted_pair_by_pair(fragment: str) -> None:
    url = f"vssid://cb?x=1#{fragment}"
    expected = pairs_redacted(fragment) if "=" in fragment else fragment
    assert redact_url(url) == f"vssid://cb?x=1#{expected}"


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(PIECES | st.just("?"), max_size=15).map("".join),
    st.lists(PIECES | st.just("?"), max_size=15).map("".join),
    st.sampled_from(["code", "passcode", "client_secret", "client%5Fsecret", "Code"]),
    st.booleans(),
)
def test_no_secret_value_survives_in_a_fragment_with_a_route(
    before: str, after: str, name: str, first: bool
) -> None:
    """Whatever comes before the ``?`` (a route, pairs, both), a secret pair after it is
    redacted, as is a secret pair whose value holds the ``?``."""
    secret = f"{name}=S3CRET"
    query = f"{secret}&{after}" if first else f"{after}&{secret}"
    assert "S3CRET" not in redact_url(f"https://app.test/#{before}?{query}")
    assert "S3CRET" not in redact_url(f"https://app.test/#{before}&code=x?{query}")
    assert "S3CRET" not in redact_url(f"https://app.test/#code=S3CRET?{after}")


# -- a URL in a body sent as a form -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"a=vssid://cb?code=S3CRET&state=x", "a=vssid://cb?code=[REDACTED]&state=x"),
        (
            b"redirect_uri=https://rp.test/cb#code=S3CRET",
            "redirect_uri=https://rp.test/cb#code=[REDACTED]",
        ),
        (
            b"redirect_uri=https%3A%2F%2Frp.test%2Fcb%23code%3DS3CRET&scope=openid%20profile",
            "redirect_uri=https%3A%2F%2Frp.test%2Fcb%23code%3D[REDACTED]&scope=openid%20profile",
        ),
        (
            b"vssid:auth/vneid/callback?code=S3CRET&state=x",
            "vssid:auth/vneid/callback?code=[REDACTED]&state=x",
        ),
        (
            b"https://app.test/#/route?code=S3CRET&state=x",
            "https://app.test/#/route?code=[REDACTED]&state=x",
        ),
        (
            b"passcode: S3CRET, then https://app.test/#/route?code=S3CRET",
            "passcode: [REDACTED], then https://app.test/#/route?code=[REDACTED]",
        ),
    ],
)
def test_a_url_in_a_body_sent_as_a_form_is_redacted(raw: bytes, shown: str) -> None:
    assert redact_body(raw, FORM) == shown


@pytest.mark.parametrize(
    "raw",
    [
        b"note: code=[REDACTED] ok",
        b"a note, passcode=[REDACTED]; done",
        b"{oops} 'code': '[REDACTED]', passcode: [REDACTED]",
        b"vssid:cb?code=[REDACTED]&state=x",
    ],
)
def test_redacted_free_text_is_left_as_it_is(raw: bytes) -> None:
    """Redacting twice (the trace redacts what the request log's rules already redacted)
    gives the same text, not ``code=[REDACTED]]``."""
    assert redact_body(raw, FORM) == raw.decode()
